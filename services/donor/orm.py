"""Tables and the imperative mapping of the plain domain classes onto them."""
from __future__ import annotations

from sqlalchemy import (BigInteger, Boolean, Column, Date, DateTime, Float, Index, Integer, MetaData, String, Table,
                        Text, UniqueConstraint, event)
from sqlalchemy.orm import registry

from servicekit.mapping import map_once

from . import model

metadata = MetaData()
mapper_registry = registry(metadata=metadata)

donors = Table(
    "donors", metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("id_type", String(30), nullable=False),
    Column("national_id_encrypted", String(300), nullable=False),
    Column("national_id_blind", String(64), nullable=False, unique=True),  # one donor per person
    Column("national_id_masked", String(40), nullable=False),
    Column("phone_encrypted", String(300), nullable=False),
    Column("phone_blind", String(64), nullable=False, index=True),
    Column("phone_masked", String(20), nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("sex", String(1), nullable=False),
    Column("abo", String(2), nullable=False),
    Column("rhd", String(3), nullable=False),
    Column("region", String(8), nullable=False),
    Column("registered_site", String(40), nullable=True),
    Column("status", String(30), nullable=False),
    Column("registered_at", DateTime(timezone=True), nullable=False),
    Column("deferred_until", Date, nullable=True),
    Column("deferral_reason", String(200), nullable=True),
)

donations = Table(
    "donations", metadata,
    Column("id", String(36), primary_key=True),
    Column("donor_id", String(36), nullable=False, index=True),
    Column("din", String(13), nullable=False, unique=True),
    Column("kind", String(20), nullable=False),
    Column("volume_ml", Integer, nullable=True),
    Column("doses", Integer, nullable=True),
    Column("counts_as_ml", Integer, nullable=False),
    Column("collected_at", DateTime(timezone=True), nullable=False),
    Column("site_id", String(40), nullable=False),
    Column("region", String(8), nullable=False),
    # Null only for donations imported from a region's history (donor.importer): their vitals were not kept.
    Column("hemoglobin_g_l", Float, nullable=True),
    Column("weight_kg", Float, nullable=True),
    Column("systolic", Integer, nullable=True),
    Column("diastolic", Integer, nullable=True),
    Column("adverse_reaction", Boolean, nullable=False, default=False),
    Column("pulse", Integer, nullable=True),
    Column("hematocrit", Float, nullable=True),
    Column("platelet_count", Float, nullable=True),
    # A donor's history newest first, and the importer's "same donor, same collection time" check.
    Index("ix_donations_donor_collected", "donor_id", "collected_at"),
)

# One counter per facility and year; incremented by an atomic upsert (no two DINs share a number).
din_sequences = Table(
    "din_sequences", metadata,
    Column("facility_id", String(5), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("last_seq", Integer, nullable=False),
)

awards = Table(
    "awards", metadata,
    Column("id", String(36), primary_key=True),
    Column("donor_id", String(36), nullable=False, index=True),
    Column("level", String(20), nullable=False),
    Column("cycle", Integer, nullable=False),
    Column("units_at_grant", Float, nullable=False),
    Column("granted_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("donor_id", "level", "cycle", name="uq_award_once"),  # each award exactly once
)

notifications = Table(
    "notifications", metadata,
    Column("id", String(36), primary_key=True),
    Column("donor_id", String(36), nullable=False, index=True),
    Column("kind", String(30), nullable=False),
    Column("title", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("read", Boolean, nullable=False, default=False),
    Column("dedupe_key", String(120), nullable=True, unique=True),
)

shortage_campaigns = Table(
    "shortage_campaigns", metadata,
    Column("id", String(36), primary_key=True),
    Column("region", String(8), nullable=False),
    Column("site_id", String(40), nullable=False),
    Column("component", String(20), nullable=False),
    Column("abo", String(2), nullable=False),
    Column("rhd", String(3), nullable=False),
    Column("level", String(10), nullable=False),
    Column("donors_notified", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# When each donor was last called up: the 14-day rule is checked against it.
shortage_contacts = Table(
    "shortage_contacts", metadata,
    Column("donor_id", String(36), primary_key=True),
    Column("last_called_at", DateTime(timezone=True), nullable=False),
)


# Where an interrupted bulk import stands (donor.importer): written in each batch's transaction, so a resumed
# run starts exactly after the last committed batch; deleted when the file is done.
import_checkpoints = Table(
    "import_checkpoints", metadata,
    Column("file_key", String(64), primary_key=True),     # sha256 of the file's size and first MiB
    Column("byte_offset", BigInteger, nullable=False),    # where the next batch starts in the file
    Column("line_no", Integer, nullable=False),           # the last line read
    Column("donors", Integer, nullable=False),
    Column("donations", Integer, nullable=False),
    Column("duplicates", Integer, nullable=False),
    Column("rejected", Integer, nullable=False),
    Column("rejects_bytes", BigInteger, nullable=False),  # the rejects file's committed length
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


def _map_all() -> None:
    mapper_registry.map_imperatively(model.Donor, donors)
    mapper_registry.map_imperatively(model.Donation, donations)
    mapper_registry.map_imperatively(model.Award, awards)
    mapper_registry.map_imperatively(model.Notification, notifications)


start_mappers = map_once(mapper_registry, _map_all)


@event.listens_for(model.Donor, "load")
def _init_events(donor, _context):
    donor.events = []
