"""Parked keys: after a dead letter, a key's later events wait instead of being applied out of order.

A consumer that dead-letters an event of key K and still applies K's next event applies a change to something
whose earlier change it never made (an update of a record whose creation it skipped). So the dead letter is kept in
the consumer's database (`parked_events`, dead_letter true) as well as on the dead-letter topic, and every
later event of K is parked behind it, in the order received, each in the same transaction as its inbox claim.
Other keys flow on. `python -m <service>.dlq` lists the dead letters and releases a key:

- replay: apply the dead letter (its handler fixed meanwhile), then the parked events, in order;
- discard: drop the dead letter (it stays claimed in the inbox: never applied), then apply the parked ones.

Each release step is one transaction that holds the key's parked rows FOR UPDATE; the consumer reads them FOR
SHARE before it parks or applies an event of the key, so an event arriving during a release is either parked
before the release reaches the end, or applied after it.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from . import context
from .db import is_sqlite
from .envelope import Envelope, parse
from .tables import parked_events

log = logging.getLogger(__name__)


class ReleaseError(Exception):
    """A release that could not be done (unknown id, or a handler that still fails); the message says why."""


def _locked(stmt, session: Session, *, share: bool):
    return stmt if is_sqlite(session.get_bind()) else stmt.with_for_update(read=share)


def is_parked(session: Session, consumer: str, key: str) -> bool:
    """True while `key` has a dead letter waiting; holds its rows FOR SHARE until the caller's commit."""
    stmt = (select(parked_events.c.seq)
            .where(parked_events.c.consumer == consumer, parked_events.c.key == key))
    return bool(session.execute(_locked(stmt, session, share=True)).first())


def parked_keys(session: Session, consumer: str, keys: set[str]) -> set[str]:
    """Which of `keys` have a dead letter waiting (`is_parked` for several keys, in one read, FOR SHARE)."""
    if not keys:
        return set()
    stmt = (select(parked_events.c.key)
            .where(parked_events.c.consumer == consumer, parked_events.c.key.in_(keys)))
    return set(session.execute(_locked(stmt, session, share=True)).scalars())


def park(session: Session, consumer: str, record, envelope: Envelope, *, dead_letter: bool,
         error: str | None = None) -> None:
    """Keep `record` (already claimed in the inbox by the caller's transaction) until its key is released."""
    session.execute(parked_events.insert().values(
        consumer=consumer, key=envelope.subject, event_id=envelope.id, event_type=envelope.type,
        dead_letter=dead_letter, value=record.value.decode(),
        headers=[[k, v.decode(errors="replace")] for k, v in (record.headers or [])],
        source=f"{record.topic}:{record.partition}:{record.offset}",
        error=error[:1000] if error else None, parked_at=datetime.now(timezone.utc)))


@dataclass(frozen=True)
class DeadLetter:
    event_id: str
    key: str
    event_type: str
    source: str
    error: str | None
    parked_at: datetime
    waiting: int            # later events of the key parked behind it

    def as_dict(self) -> dict:
        return {"event_id": self.event_id, "key": self.key, "event_type": self.event_type, "source": self.source,
                "error": self.error, "parked_at": self.parked_at.isoformat(), "waiting": self.waiting}


def dead_letters(processor) -> list[DeadLetter]:
    """The consumer's dead letters, oldest first, each with how many events wait behind it."""
    consumer = processor.group
    waiting = (select(parked_events.c.key, func.count().label("n"))
               .where(parked_events.c.consumer == consumer, parked_events.c.dead_letter.is_(False))
               .group_by(parked_events.c.key).subquery())
    stmt = (select(parked_events, func.coalesce(waiting.c.n, 0).label("waiting"))
            .outerjoin(waiting, waiting.c.key == parked_events.c.key)
            .where(parked_events.c.consumer == consumer, parked_events.c.dead_letter.is_(True))
            .order_by(parked_events.c.seq))
    with processor.uow_factory() as uow:
        return [DeadLetter(r.event_id, r.key, r.event_type, r.source, r.error, r.parked_at, r.waiting)
                for r in uow.session.execute(stmt)]


def release(processor, event_id: str, *, replay: bool) -> int:
    """Release the key of dead letter `event_id`: replay (apply it) or discard it, then apply the events parked
    behind it in order. Returns how many events were applied. Raises ReleaseError, changing nothing, for an
    unknown id or a dead letter whose handler still fails; a parked event that fails becomes the key's dead
    letter (the ones before it stay applied) and the error says so."""
    consumer = processor.group
    with processor.uow_factory() as uow:        # a read: leaving without commit rolls back
        head = uow.session.execute(select(parked_events).where(parked_events.c.consumer == consumer,
                                                               parked_events.c.event_id == event_id)).first()
    if head is None:
        raise ReleaseError(f"没有编号为 {event_id} 的死信 (no dead letter {event_id} for consumer {consumer})")
    if not head.dead_letter:
        raise ReleaseError(f"事件 {event_id} 在等待死信，不是死信本身 (event {event_id} is parked behind a dead "
                           f"letter of key {head.key}; replay or discard that one)")
    applied = 0
    while True:
        step = _release_step(processor, head.key, apply_dead_letter=replay)
        if step is None:
            break
        applied += step
    log.info("parked key released", extra={"consumer": consumer, "key": head.key, "dead_letter": event_id,
                                           "replayed": replay, "applied": applied})
    return applied


def _release_step(processor, key: str, *, apply_dead_letter: bool) -> int | None:
    """Apply or drop the key's first parked row in one transaction; None when the key has none left."""
    consumer = processor.group
    uow = processor.uow_factory()
    with uow:
        rows = uow.session.execute(_locked(
            select(parked_events).where(parked_events.c.consumer == consumer, parked_events.c.key == key)
            .order_by(parked_events.c.seq), uow.session, share=False)).all()
        if not rows:
            return None
        row = rows[0]
        apply = apply_dead_letter or not row.dead_letter
        if apply:
            envelope = parse(row.value.encode())
            handler = processor.handlers.get((envelope.type, envelope.version))
            try:
                if handler is not None:      # a handler removed since: nothing to apply, as the consumer would
                    with context.caused_by(envelope):
                        handler(uow, envelope)
                uow.session.execute(delete(parked_events).where(parked_events.c.seq == row.seq))
                uow.commit()
            except Exception as exc:
                uow.rollback()
                _fail(processor, row, exc)
        else:
            uow.session.execute(delete(parked_events).where(parked_events.c.seq == row.seq))
            uow.commit()
        return 1 if apply else 0


def _fail(processor, row, exc: Exception):
    log.warning("parked event failed on release", extra={"event_id": row.event_id, "event_type": row.event_type,
                                                        "error": repr(exc)[:500]})
    if row.dead_letter:
        raise ReleaseError(f"死信 {row.event_id} 仍然处理失败，未做任何更改 (dead letter {row.event_id} still "
                           f"fails, nothing changed): {exc!r}") from exc
    uow = processor.uow_factory()
    with uow:
        uow.session.execute(update(parked_events).where(parked_events.c.seq == row.seq)
                            .values(dead_letter=True, error=repr(exc)[:1000]))
        uow.commit()
    raise ReleaseError(f"事件 {row.event_id} 处理失败，现为该键的死信 (parked event {row.event_id} failed and is "
                       f"now the dead letter of key {row.key}; the events before it were applied): {exc!r}") from exc


def dumps(letters: list[DeadLetter]) -> str:
    return "\n".join(json.dumps(d.as_dict(), ensure_ascii=False) for d in letters)
