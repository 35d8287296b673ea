"""Infrastructure tables every service database has: the outbox and the inbox."""
from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, DateTime, Integer, MetaData, String, Table, Text

infra_metadata = MetaData()

# Events waiting to be published. `seq` orders publication (per-aggregate order is kept by the
# single relay per service, or by SKIP LOCKED batches taken oldest first).
outbox = Table(
    "outbox",
    infra_metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("topic", String(200), nullable=False),
    Column("key", String(200), nullable=False),
    Column("type", String(100), nullable=False),
    Column("version", Integer, nullable=False),
    Column("payload", Text, nullable=False),
    Column("headers", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
    Column("published_at", DateTime(timezone=True), nullable=True, index=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text, nullable=True),
)

# One row per (consumer group, event id) applied: the primary key is the duplicate detector.
processed_events = Table(
    "processed_events",
    infra_metadata,
    Column("consumer", String(100), primary_key=True),
    Column("event_id", String(36), primary_key=True),
    Column("event_type", String(100), nullable=False),
    Column("processed_at", DateTime(timezone=True), nullable=False),
)


def create_infra_tables(bind) -> None:
    """Used by each service's first migration."""
    infra_metadata.create_all(bind)
