"""Engine and session factory for SQLite (embedded default) and PostgreSQL (production)."""
from __future__ import annotations

import time
from datetime import timezone

from sqlalchemy import DateTime, create_engine, event, exc
from sqlalchemy.dialects.sqlite import DATETIME as SQLITE_DATETIME
from sqlalchemy.engine import Engine
from sqlalchemy.sql import sqltypes
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.types import TypeDecorator


def is_sqlite(engine_or_url) -> bool:
    url = getattr(engine_or_url, "url", engine_or_url)
    return str(url).startswith("sqlite")


class UtcSqliteDateTime(SQLITE_DATETIME):
    """SQLite keeps no time zone: store aware datetimes as UTC and read them back as aware UTC.

    Without this a `+08:00` time from a client would be stored as its wall-clock digits and read back
    eight hours off, and every timestamp would leave the API without an offset.
    """

    def bind_processor(self, dialect):
        base = super().bind_processor(dialect)

        def process(value):
            if value is not None and self.timezone and value.tzinfo is not None:
                value = value.astimezone(timezone.utc).replace(tzinfo=None)
            return base(value) if base else value

        return process

    def result_processor(self, dialect, coltype):
        base = super().result_processor(dialect, coltype)

        def process(value):
            value = base(value) if base else value
            if value is not None and self.timezone and value.tzinfo is None:
                value = value.replace(tzinfo=timezone.utc)
            return value

        return process


def as_utc(moment):
    """Aware UTC. The naive-time rule, everywhere: a naive value is taken as UTC (SQLite hands every stored
    time back naive, and what we store is UTC), never as local time."""
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


class UtcDateTime(TypeDecorator):
    """The column type for every timestamp: written as UTC, read back as aware UTC on every database.

    A `+08:00` input is converted before it is written (stored as its wall-clock digits, it would compare
    wrongly against `expires_at > now` on SQLite); naive values follow `as_utc`.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return as_utc(value)

    def process_result_value(self, value, dialect):
        return as_utc(value)


def make_engine(url: str, **kwargs) -> Engine:
    """Create an engine; SQLite gets WAL, a busy timeout and BEGIN IMMEDIATE writes.

    SQLite's default deferred transactions upgrade read locks to write locks lazily, which
    deadlocks two writers ("database is locked" without waiting). Starting every transaction
    with BEGIN IMMEDIATE serialises writers through the busy timeout instead, so read-check-write
    use cases (quotas, stock) are correct on the embedded database too.
    """
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs)
        engine.dialect.colspecs = {**engine.dialect.colspecs, sqltypes.DateTime: UtcSqliteDateTime}

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn, _record):
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn):
            # Read-only sessions (see read_only_session_factory) begin DEFERRED so reads never queue
            # behind the write lock; everything else takes the write lock up front.
            conn.exec_driver_sql(f"BEGIN {conn.get_execution_options().get('sqlite_begin', 'IMMEDIATE')}")

        return engine
    ping_idle_s = kwargs.pop("ping_idle_s", PING_IDLE_S)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    engine = create_engine(url, **kwargs)
    ping_when_idle(engine, ping_idle_s)
    return engine


PING_IDLE_S = 1.0


def ping_when_idle(engine: Engine, idle_s: float) -> None:
    """Pessimistic disconnect handling, paid only by connections that sat idle in the pool.

    `pool_pre_ping` costs a round trip on every checkout, two of the ~20 a money write makes. A connection
    checked in a moment ago was alive a moment ago; one that sat idle for longer than `idle_s` may have
    been closed by a database restart or failover, so it is pinged, and a dead one is replaced before
    the request sees it (raising DisconnectionError makes the pool retry with a fresh connection). A
    restart inside the last `idle_s` still reaches a request as one failed statement; SQLAlchemy then
    invalidates the whole pool, so the next checkout reconnects.
    """
    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_conn, record):
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_conn, record, _proxy):
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since <= idle_s:
            return                      # a new connection, or one in use a moment ago
        try:
            engine.dialect.do_ping(dbapi_conn)      # the dialect's own ping (outside any transaction)
        except Exception as error:
            raise exc.DisconnectionError(f"idle connection is dead: {error}") from error


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def read_only_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions for queries: on SQLite they BEGIN DEFERRED (a shared read, WAL lets writers go on)."""
    return sessionmaker(bind=engine.execution_options(sqlite_begin="DEFERRED"), expire_on_commit=False)


def insert_of(table, engine_or_session):
    """The database's own INSERT of `table` (with `on_conflict_do_nothing` / `on_conflict_do_update`)."""
    from sqlalchemy.dialects import postgresql, sqlite

    bind = engine_or_session.get_bind() if isinstance(engine_or_session, Session) else engine_or_session
    return (sqlite if is_sqlite(bind) else postgresql).insert(table)


def for_update(stmt, engine_or_session, **kwargs):
    """Add FOR UPDATE where the database has it (SQLite locks the whole file instead)."""
    bind = engine_or_session.get_bind() if isinstance(engine_or_session, Session) else engine_or_session
    return stmt if is_sqlite(bind) else stmt.with_for_update(**kwargs)
