"""Keeping the outbox and the inbox small: `python -m <service>.jobs prune` (servicekit.periodic runs it).

Every event ever staged stays in the outbox and every event ever applied leaves a claim in the inbox, so both
grow with the service's whole history (3 M events a few years into a region). Neither needs to: once an
event is published and every consumer had the broker's retention to read it, its outbox row is only there for
`relay replay`, and a claim is only there to recognise a redelivery.

The rule (docs/operations.md "Event retention"), with R = EVENT_RETENTION_DAYS (default 7):

- outbox: rows **published** and created more than R ago are deleted; an unpublished row never is, whatever its
  age (it has not reached the broker yet).
- `replay` re-queues the kept window only: rows created within R (servicekit.outbox.replay). Older events are
  not sent again; what they did lives in the services' own tables, which are the record.
- inbox: claims older than R plus a day are deleted, except those of parked events (received, not applied:
  servicekit.parking needs them). Every way an event can come again is inside that window: a replay re-sends
  only events created within R, and the broker keeps an event for its topics' retention (7 days,
  servicekit.topics), which production requires R to cover (BaseConfig.production_problems). The day covers
  clocks that disagree between hosts.

Each batch is one transaction that claims its rows `FOR UPDATE SKIP LOCKED` (replicas of the job take disjoint
batches and never wait for the relay, whose rows are the unpublished ones), so the tables are never locked for
long and a job stopped mid-way has deleted whole batches.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import and_, delete, exists, literal_column, select
from sqlalchemy.orm import sessionmaker

from . import heartbeat
from .db import for_update
from .periodic import Job
from .tables import outbox, parked_events, processed_events

CLOCK_MARGIN = timedelta(days=1)


def outbox_cutoff(retention_days: float, now: datetime | None = None) -> datetime:
    """Rows created before this are outside the kept window: pruned once published, never replayed."""
    return (now or datetime.now(timezone.utc)) - timedelta(days=retention_days)


def prune_outbox(session_factory: sessionmaker, older_than: datetime, batch: int = 5000) -> int:
    """Delete published outbox rows created before `older_than`, `batch` rows per transaction; returns how many."""
    done = _published_before(older_than)

    def statement(session, since):
        claim = select(outbox.c.seq).where(done, *_resume(outbox.c.created_at, since)) \
            .order_by(outbox.c.created_at).limit(batch)
        # The condition again outside the claim: on SQLite nothing is locked, and a replay may re-queue a row meanwhile.
        return delete(outbox).where(outbox.c.seq.in_(for_update(claim, session, skip_locked=True)), done) \
            .returning(outbox.c.created_at)
    return _in_batches(session_factory, batch, statement)


def prune_inbox(session_factory: sessionmaker, older_than: datetime, batch: int = 5000) -> int:
    """Delete inbox claims made before `older_than`, except parked events'; `batch` per transaction."""
    pe, parked = processed_events, parked_events
    old = and_(pe.c.processed_at < older_than,
               ~exists().where(parked.c.consumer == pe.c.consumer, parked.c.event_id == pe.c.event_id))

    def statement(session, since):
        # By the physical row (PostgreSQL's ctid, SQLite's rowid): joined back on (consumer, event_id), PostgreSQL
        # hash-joined the whole table for every batch (69 s for 2.6 M claims); by ctid each row is one TID fetch.
        row = literal_column("ctid" if session.get_bind().dialect.name == "postgresql" else "rowid")
        claim = select(row).select_from(pe).where(old, *_resume(pe.c.processed_at, since)) \
            .order_by(pe.c.processed_at).limit(batch)
        # Nothing to check again outside the claim: a claim only gets older, and a parked event's is made with it,
        # never after; the claim's lock holds the row for the statement.
        return delete(pe).where(row.in_(for_update(claim, session, skip_locked=True))).returning(pe.c.processed_at)
    return _in_batches(session_factory, batch, statement)


def _in_batches(session_factory: sessionmaker, batch: int, statement) -> int:
    """Run the claiming DELETE, one transaction each, until a batch comes back short; returns rows deleted.

    One statement per batch, its claim a subquery: a key list sent back as parameters made PostgreSQL match 5,000
    row values against every candidate (~900 claims/s). Oldest first by the indexed time, each batch resuming
    where the last one ended: starting from the oldest every time, each batch walked the index entries of every
    row deleted before it (not yet vacuumed), quadratic in the backlog (3 M claims: 62 s against 16 s)."""
    total, since = 0, None
    while True:
        with session_factory() as session, session.begin():
            times = session.execute(statement(session, since)).scalars().all()
        total += len(times)
        if len(times) < batch:
            return total
        since = max(times)
        heartbeat.beat()            # a first run through a backlog takes minutes: alive, not stuck


def _resume(column, since):
    """Rows at or after the last batch's newest (a row skipped behind it is locked by a replica, which takes it)."""
    return [] if since is None else [column >= since]


def prune(session_factory: sessionmaker, config, now: datetime | None = None) -> dict:
    """The job's step: both tables, with the service's EVENT_RETENTION_DAYS and PRUNE_BATCH."""
    cutoff = outbox_cutoff(config.event_retention_days, now)
    return {"outbox_pruned": prune_outbox(session_factory, cutoff, config.prune_batch),
            "inbox_pruned": prune_inbox(session_factory, cutoff - CLOCK_MARGIN, config.prune_batch)}


def _published_before(older_than: datetime):
    return and_(outbox.c.published_at.is_not(None), outbox.c.created_at < older_than)


PRUNE_JOB = Job("prune", prune, interval_s=lambda config: config.prune_interval_s)
