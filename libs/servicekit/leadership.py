"""One active relay per service: a PostgreSQL session-level advisory lock decides which replica publishes.

Two relays publishing at once can reorder a key's events (each sends its own batch). So every relay replica
asks for the same advisory lock on a connection of its own; the one that has it publishes, the others wait
and ask again every `retry_s`. The lock belongs to that connection's session: when the leader dies (SIGKILL,
node lost) its connection closes, PostgreSQL releases the lock, and a standby has it at its next try.

A leader whose lock connection breaks stops publishing before its next batch (`held()` pings the connection
first): once the connection is gone, another relay may already hold the lock. A batch already under way when
the connection breaks is fenced by its row locks: the relay's `FOR UPDATE` (without SKIP LOCKED) makes the
new leader wait for that batch's transaction before it reads the rows after it.

SQLite runs one relay process per database, so its leadership is always held (`AlwaysLeader`).
"""
from __future__ import annotations

import contextlib
import hashlib
import logging
import os

import psycopg
from psycopg.conninfo import make_conninfo
from sqlalchemy.engine import make_url

from .db import is_sqlite

log = logging.getLogger(__name__)


def lock_key(name: str) -> int:
    """The advisory lock's 64-bit key for `name` (a service's outbox): stable across processes and releases."""
    digest = hashlib.blake2b(f"servicekit.relay:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class AlwaysLeader:
    """The one relay of a SQLite database (or a test's relay): always the publisher."""

    is_leader = True
    retry_s = 1.0

    def held(self) -> bool:
        return True

    def close(self) -> None:
        pass


class AdvisoryLeadership:
    """`held()` is True while this process holds the lock; it tries to take it when it does not."""

    retry_s = 1.0       # how often a standby asks: a leader's death is followed within about this long

    def __init__(self, database_url: str, name: str, *, retry_s: float | None = None):
        url = make_url(database_url)
        self.name = name
        self.key = lock_key(name)
        if retry_s is not None:
            self.retry_s = retry_s
        # Keepalives as on the listening connection (servicekit.wakeup): a half-open socket is noticed in about a
        # minute, not after two hours. The application name lets an operator see who leads (pg_stat_activity).
        self.conninfo = make_conninfo(host=url.host, port=url.port, dbname=url.database, user=url.username,
                                      password=url.password, application_name=f"{name} relay {os.getpid()}",
                                      **{k: v for k, v in url.query.items() if isinstance(v, str)})
        self.conn: psycopg.Connection | None = None
        self.is_leader = False

    def held(self) -> bool:
        """Before each batch: still the leader (the lock connection answers), or now the leader (lock taken)."""
        try:
            if self.conn is None:
                self.conn = psycopg.connect(self.conninfo, autocommit=True, connect_timeout=2, keepalives=1,
                                            keepalives_idle=10, keepalives_interval=5, keepalives_count=3,
                                            tcp_user_timeout=25000)
                # The server's side of the same: a leader whose node vanished without closing its socket keeps the
                # lock until the server notices, which its default keepalive (the kernel's: two hours) would delay.
                self.conn.execute("SET tcp_keepalives_idle = 10; SET tcp_keepalives_interval = 5; "
                                  "SET tcp_keepalives_count = 3")
            if self.is_leader:
                self.conn.execute("SELECT 1")
                return True
            if self.conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()[0]:
                self.is_leader = True
                log.info("relay leadership acquired", extra={"relay": self.name, "lock_key": self.key})
            return self.is_leader
        except Exception as exc:          # the database is away: whoever we were, we publish nothing now
            self._drop(exc)
            return False

    def _drop(self, exc: Exception) -> None:
        if self.is_leader:
            log.warning("relay leadership lost (lock connection broken)", extra={"relay": self.name,
                                                                                 "error": str(exc)[:200]})
        self._disconnect()

    def close(self) -> None:
        """Closing the session releases the lock: a standby takes over at its next try."""
        if self.is_leader:
            log.info("relay leadership released", extra={"relay": self.name})
        self._disconnect()

    def _disconnect(self) -> None:
        self.is_leader = False
        if self.conn is not None:
            with contextlib.suppress(Exception):     # a broken connection may fail to close: it is gone anyway
                self.conn.close()
        self.conn = None


def leadership_for(database_url: str, name: str):
    """PostgreSQL: the advisory lock; SQLite: always the leader (one relay per database file)."""
    return AlwaysLeader() if is_sqlite(database_url) else AdvisoryLeadership(database_url, name)
