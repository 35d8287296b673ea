"""Periodic job: `python -m inventory.expiry` marks units past their expiry as expired and refreshes levels.

Orders can never take an expired unit even between runs (their claim re-checks `expires_at > now` in the
database); this job makes the state and the stock levels say so, and announces UnitExpired.
"""
from __future__ import annotations

import logging
import threading
from datetime import datetime, timezone

from servicekit import heartbeat
from servicekit.db import make_engine, make_session_factory
from servicekit.logs import configure_logging
from servicekit.runner import run_until_signalled

from . import stock, units
from .config import Config
from .unit_of_work import InventoryUnitOfWork

log = logging.getLogger(__name__)


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


def loop(uow_factory, interval_s: float, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            summary = run_once(uow_factory)
            if summary["expired"]:
                log.info("units expired", extra=summary)
        except Exception:              # a failed run is retried at the next tick; the job must not die
            log.exception("expiry run failed")
        heartbeat.wait(stop, interval_s)


def main() -> None:
    config = Config.from_env()
    configure_logging("inventory-expiry", config.log_level)
    config.check_secrets()
    sessions = make_session_factory(make_engine(config.database_url))
    run_until_signalled(lambda stop: loop(lambda: InventoryUnitOfWork(sessions), config.expiry_interval_s, stop))


if __name__ == "__main__":
    main()
