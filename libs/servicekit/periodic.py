"""The one entrypoint for periodic jobs: `python -m <service>.jobs <job> [--once]`.

A job is a step run every `interval_s` seconds until SIGTERM/SIGINT (the current step finishes first). A
failed step is logged and retried at the next tick: a database hiccup must not end the process.

Replicas: several copies of a job may run at once. A step must claim the rows it works on, in batches, with
`servicekit.db.for_update(stmt, session, skip_locked=True)` (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite
serialises writers instead), so two replicas never take the same row and neither waits for the other; and it
must mark what it did in the same transaction, so a row is done once whichever replica took it.
"""
from __future__ import annotations

import argparse
import logging
import threading
from dataclasses import dataclass
from typing import Callable

from . import heartbeat, metrics
from .db import make_engine, make_session_factory
from .logs import configure_logging
from .runner import run_until_signalled

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """`step(session_factory, config) -> dict` (a summary to log); `interval_s(config)` between steps."""

    name: str
    step: Callable[..., dict]
    interval_s: Callable[[object], float]


def run_periodically(step: Callable[[], dict], interval_s: float, stop: threading.Event, *, name: str) -> None:
    while not stop.is_set():
        try:
            summary = step()
            if any(summary.values()):
                log.info("job step done", extra={"job": name, **summary})
        except Exception:              # retried at the next tick; the job must not die
            log.exception("job step failed", extra={"job": name})
        heartbeat.wait(stop, interval_s)       # beats while it waits: a long interval is not a stuck job


def jobs_main(config, jobs: list[Job], argv: list[str] | None = None) -> None:
    by_name = {job.name: job for job in jobs}
    parser = argparse.ArgumentParser(prog=f"{config.service_name}.jobs")
    parser.add_argument("job", choices=sorted(by_name))
    parser.add_argument("--once", action="store_true", help="run one step and exit")
    args = parser.parse_args(argv)
    job = by_name[args.job]
    configure_logging(f"{config.service_name}-{job.name}", config.log_level)
    config.check_secrets()
    sessions = make_session_factory(make_engine(config.database_url))

    def step() -> dict:
        return job.step(sessions, config)

    if args.once:
        log.info("job step done", extra={"job": job.name, **step()})
        return
    metrics.serve(config.metrics_port)
    run_until_signalled(lambda stop: run_periodically(step, job.interval_s(config), stop, name=job.name))
