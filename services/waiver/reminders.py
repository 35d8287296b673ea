"""Periodic job entrypoint: `python -m waiver.reminders [--once]` issues claim reminders every
REMINDER_INTERVAL_S seconds (the use case is services.reminders.issue_claim_reminders)."""
from __future__ import annotations

import argparse
import logging
from datetime import datetime, timezone

from servicekit import heartbeat
from servicekit.db import make_engine, make_session_factory
from servicekit.logs import configure_logging
from servicekit.runner import run_until_signalled

from .config import Config
from .services.reminders import issue_claim_reminders
from .unit_of_work import WaiverUnitOfWork

log = logging.getLogger(__name__)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="waiver.reminders")
    parser.add_argument("--once", action="store_true", help="look once and exit")
    args = parser.parse_args(argv)
    config = Config.from_env()
    configure_logging("waiver-reminders", config.log_level)
    config.check_secrets()
    session_factory = make_session_factory(make_engine(config.database_url))

    def step() -> None:
        count = issue_claim_reminders(WaiverUnitOfWork(session_factory), now=datetime.now(timezone.utc),
                                      after_days=config.reminder_after_days)
        log.info("claim reminders issued", extra={"count": count})

    if args.once:
        step()
        return

    def loop(stop) -> None:
        while not stop.is_set():
            try:
                step()
            except Exception:  # a database hiccup must not end the job; the next round retries
                log.exception("claim reminder round failed")
            heartbeat.wait(stop, config.reminder_interval_s)

    run_until_signalled(loop)


if __name__ == "__main__":
    main()
