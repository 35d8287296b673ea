from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from servicekit.tables import outbox
from servicekit.testing import row_counts
from tests.fixtures import service_fixtures
from tests.waiver.builders import Ledger
from waiver import orm
from waiver.unit_of_work import WaiverUnitOfWork


service_db, waiver_db, session_factory, uow_factory, app, client = service_fixtures("waiver", WaiverUnitOfWork)


class Clock:
    """The app's clock: the real time unless a test sets `at`."""

    def __init__(self):
        self.at = None

    def __call__(self):
        return self.at or datetime.now(timezone.utc)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def app_settings(tmp_path, clock):
    return dict(clock=clock, documents_dir=str(tmp_path / "documents"), bank_batch_dir=str(tmp_path / "bank"))


@pytest.fixture
def ledger(session_factory):
    return Ledger(session_factory)


# The tables a refused request must not touch.
UNTOUCHED = [orm.deductions, orm.pool_usages, orm.waived_lines, orm.idempotency_keys, orm.claims,
             orm.claim_documents, orm.family_bindings, outbox]


@pytest.fixture
def counts(session_factory):
    """Row counts of the tables a refused request must not touch, and the pools' used millilitres."""
    def snapshot() -> dict:
        with session_factory() as s:
            used_ml = s.execute(select(func.coalesce(func.sum(orm.pools.c.used_ml), 0))).scalar_one()
        return {**row_counts(session_factory, UNTOUCHED), "used_ml": used_ml}
    return snapshot
