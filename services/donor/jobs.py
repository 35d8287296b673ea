"""Periodic jobs: `python -m donor.jobs prune [--once]` (servicekit.periodic runs them).

`prune`: every PRUNE_INTERVAL_S seconds, the outbox and inbox rows older than EVENT_RETENTION_DAYS
(servicekit.retention).
"""
from __future__ import annotations

from servicekit.periodic import jobs_main
from servicekit.retention import PRUNE_JOB

from .config import Config

JOBS = [PRUNE_JOB]


def main(argv: list[str] | None = None) -> None:
    jobs_main(Config.from_env(), JOBS, argv)


if __name__ == "__main__":
    main()
