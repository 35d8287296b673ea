"""Wait for the system to be quiet before a figure is measured.

Right after `healthy`, the demo data's ~1,000 StockLevelChanged events are still being applied by the donor
consumer (a full core for seconds, much longer while a load competes with it); after the donations scenario,
the other services are still applying DonationRecorded. Measured then, a figure pays for that backlog, and the
two figures of a ratio pay different shares of it. Quiet means: nothing left to publish in any outbox, no
event applied anywhere for `quiet_s`, and no service process busier than `busy_share` of a core.
"""
from __future__ import annotations

import time

from sqlalchemy import create_engine, func, select

from servicekit.tables import outbox, processed_events
from tests.bench import cpu

IDLE_ROLES = ("consumer", "relay", "expiry", "reminders", ".app")


def _progress(engines) -> tuple:
    """(unpublished outbox rows, events applied) summed over every service database."""
    pending = applied = 0
    for engine in engines:
        with engine.connect() as conn:
            pending += conn.execute(select(func.count()).select_from(outbox)
                                    .where(outbox.c.published_at.is_(None))).scalar_one()
            applied += conn.execute(select(func.count()).select_from(processed_events)).scalar_one()
    return pending, applied


def settle(database_urls: list[str], *, quiet_s: float = 2.0, busy_share: float = 0.25,
           deadline_s: float = 120.0) -> float:
    """Block until the system is quiet (or the deadline passes); returns the seconds waited."""
    engines = [create_engine(url) for url in database_urls]
    started = time.monotonic()
    try:
        last, quiet_since = None, None
        while time.monotonic() - started < deadline_s:
            before = cpu.snapshot()
            time.sleep(0.5)
            after = cpu.snapshot()
            busiest = max((after[r] - before.get(r, 0.0) for r in after if any(k in r for k in IDLE_ROLES)),
                          default=0.0) / 0.5
            now = _progress(engines)
            if now[0] == 0 and now == last and busiest < busy_share:
                quiet_since = quiet_since or time.monotonic()
                if time.monotonic() - quiet_since >= quiet_s:
                    break
            else:
                quiet_since = None
            last = now
        else:
            print(f"  WARNING: the system was still busy after {deadline_s:.0f} s; the next figures carry that work")
        return time.monotonic() - started
    finally:
        for engine in engines:
            engine.dispose()
