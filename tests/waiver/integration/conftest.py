from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from servicekit.db import make_engine, make_session_factory
from servicekit.tables import outbox
from tests.helpers import JWT_SECRET, PII_KEY
from tests.waiver.builders import Ledger
from waiver import orm
from waiver.app import create_app


@pytest.fixture
def waiver_db(databases, db_kind):
    return databases.new("waiver", db_kind)


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
def app(waiver_db, tmp_path, clock):
    return create_app(database_url=waiver_db, jwt_secret=JWT_SECRET, pii_key=PII_KEY, clock=clock,
                      documents_dir=str(tmp_path / "documents"), bank_batch_dir=str(tmp_path / "bank"))


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def sf(waiver_db):
    engine = make_engine(waiver_db)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def ledger(sf):
    return Ledger(sf)


class Counter:
    """Row counts of the tables a refused request must not touch."""

    TABLES = {"deductions": orm.deductions, "pool_usages": orm.pool_usages, "waived_lines": orm.waived_lines,
              "idempotency_keys": orm.idempotency_keys, "claims": orm.claims, "claim_documents": orm.claim_documents,
              "family_bindings": orm.family_bindings, "outbox": outbox}

    def __init__(self, sf):
        self.sf = sf

    def __call__(self) -> dict:
        with self.sf() as s:
            counts = {name: s.execute(select(func.count()).select_from(t)).scalar_one()
                      for name, t in self.TABLES.items()}
            counts["used_ml"] = s.execute(select(func.coalesce(func.sum(orm.pools.c.used_ml), 0))).scalar_one()
        return counts


@pytest.fixture
def counts(sf):
    return Counter(sf)
