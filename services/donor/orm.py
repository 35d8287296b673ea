"""Tables and the imperative mapping of the plain domain classes onto them."""
from __future__ import annotations

from sqlalchemy import (JSON, BigInteger, Boolean, CheckConstraint, Column, Date, DateTime, Float, Index, Integer,
                        MetaData, String, Table, Text, UniqueConstraint, event, text)
from sqlalchemy.orm import registry

from servicekit.db import UtcDateTime
from servicekit.mapping import map_once

from . import model, points

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
    Column("phenotypes", JSON, nullable=False, default=list),
    Column("call_consent", Boolean, nullable=False, default=False),
    Index("ix_donors_rhd_region", "rhd", "region"),        # the rare registry reads RhD-negative donors by it
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
    Column("drive_id", String(36), nullable=True, index=True),
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


donation_points = Table(
    "donation_points", metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("station_id", String(40), nullable=False, index=True),
    Column("region", String(8), nullable=False, index=True),
    Column("address", String(200), nullable=False),
    Column("lat", Float, nullable=False),
    Column("lon", Float, nullable=False),
    Column("slot_minutes", Integer, nullable=False),
    Column("capacity", JSON, nullable=False),
    Column("hours", JSON, nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UtcDateTime, nullable=False),
)

point_stops = Table(
    "point_stops", metadata,
    Column("id", String(36), primary_key=True),
    Column("point_id", String(36), nullable=False),
    Column("day", Date, nullable=False),
    Column("address", String(200), nullable=False),
    Column("lat", Float, nullable=False),
    Column("lon", Float, nullable=False),
    Column("opens", String(5), nullable=False),
    Column("closes", String(5), nullable=False),
    UniqueConstraint("point_id", "day", name="uq_point_stop_day"),        # a vehicle stands in one place a day
)

# One row per slot and kind that anyone has booked: `booked` never passes `capacity` (the CHECK, and the
# conditional UPDATE that books, make the database the one that says no on the last place).
slots = Table(
    "slots", metadata,
    Column("point_id", String(36), primary_key=True),
    Column("kind", String(20), primary_key=True),
    Column("starts_at", UtcDateTime, primary_key=True),
    Column("capacity", Integer, nullable=False),
    Column("booked", Integer, nullable=False),
    CheckConstraint("booked >= 0 AND booked <= capacity", name="ck_slot_not_overbooked"),
)

appointments = Table(
    "appointments", metadata,
    Column("id", String(36), primary_key=True),
    Column("donor_id", String(36), nullable=False, index=True),
    Column("point_id", String(36), nullable=False),
    Column("station_id", String(40), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("starts_at", UtcDateTime, nullable=False),
    Column("answers", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("status", String(12), nullable=False),
    Column("cancelled_at", UtcDateTime, nullable=True),
    Column("reminded_at", UtcDateTime, nullable=True),
    Column("donation_id", String(36), nullable=True),
    Column("campaign_id", String(36), nullable=True, index=True),     # booked from a call-up's invitation
    Index("ix_appointments_point_day", "point_id", "starts_at"),
    Index("ix_appointments_due", "status", "starts_at"),
    # One booking a donor has yet to keep, whatever races: a partial unique index on both databases.
    Index("uq_one_booked_per_donor", "donor_id", unique=True, sqlite_where=text("status = 'booked'"),
          postgresql_where=text("status = 'booked'")),
)


# Whom a call-up invited, and to which point: the call-up's report counts invited → booked → donated.
call_up_invitations = Table(
    "call_up_invitations", metadata,
    Column("campaign_id", String(36), primary_key=True),
    Column("donor_id", String(36), primary_key=True),
    Column("point_id", String(36), nullable=True),
    Column("invited_at", UtcDateTime, nullable=False),
)


# Emergency donor teams (应急献血队伍): donors who agreed to come at once when called.
emergency_teams = Table(
    "emergency_teams", metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("station_id", String(40), nullable=False),
    Column("region", String(8), nullable=False, index=True),
    Column("created_at", UtcDateTime, nullable=False),
)

emergency_team_members = Table(
    "emergency_team_members", metadata,
    Column("team_id", String(36), primary_key=True),
    Column("donor_id", String(36), primary_key=True),
    Column("joined_at", UtcDateTime, nullable=False),
)

# An urgent call for a rare type: whom it reached in each region (every region's stations read it).
rare_call_ups = Table(
    "rare_call_ups", metadata,
    Column("id", String(36), primary_key=True),
    Column("phenotype", String(20), nullable=False),
    Column("abo", String(2), nullable=True),
    Column("kind", String(20), nullable=False),
    Column("reason", String(500), nullable=False),
    Column("requested_by", String(40), nullable=False),
    Column("region", String(8), nullable=False),
    Column("reached", JSON, nullable=False),          # {region: donors called}
    Column("created_at", UtcDateTime, nullable=False),
)


# Group donation (团体献血): organisations, their drives (a day at a point or vehicle, a target, a roster).
organisations = Table(
    "organisations", metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("station_id", String(40), nullable=False),
    Column("region", String(8), nullable=False, index=True),
    Column("created_at", UtcDateTime, nullable=False),
)

drives = Table(
    "drives", metadata,
    Column("id", String(36), primary_key=True),
    Column("organisation_id", String(36), nullable=False, index=True),
    Column("station_id", String(40), nullable=False),
    Column("region", String(8), nullable=False),
    Column("day", Date, nullable=False),
    Column("point_id", String(36), nullable=True),
    Column("target_donors", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

drive_roster = Table(
    "drive_roster", metadata,
    Column("drive_id", String(36), primary_key=True),
    Column("donor_id", String(36), primary_key=True),
    Column("added_at", UtcDateTime, nullable=False),
)

# Post-donation information (#22): a donor reports illness after giving; the inventory looks back over their blood.
post_donation_reports = Table(
    "post_donation_reports", metadata,
    Column("id", String(36), primary_key=True),
    Column("donor_id", String(36), nullable=False, index=True),
    Column("station_id", String(40), nullable=False),
    Column("region", String(8), nullable=False),
    Column("reason", String(30), nullable=False),
    Column("note", String(500), nullable=True),        # what the donor said; stays here, never in an event
    Column("onset_at", UtcDateTime, nullable=True),
    Column("reported_at", UtcDateTime, nullable=False),
    Column("reported_by", String(100), nullable=True),
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
    mapper_registry.map_imperatively(points.DonationPoint, donation_points)
    mapper_registry.map_imperatively(points.PointStop, point_stops)
    mapper_registry.map_imperatively(model.Appointment, appointments)


start_mappers = map_once(mapper_registry, _map_all)


@event.listens_for(model.Donor, "load")
def _init_events(donor, _context):
    donor.events = []
