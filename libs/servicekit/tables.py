"""Infrastructure tables every service database has: the outbox, the inbox and the parked events."""
from __future__ import annotations

from sqlalchemy import (JSON, BigInteger, Boolean, Column, DateTime, Index, Integer, MetaData, String, Table, Text,
                        UniqueConstraint)

infra_metadata = MetaData()

# Events waiting to be published. `seq` orders publication (per-key order is kept by the one publishing relay
# per service, servicekit.leadership).
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
# The pruning job (servicekit.retention) finds old claims by age; without it each batch would scan the table.
inbox_age_index = Index("ix_processed_events_processed_at", processed_events.c.processed_at)


# A key whose event went to the dead-letter topic is parked: its dead letter (`dead_letter` true) and every later
# event of that key wait here, in `seq` order, until `python -m <service>.dlq replay|discard` releases them. A
# parked event is claimed in the inbox in the same transaction (a redelivery is a duplicate), so a row here is
# an event received but not applied. `value` is the record as received; `headers` its Kafka headers.
parked_events = Table(
    "parked_events",
    infra_metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("consumer", String(100), nullable=False),
    Column("key", String(200), nullable=False),
    Column("event_id", String(36), nullable=False),
    Column("event_type", String(100), nullable=False),
    Column("dead_letter", Boolean, nullable=False),
    Column("value", Text, nullable=False),
    Column("headers", JSON, nullable=False),
    Column("source", String(300), nullable=False),
    Column("error", Text, nullable=True),
    Column("parked_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("consumer", "event_id", name="uq_parked_events_consumer_event"),
    Index("ix_parked_events_consumer_key", "consumer", "key", "seq"),
)

# The tables each service's first migration made; a table added later comes with its own migration.
FIRST_TABLES = (outbox, processed_events)


def create_infra_tables(bind) -> None:
    """Used by each service's first migration."""
    infra_metadata.create_all(bind, tables=list(FIRST_TABLES))


def create_parked_events(bind) -> None:
    """Used by each service's parked-events migration."""
    parked_events.create(bind)


def drop_parked_events(bind) -> None:
    parked_events.drop(bind)


def create_inbox_age_index(bind) -> None:
    """Used by each service's inbox-age migration (a database made since by the first migration has it)."""
    inbox_age_index.create(bind, checkfirst=True)


def drop_inbox_age_index(bind) -> None:
    inbox_age_index.drop(bind, checkfirst=True)
