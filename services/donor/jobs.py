"""Periodic jobs: `python -m donor.jobs appointments|prune [--once]` (servicekit.periodic runs them).

`appointments`: every APPOINTMENT_INTERVAL_S seconds, remind once everyone booked for tomorrow and record as
no-shows the bookings whose day is over (a kept one was marked by its donation). Replicas take disjoint
batches (SKIP LOCKED), each marked in its own transaction.

`prune`: every PRUNE_INTERVAL_S seconds, the outbox and inbox rows older than EVENT_RETENTION_DAYS
(servicekit.retention).
"""
from __future__ import annotations

from datetime import datetime, timezone

from servicekit.periodic import Job, jobs_main
from servicekit.retention import PRUNE_JOB

from .config import Config
from .notifier import build_notifier
from .services.appointments import record_no_shows, send_reminders
from .unit_of_work import DonorUnitOfWork

BATCH = 200


def appointments(session_factory, config: Config) -> dict:
    now, notifier = datetime.now(timezone.utc), build_notifier(config)
    reminded = missed = 0
    while (done := send_reminders(DonorUnitOfWork(session_factory), notifier, now=now, batch=BATCH)) > 0:
        reminded += done
        if done < BATCH:
            break
    while (done := record_no_shows(DonorUnitOfWork(session_factory), now=now, batch=BATCH)) > 0:
        missed += done
        if done < BATCH:
            break
    return {"reminded": reminded, "no_shows": missed}


JOBS = [Job("appointments", appointments, interval_s=lambda config: config.appointment_interval_s), PRUNE_JOB]


def main(argv: list[str] | None = None) -> None:
    jobs_main(Config.from_env(), JOBS, argv)


if __name__ == "__main__":
    main()
