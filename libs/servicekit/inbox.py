"""Idempotent consumption: claim (consumer, event_id) inside the handler's transaction."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .db import insert_of
from .tables import processed_events


def claim(session: Session, consumer: str, event_id: str, event_type: str) -> bool:
    """Insert the inbox row; False when this consumer already applied this event.

    ON CONFLICT DO NOTHING makes a concurrent duplicate (two group members after a rebalance)
    wait for the first transaction and then see the row, instead of failing.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert(processed_events)
        .values(consumer=consumer, event_id=event_id, event_type=event_type,
                processed_at=datetime.now(timezone.utc))
        .on_conflict_do_nothing(index_elements=["consumer", "event_id"])
        .returning(processed_events.c.event_id)  # rowcount is not reliable across drivers
    )
    return session.execute(stmt).first() is not None



def claim_many(session: Session, consumer: str, events: list[tuple[str, str]]) -> set[str]:
    """Insert the inbox rows of several (event id, type)s in one statement; returns the ids not seen before."""
    if not events:
        return set()
    now = datetime.now(timezone.utc)
    rows = list({event_id: dict(consumer=consumer, event_id=event_id, event_type=event_type, processed_at=now)
                 for event_id, event_type in events}.values())
    # Rows as parameters, not .values(rows): a statement with N rows built in would be compiled anew for each N
    # (half the time of a run of 500); this one is compiled once and sent in multi-row batches (insertmanyvalues).
    stmt = (insert_of(processed_events, session)
            .on_conflict_do_nothing(index_elements=["consumer", "event_id"])
            .returning(processed_events.c.event_id))
    return set(session.execute(stmt, rows).scalars())
