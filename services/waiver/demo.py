"""Demo data for `make up`: the region policies, written into the `policies` table (idempotent).

Everything else the waiver office knows arrives as events (donors and donations from the donor service's
demo, transfusions from inventory's), so no waiver state is invented here.
"""
from __future__ import annotations

from datetime import datetime, timezone

from servicekit.db import make_engine, make_session_factory

from .services.entitlements import seed_policies
from .unit_of_work import WaiverUnitOfWork


def load(config) -> dict:
    engine = make_engine(config.database_url)
    try:
        added = seed_policies(WaiverUnitOfWork(make_session_factory(engine)), now=datetime.now(timezone.utc))
    finally:
        engine.dispose()
    return {"policies_added": added}
