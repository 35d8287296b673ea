"""A tiny service of the tests' own: a `ledger` table fed by events, to test the mechanism alone."""
from dataclasses import dataclass

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, select

from servicekit.db import make_engine, make_session_factory
from servicekit.tables import infra_metadata
from servicekit.uow import SqlAlchemyUnitOfWork

metadata = MetaData()
ledger = Table("ledger", metadata, Column("key", String(64), primary_key=True), Column("n", Integer))


@dataclass(frozen=True)
class Noted:
    TYPE = "Noted"
    VERSION = 1
    key: str

    @property
    def subject(self):
        return self.key


class NotedSchema:
    def dump(self, event):
        return {"key": event.key}


def make_uow_factory(session_factory, published=None):
    return lambda: SqlAlchemyUnitOfWork(session_factory, source="test", published=published or {Noted: NotedSchema()})


def note(uow, envelope):
    """Handler: add the event's key to the ledger (a duplicate application would raise)."""
    uow.session.execute(ledger.insert().values(key=envelope.data["key"], n=1))


def ledger_count(session_factory) -> int:
    with session_factory() as s:
        return s.execute(select(func.count()).select_from(ledger)).scalar_one()


@pytest.fixture
def kit_db(databases, db_kind):
    url = databases.empty(db_kind)
    engine = make_engine(url)
    infra_metadata.create_all(engine)
    metadata.create_all(engine)
    yield make_session_factory(engine)
    engine.dispose()
