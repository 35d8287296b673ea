"""Unit of work: one session, one transaction; events become outbox rows in the same commit."""
from __future__ import annotations

import logging
from typing import Any, Callable, Mapping

from marshmallow import Schema
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from . import outbox
from .audit import AUDIT_HOOK
from .envelope import Envelope

log = logging.getLogger(__name__)


class SqlAlchemyUnitOfWork:
    """Rolls back unless `commit()` is called. Re-entrant: a use case called inside another
    (a consumer's inbox claim wraps the handler's use case) joins the outer transaction, and
    only the outermost `commit()` commits.

    Events reach the outbox two ways: aggregates append to their own `events` list (collected from
    every object the session knows), or a use case calls `publish(event)` for facts that belong to
    no loaded aggregate. Only event classes listed in `published` leave the service.
    """

    def __init__(self, session_factory: sessionmaker, *, source: str,
                 published: Mapping[type, Schema], read_only: bool = False):
        self.session_factory = session_factory
        self.read_only = read_only
        self.source = source
        self.topic = f"{source}.events"
        self.published = published
        self._depth = 0
        self.session: Session | None = None
        self._pending: list[Any] = []

    def __enter__(self):
        self._depth += 1
        if self._depth == 1:
            self.session = self.session_factory()
            self._pending = []
            self._after_commit: list[Callable[[], None]] = []
            self._last_writes: list[Callable[[], None]] = []
            # The identity map holds clean objects weakly. Inside a consumer's transaction a use
            # case's commit is deferred, so an aggregate it loaded, changed (autoflushed) and dropped
            # could be garbage-collected with its pending events before the outer commit collects
            # them. Holding every aggregate until the transaction ends keeps their events.
            self._held: list[Any] = []
            event.listen(self.session, "loaded_as_persistent", self._hold)
            event.listen(self.session, "pending_to_persistent", self._hold)
            self.begin()
        return self

    def _hold(self, _session, obj) -> None:
        if isinstance(getattr(obj, "events", None), list):
            self._held.append(obj)

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` once the outermost transaction has committed (a side effect outside the
        database, such as an SMS); dropped if the transaction rolls back."""
        self._after_commit.append(callback)

    def last_before_commit(self, write: Callable[[], None]) -> None:
        """Run `write` in this transaction after every other write (outbox rows included), just before COMMIT.
        For a write that takes a lock every writer queues on, such as the money chain's head: the lock is
        then held for that write and the commit, not for the rest of the transaction's statements."""
        self._last_writes.append(write)

    def begin(self) -> None:
        """Hook for subclasses to build repositories on the new session."""

    def __exit__(self, *exc_info):
        self._depth -= 1
        if self._depth == 0:
            # close() without commit rolls the transaction back (the connection is reset on its way
            # back to the pool) but, unlike rollback(), leaves loaded objects readable for the
            # response that a read-only use case returns.
            self.session.close()
            self.session = None
            self._held = []
            self._after_commit = []
            self._last_writes = []

    def publish(self, event: Any) -> None:
        self._pending.append(event)

    def publish_events_of(self, aggregate: Any) -> None:
        """Queue the events of an aggregate written with Core statements: it is not in the session, so
        commit would not collect them from there. They reach the outbox in this transaction all the same."""
        for event in aggregate.events:
            self.publish(event)
        aggregate.events.clear()

    def commit(self) -> None:
        if self.read_only:
            raise RuntimeError("a read-only unit of work cannot commit (a GET must not change state)")
        if self._depth > 1:
            return  # the outer use case owns the transaction
        self.stage_events()
        audit = self.session.info.get(AUDIT_HOOK)
        if audit is not None:
            audit(self.session)         # the request's audit row, before the writes that take shared locks
        writes, self._last_writes = self._last_writes, []
        for write in writes:
            write()
        self.session.commit()
        self._committed = True
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            try:
                callback()
            except Exception:      # the commit stands; a failed side effect must not fail the request
                log.exception("after-commit callback failed")

    def stage_events(self) -> None:
        """Write the events recorded so far as outbox rows now, in this transaction. Commit does it; a consumer
        applying several events in one transaction calls it after each, so each event's outcome carries that
        event's correlation and trace ids (taken when the row is written), not the last one's."""
        self.session.flush()
        outbox.add_many(self.session, self.envelopes(self._collect()), self.topic)

    def envelopes(self, events) -> list[Envelope]:
        """The envelopes of the events that leave the service, made now: they take the current correlation and
        causation (internal events, not in `published`, stay inside)."""
        made = []
        for event in events:
            schema = self.published.get(type(event))
            if schema is not None:
                made.append(Envelope.new(event.TYPE, event.VERSION, self.source, event.subject, schema.dump(event)))
        return made

    def rollback(self) -> None:
        self._after_commit = []
        self._last_writes = []
        self.session.rollback()

    def _collect(self) -> list[Any]:
        events = []
        for obj in list(self.session.identity_map.values()):
            pending = getattr(obj, "events", None)
            if isinstance(pending, list):
                events.extend(pending)
                pending.clear()
        events.extend(self._pending)
        self._pending = []
        return events
