"""How an idle relay learns that the outbox has new rows: its commit tells it, on PostgreSQL and on SQLite.

Polling every 50 ms kept each idle relay and its database busy around the clock (a query and a transaction
twenty times a second, per relay, per replica). On PostgreSQL a statement trigger on the outbox sends a
notification when a transaction that wrote outbox rows commits (NOTIFY is transactional: a rolled-back
write sends nothing), and the relay sleeps on its listening connection until one arrives.

SQLite has no notifications between processes (its update hook is in-process, and the writers are the APIs and
consumers, not the relay), and watching the database file would wake the relay on every write of every table.
So the writer says it: a session that staged outbox rows sends, once it has committed, one empty datagram to a
Unix socket named after the database file, on which the relay sleeps (`SocketWakeup`). Nobody listening (no
relay, or not yet) costs the writer one failed non-blocking send.

Either way the relay still polls now and then (`fallback_poll_s`): a wake-up can be missed (the listening
connection or socket being re-established, a writer that staged rows some other way), and `replay` re-queues
rows without inserting any.
"""
from __future__ import annotations

import functools
import hashlib
import logging
import os
import select
import socket
import sys
import threading
import time

import psycopg
from psycopg.conninfo import make_conninfo
from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

CHANNEL = "outbox"

# Installed by each service's migration. FOR EACH STATEMENT: one notification per INSERT, however many rows;
# PostgreSQL also folds identical notifications of one transaction into one.
TRIGGER_SQL = (
    f"""CREATE OR REPLACE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('{CHANNEL}', '');
    RETURN NULL;
END $$""",
    "DROP TRIGGER IF EXISTS outbox_notify ON outbox",
    "CREATE TRIGGER outbox_notify AFTER INSERT ON outbox FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify()",
)


def install_trigger(bind) -> None:
    """Create the notifying trigger (PostgreSQL only; on SQLite the writer wakes the relay, `notify_local`)."""
    if bind.dialect.name == "postgresql":
        for statement in TRIGGER_SQL:
            bind.exec_driver_sql(statement)


def remove_trigger(bind) -> None:
    if bind.dialect.name == "postgresql":
        bind.exec_driver_sql("DROP TRIGGER IF EXISTS outbox_notify ON outbox")
        bind.exec_driver_sql("DROP FUNCTION IF EXISTS outbox_notify()")


class TimedWakeup:
    """Sleeps the whole idle interval (SQLite, or any database without notifications)."""

    fallback_poll_s = 0.05      # the poll is the only way to notice rows: it bounds publish latency

    def start(self) -> None:
        pass

    def wait(self, stop: threading.Event, timeout_s: float) -> None:
        stop.wait(timeout_s)

    def drain(self) -> None:
        pass

    def close(self) -> None:
        pass


class NotifyWakeup:
    """Returns as soon as a notification arrives on CHANNEL, or after `timeout_s`, or once `stop` is set.

    Its own autocommit connection (not one from the pool: it is held for the relay's lifetime). Any error on
    it (a database restart) drops it: the relay falls back to timed polls until it is back."""

    STOP_CHECK_S = 0.5      # how often a long wait looks at `stop` (shutdown is never slower than this)
    fallback_poll_s = 2.0   # a notification normally ends the wait; this poll is the safety net

    def __init__(self, database_url: str):
        url = make_url(database_url)
        # Built from the parts (libpq quoting), not by rendering the URL: a space in a password or database
        # name would survive rendering and be refused by libpq. Keepalives: a half-open socket (a node gone,
        # a NAT entry dropped) is noticed in about a minute, not after the kernel's two hours.
        self.conninfo = make_conninfo(host=url.host, port=url.port, dbname=url.database, user=url.username,
                                      password=url.password, **{k: v for k, v in url.query.items() if isinstance(v, str)})
        self.conn: psycopg.Connection | None = None
        self._outage = False

    def start(self) -> None:
        """Listen before the relay's first poll, so a commit between that poll and the first wait is heard."""
        if self.conn is not None:
            return
        try:
            self.conn = psycopg.connect(self.conninfo, autocommit=True, connect_timeout=2, keepalives=1,
                                        keepalives_idle=30, keepalives_interval=10, keepalives_count=3)
            self.conn.execute(f"LISTEN {CHANNEL}")
        except Exception as exc:          # whatever it is, the relay must go on (by polling)
            self._lost("relay cannot listen for outbox notifications, polling until it can: %s", exc)
            return
        if self._outage:
            log.info("relay listens for outbox notifications again")
            self._outage = False

    def _lost(self, message: str, exc: Exception) -> None:
        """Log an outage once, not on every retry (a retry comes about once a second)."""
        (log.debug if self._outage else log.warning)(message, exc)
        self._outage = True
        self.close()

    def wait(self, stop: threading.Event, timeout_s: float) -> None:
        if self.conn is None:
            self.start()
            if self.conn is not None:
                return          # listening again: rows committed while it was not are found by one poll now
            stop.wait(min(timeout_s, 1.0))
            return
        deadline = time.monotonic() + timeout_s
        try:
            while not stop.is_set():
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                if any(True for _ in self.conn.notifies(timeout=min(left, self.STOP_CHECK_S), stop_after=1)):
                    return
        except Exception as exc:
            self._lost("relay lost its notification connection, polling until it is back: %s", exc)

    def drain(self) -> None:
        """Swallow the notifications already received; the relay calls it before each poll, which takes all
        their rows. A relay kept busy never waits, and unread notifications would pile up in its socket, then
        stall its backend and hold back the server's notification queue for every database user."""
        if self.conn is None:
            return
        try:
            for _ in self.conn.notifies(timeout=0):
                pass
        except Exception as exc:
            self._lost("relay lost its notification connection, polling until it is back: %s", exc)

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.close()
            except Exception:
                pass
            self.conn = None


@functools.lru_cache(maxsize=64)        # called after every commit that staged events: computed once per database
def socket_address(database_url) -> str | None:
    """The relay's wake-up socket for a SQLite database file: a Linux abstract socket (no file to clean up, no
    path-length limit) named by the file's absolute path, so every process opening the same file finds it. None
    for an in-memory database or where abstract sockets do not exist (there the relay polls)."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:" \
            or not sys.platform.startswith("linux"):
        return None
    digest = hashlib.sha1(os.path.realpath(url.database).encode()).hexdigest()[:20]
    return f"\0servicekit-outbox-{digest}"


def notify_local(database_url) -> None:
    """Wake the relay of this SQLite database after a commit that staged outbox rows (nothing elsewhere:
    PostgreSQL's trigger notifies by itself). Never raises: a lost wake-up is the fallback poll's job."""
    address = socket_address(database_url)
    if address is None:
        return
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.setblocking(False)
            sock.sendto(b"", address)
    except OSError:         # no relay listening (ECONNREFUSED), or its queue full of wake-ups already (EAGAIN)
        pass


class SocketWakeup:
    """Returns as soon as a datagram arrives on the database's wake-up socket, or after `timeout_s`, or once
    `stop` is set. A second relay on the same file cannot bind it (one publishes on SQLite anyway) and polls."""

    STOP_CHECK_S = 0.5
    fallback_poll_s = 2.0

    def __init__(self, database_url: str):
        self.address = socket_address(database_url)
        self.sock: socket.socket | None = None

    def start(self) -> None:
        if self.sock is not None or self.address is None:
            return
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            sock.bind(self.address)
        except OSError as exc:
            sock.close()
            log.warning("relay cannot listen for outbox wake-ups, polling every %.1fs: %s", self.fallback_poll_s, exc)
            self.address = None
            return
        sock.setblocking(False)
        self.sock = sock

    def wait(self, stop: threading.Event, timeout_s: float) -> None:
        if self.sock is None:
            stop.wait(timeout_s)
            return
        deadline = time.monotonic() + timeout_s
        while not stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            readable, _, _ = select.select([self.sock], [], [], min(left, self.STOP_CHECK_S))
            if readable:
                return

    def drain(self) -> None:
        """Swallow the wake-ups received so far: the poll that follows takes all their rows."""
        if self.sock is None:
            return
        try:
            while True:
                self.sock.recv(16)
        except BlockingIOError:
            pass

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None


def wakeup_for(database_url: str):
    if make_url(database_url).get_backend_name() == "postgresql":
        return NotifyWakeup(database_url)
    return SocketWakeup(database_url) if socket_address(database_url) else TimedWakeup()
