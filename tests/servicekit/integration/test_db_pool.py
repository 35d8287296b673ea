"""Disconnect handling on PostgreSQL: a connection that sat idle is pinged before use, one in use a moment
ago is not (that round trip is what pool_pre_ping would add to every request)."""
import time

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from servicekit.db import make_engine


def _kill_pooled_backend(url: str, engine) -> None:
    """Terminate the server process behind the engine's (only) pooled connection, as a restart would."""
    with engine.connect() as conn:
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    admin.dispose()


@pytest.fixture
def pg_url(databases):
    return databases.empty("postgresql")


def test_a_connection_idle_past_the_threshold_is_pinged_and_replaced_when_dead(pg_url):
    engine = make_engine(pg_url, pool_size=1, max_overflow=0, ping_idle_s=0.05)
    try:
        _kill_pooled_backend(pg_url, engine)
        time.sleep(0.1)
        with engine.connect() as conn:               # the dead connection is found before the request uses it
            assert conn.execute(text("SELECT 1")).scalar_one() == 1
    finally:
        engine.dispose()


def test_a_connection_used_a_moment_ago_is_not_pinged(pg_url):
    engine = make_engine(pg_url, pool_size=1, max_overflow=0, ping_idle_s=60)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        pings = []
        original = engine.dialect.do_ping
        engine.dialect.do_ping = lambda dbapi_conn: pings.append(1) or original(dbapi_conn)
        for _ in range(5):
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        assert pings == []
        # Without the ping, a restart inside the threshold costs one failed statement; the pool is then
        # invalidated and the next checkout reconnects.
        _kill_pooled_backend(pg_url, engine)
        with pytest.raises(OperationalError), engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        with engine.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar_one() == 1
    finally:
        engine.dispose()
