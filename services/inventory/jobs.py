"""Periodic jobs: `python -m inventory.jobs expiry|snapshot|prune [--once]` (servicekit.periodic runs them).

`prune`: every PRUNE_INTERVAL_S seconds, the outbox and inbox rows older than EVENT_RETENTION_DAYS
(servicekit.retention).

`expiry`: every EXPIRY_INTERVAL_S seconds, mark units past their expiry as expired and refresh the levels.
Orders can never take an expired unit even between runs (their claim re-checks `expires_at > now` in the
database); this job makes the state and the stock levels say so, and announces UnitExpired. Replicas take
disjoint batches (SKIP LOCKED).

`snapshot`: every SNAPSHOT_INTERVAL_S seconds, upsert today's (Asia/Shanghai) stock snapshot of every station
(services/history.py): the day's rows are refreshed by each run, so the day keeps its last picture. Replicas may
run it at once: the upsert is keyed by the day and the database's, so they write the same rows.
"""
from __future__ import annotations

from datetime import datetime, timezone

from servicekit.periodic import Job, jobs_main
from servicekit.retention import PRUNE_JOB

from .config import Config
from .services import history, stock, units
from .unit_of_work import InventoryUnitOfWork


def run_once(uow_factory, now: datetime | None = None, batch: int = 500) -> dict:
    """Expire everything due (in batches, each its own transaction), then refresh every station's levels."""
    now = now or datetime.now(timezone.utc)
    expired = 0
    while True:
        done = units.expire_units(uow_factory(), now=now, batch=batch)
        expired += done
        if done < batch:
            break
    refreshed = stock.refresh_all(uow_factory(), now)
    return {"expired": expired, "levels_refreshed": refreshed}


def expiry(session_factory, config: Config) -> dict:
    return run_once(lambda: InventoryUnitOfWork(session_factory))


def snapshot(session_factory, config: Config, now: datetime | None = None) -> dict:
    return {"snapshot_rows": history.take_snapshot(InventoryUnitOfWork(session_factory),
                                                   now or datetime.now(timezone.utc))}


JOBS = [Job("expiry", expiry, interval_s=lambda config: config.expiry_interval_s),
        Job("snapshot", snapshot, interval_s=lambda config: config.snapshot_interval_s), PRUNE_JOB]


def main(argv: list[str] | None = None) -> None:
    jobs_main(Config.from_env(), JOBS, argv)


if __name__ == "__main__":
    main()
