"""Transactional outbox: rows written with the state change, published later by the relay."""
from __future__ import annotations

import json
import logging
import threading
from datetime import datetime, timezone

from sqlalchemy import event, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from . import heartbeat, metrics
from .db import for_update
from .envelope import Envelope
from .leadership import AlwaysLeader
from .tables import outbox
from .wakeup import TimedWakeup, notify_local

log = logging.getLogger(__name__)


_INSERT = outbox.insert()     # built once; the row comes as parameters


def add(session: Session, envelope: Envelope, topic: str) -> None:
    """Stage an event in the caller's transaction: it exists only if the caller commits."""
    add_many(session, [envelope], topic)


def add_many(session: Session, envelopes: list[Envelope], topic: str) -> None:
    """Stage events in the caller's transaction, in this order, with one statement: a bulk import's batch
    stages thousands, and one INSERT per event would be a round trip each."""
    insert_rows(session, rows(envelopes, topic))


def rows(envelopes: list[Envelope], topic: str) -> list[dict]:
    """The outbox rows of these events. Their headers carry the current span's traceparent, so a caller that
    stages events of several causes at once builds each cause's rows inside that cause's span."""
    now = datetime.now(timezone.utc)
    return [{
        "event_id": envelope.id,
        "topic": topic,
        "key": envelope.subject,
        "type": envelope.type,
        "version": envelope.version,
        "payload": envelope.to_json().decode(),
        "headers": [[k, v.decode()] for k, v in envelope.headers()],
        "created_at": now,
        "attempts": 0,
    } for envelope in envelopes]


def insert_rows(session: Session, rows: list[dict]) -> None:
    """One statement for all of them, in the caller's transaction."""
    if not rows:
        return
    session.execute(_INSERT, rows[0] if len(rows) == 1 else rows)
    session.info[_STAGED] = True


_STAGED = "servicekit.outbox.staged"     # session.info flag: this transaction wrote outbox rows


@event.listens_for(Session, "after_commit")
def _wake_relay(session: Session) -> None:
    """The rows are committed: wake the relay now instead of at its next poll (servicekit.wakeup)."""
    if session.info.pop(_STAGED, False):
        notify_local(session.get_bind().url)


@event.listens_for(Session, "after_rollback")
def _forget_staged(session: Session) -> None:
    session.info.pop(_STAGED, None)


class Relay:
    """Publishes unpublished outbox rows oldest first; marks them only after the broker's ack.

    Answers to the classic relay bugs: one relay per service publishes at a time (`leadership`, an advisory
    lock on PostgreSQL, servicekit.leadership), so a key's events leave in commit order however many replicas
    run; the rows of a batch are locked FOR UPDATE (waiting, not SKIP LOCKED), so a relay that just lost its
    lock mid-batch and the next leader never have two batches out at once; a crashed relay holds no lock; only
    the acknowledged prefix of a batch is marked, so a batch that partly failed re-sends only from its first
    failed row; an idle relay waits until the commit of new rows wakes it (a notification on PostgreSQL, a
    datagram on SQLite: servicekit.wakeup), polling every couple of seconds as the safety net; a down broker
    is retried with exponential back-off; SIGTERM finishes the current batch (stop is checked between batches).
    """

    def __init__(self, session_factory: sessionmaker, producer=None, *, producer_factory=None,
                 batch_size: int = 200, ack_timeout_s: float = 10.0, idle_sleep_s: float = 0.025,
                 max_idle_sleep_s: float = 0.05, max_backoff_s: float = 5.0, wakeup=None, leadership=None):
        """Pass a `producer`, or a `producer_factory` to (re)create one while the broker is unreachable.
        `wakeup` (servicekit.wakeup) ends an idle wait early when rows arrive; without one, idle waits are
        plain sleeps of up to `max_idle_sleep_s`. `leadership` (servicekit.leadership) says whether this relay
        may publish now; without one it always may."""
        self.session_factory = session_factory
        self.producer = producer
        self.producer_factory = producer_factory
        self.batch_size = batch_size
        self.ack_timeout_s = ack_timeout_s
        self.idle_sleep_s = idle_sleep_s
        self.max_idle_sleep_s = max_idle_sleep_s  # polling only: bounds publish latency; notified, a safety net
        self.max_backoff_s = max_backoff_s
        self.wakeup = wakeup or TimedWakeup()
        self.leadership = leadership or AlwaysLeader()

    @property
    def is_leader(self) -> bool:
        """Whether this relay is the service's publisher (for metrics and probes)."""
        return self.leadership.is_leader

    def publish_batch(self) -> int:
        """Publish one batch; returns how many rows were published. Raises if the broker fails, after marking
        the rows acknowledged before the first failure (the failed row and every later one stay unpublished)."""
        if self.producer is None:
            self.producer = self.producer_factory()  # raises while the broker is down
        failure: Exception | None = None
        with self.session_factory() as session, session.begin():
            stmt = (select(outbox).where(outbox.c.published_at.is_(None))
                    .order_by(outbox.c.seq).limit(self.batch_size))
            rows = session.execute(for_update(stmt, session)).all()
            if not rows:
                return 0
            futures = [
                self.producer.send(
                    row.topic,
                    key=row.key.encode(),
                    value=row.payload.encode(),
                    headers=[(k, v.encode()) for k, v in row.headers],
                )
                for row in rows
            ]
            try:
                self.producer.flush(timeout=self.ack_timeout_s)
            except Exception as exc:   # a timeout: the futures below say which records made it
                failure = exc
            acknowledged = 0
            for future in futures:
                try:
                    future.get(timeout=self.ack_timeout_s if failure is None else 0)
                except Exception as exc:
                    failure = exc
                    break
                acknowledged += 1
            # Only the contiguous acknowledged prefix: marking a later row while an earlier one is re-sent
            # would let the later one reach consumers first (order is per key, and keys share batches).
            now = datetime.now(timezone.utc)
            if acknowledged:
                session.execute(
                    update(outbox)
                    .where(outbox.c.seq.in_([r.seq for r in rows[:acknowledged]]))
                    .values(published_at=now, attempts=outbox.c.attempts + 1)
                )
            if acknowledged < len(rows):
                session.execute(update(outbox).where(outbox.c.seq == rows[acknowledged].seq)
                                .values(attempts=outbox.c.attempts + 1, last_error=repr(failure)[:1000]))
        if failure is not None and acknowledged < len(rows):
            log.warning("relay batch partly published", extra={"acknowledged": acknowledged, "batch": len(rows)})
            raise failure
        return acknowledged

    def run(self, stop: threading.Event) -> None:
        backoff = self.idle_sleep_s
        self.wakeup.start()
        while not stop.is_set():
            heartbeat.beat()
            self.wakeup.drain()                   # this poll answers every notification received so far
            leading = self.leadership.held()
            metrics.RELAY_LEADER.labels(getattr(self.leadership, "name", "local")).set(1 if leading else 0)
            if not leading:                       # a standby (or a leader that lost its lock) publishes nothing
                stop.wait(self.leadership.retry_s)
                continue
            try:
                published = self.publish_batch()
            except Exception as exc:  # broker or database down, timeout: nothing was marked, retry later
                # A new producer (fresh metadata) helps after a broker restart; after a database error the
                # producer is fine, and rebuilding it would only cost a reconnect.
                if self.producer_factory is not None and self.producer is not None \
                        and not isinstance(exc, SQLAlchemyError):
                    self._drop_producer()
                backoff = min(max(backoff * 2, 0.2), self.max_backoff_s)
                log.warning("relay publish failed, retrying in %.2fs: %s", backoff, exc)
                stop.wait(backoff)
                continue
            if published >= self.batch_size:
                backoff = self.idle_sleep_s       # a backlog: take the next batch at once
            elif published:
                # A trickle: wait a moment so the next batch carries several rows. Each batch costs a
                # transaction and a broker round trip, so one row per batch costs the relay, the broker and
                # the database several times over under load; the wait adds at most idle_sleep_s to latency.
                log.debug("relay published %d events", published)
                backoff = self.idle_sleep_s
                stop.wait(backoff)
            else:
                backoff = min(max(backoff * 1.5, self.idle_sleep_s), self.max_idle_sleep_s)
                self.wakeup.wait(stop, backoff)


    def _drop_producer(self) -> None:
        """Recreate the producer after a failure: after a broker restart it needs fresh metadata."""
        try:
            self.producer.close(timeout=1)
        except Exception:
            pass
        self.producer = None

    def close(self) -> None:
        self.leadership.close()
        self.wakeup.close()
        if self.producer is not None:
            self.producer.close(timeout=5)


def replay(session_factory: sessionmaker, since: datetime | None = None, *, retention_days: float | None = None) -> int:
    """Mark rows created since `since` (all rows when None) unpublished so the relay sends them again.

    The local broker keeps nothing across restarts; consumers are idempotent, so re-sending is safe. With
    `retention_days`, only the kept window is re-sent (rows created within it), whatever `since` says: an older
    event may have lost its consumers' inbox claims, and sent again it would be applied twice (servicekit.retention).
    """
    if retention_days is not None:
        from .retention import outbox_cutoff

        cutoff = outbox_cutoff(retention_days)
        since = cutoff if since is None else max(since, cutoff)
    with session_factory() as session, session.begin():
        stmt = update(outbox).values(published_at=None)
        if since is not None:
            stmt = stmt.where(outbox.c.created_at >= since)
        return session.execute(stmt).rowcount


def pending_count(session_factory: sessionmaker) -> int:
    from sqlalchemy import func

    with session_factory() as session:
        return session.execute(
            select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
        ).scalar_one()


def envelopes(session_factory: sessionmaker) -> list[dict]:
    """All staged events, oldest first (for tests and operators)."""
    with session_factory() as session:
        rows = session.execute(select(outbox.c.payload).order_by(outbox.c.seq)).scalars().all()
        return [json.loads(r) for r in rows]
