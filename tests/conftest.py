"""Fixtures shared by every test layer: a real broker, throw-away SQLite and PostgreSQL databases."""
from __future__ import annotations

import os

import pytest

from servicekit.broker import LocalBroker
from servicekit.testing import DatabaseFactory, LocalRedis

DB_KINDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def databases(tmp_path_factory):
    factory = DatabaseFactory(tmp_path_factory.mktemp("db"),
                              os.environ.get("PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    yield factory
    factory.drop_all()


@pytest.fixture(params=DB_KINDS)
def db_kind(request):
    """Integration tests run once on SQLite (embedded default) and once on PostgreSQL (production)."""
    return request.param


@pytest.fixture(scope="session")
def broker():
    """A real Tansu broker on a free port for the whole session."""
    b = LocalBroker().start()
    yield b
    b.stop()




@pytest.fixture(scope="session")
def redis_server():
    """Debian's redis-server on a free port for the session: the rate-limit storage the gateways share."""
    server = LocalRedis().start()
    yield server
    server.stop()


@pytest.fixture
def app_settings():
    """Extra keyword arguments of a service's `create_app` in its integration tests (a conftest overrides it)."""
    return {}
