"""Periodic jobs: `python -m waiver.jobs reminders|prune [--once]` (servicekit.periodic runs them).

`prune`: every PRUNE_INTERVAL_S seconds, the outbox and inbox rows older than EVENT_RETENTION_DAYS
(servicekit.retention).

`reminders`: every REMINDER_INTERVAL_S seconds, remind donors whose blood went to a patient and no direct
deduction followed (services.reminders; replicas take disjoint batches of transfusions, SKIP LOCKED).
"""
from __future__ import annotations

from datetime import datetime, timezone

from servicekit.periodic import Job, jobs_main
from servicekit.retention import PRUNE_JOB

from .config import Config
from .services.reminders import issue_claim_reminders
from .unit_of_work import WaiverUnitOfWork


def reminders(session_factory, config: Config) -> dict:
    issued = issue_claim_reminders(WaiverUnitOfWork(session_factory), now=datetime.now(timezone.utc),
                                   after_days=config.reminder_after_days)
    return {"reminders_issued": issued}


JOBS = [Job("reminders", reminders, interval_s=lambda config: config.reminder_interval_s), PRUNE_JOB]


def main(argv: list[str] | None = None) -> None:
    jobs_main(Config.from_env(), JOBS, argv)


if __name__ == "__main__":
    main()
