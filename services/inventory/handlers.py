"""Inbound events → inventory use cases. Our own tolerant schemas of other services' events."""
from __future__ import annotations

from datetime import datetime, timezone

from marshmallow import EXCLUDE, Schema, fields

from .services import expected, recalls, units


class _In(Schema):
    class Meta:
        unknown = EXCLUDE


class DonationRecordedIn(_In):
    donation_id = fields.String(required=True)
    donor_id = fields.String(required=True)
    region = fields.String(required=True)
    site_id = fields.String(required=True)
    kind = fields.String(required=True)
    volume_ml = fields.Integer(allow_none=True, load_default=None)
    doses = fields.Integer(allow_none=True, load_default=None)
    din = fields.String(required=True)
    collected_at = fields.AwareDateTime(required=True)
    abo = fields.String(required=True)
    rhd = fields.String(required=True)
    drive_id = fields.String(allow_none=True, load_default=None)          # added within v1
    appointment_id = fields.String(allow_none=True, load_default=None)    # added within v1


class AppointmentIn(_In):
    appointment_id = fields.String(required=True)
    point_id = fields.String(required=True)
    station_id = fields.String(required=True)
    region = fields.String(required=True)
    kind = fields.String(required=True)
    starts_at = fields.AwareDateTime(required=True)
    day = fields.Date(required=True)


class DriveScheduledIn(_In):
    drive_id = fields.String(required=True)
    station_id = fields.String(required=True)
    region = fields.String(required=True)
    day = fields.Date(required=True)
    point_id = fields.String(allow_none=True, load_default=None)
    target_donors = fields.Integer(required=True)
    scheduled_at = fields.AwareDateTime(required=True)


def on_donor_registered(uow, envelope) -> None:
    """Inventory keeps no donor data; consuming proves the group and keeps the inbox record."""


def on_donors_registered(uow, envelopes) -> None:
    """A run of them, as `on_donor_registered`: nothing kept (a bulk import's registrations come in runs)."""


def on_donation_recorded(uow, envelope) -> None:
    """Quarantined units at the collecting station; they wait for the test result."""
    data = DonationRecordedIn().load(envelope.data)
    drive_id, appointment_id = data.pop("drive_id"), data.pop("appointment_id")
    units.create_units_from_donation(uow, now=datetime.now(timezone.utc), **data)
    # In the same transaction: the collection counts against its drive and the appointment it kept.
    expected.donation_collected(uow, donation_id=data["donation_id"], site_id=data["site_id"], region=data["region"],
                                kind=data["kind"], collected_at=data["collected_at"], drive_id=drive_id,
                                appointment_id=appointment_id)


def on_donations_recorded(uow, envelopes) -> list:
    """A run of DonationRecorded (a bulk import's) at once, with the effect of `on_donation_recorded` on each in
    turn; returns the UnitsCreated each caused, for the consumer to stage under that event."""
    schema = DonationRecordedIn()
    loaded = [schema.load(e.data) for e in envelopes]
    expected.donations_collected(uow, loaded)
    return units.create_units_from_donations(
        uow, [{k: v for k, v in d.items() if k not in ("drive_id", "appointment_id")} for d in loaded],
        now=datetime.now(timezone.utc))


def on_appointment_booked(uow, envelope) -> None:
    expected.appointment_booked(uow, now=datetime.now(timezone.utc), **AppointmentIn().load(envelope.data))


def on_appointment_cancelled(uow, envelope) -> None:
    expected.appointment_closed(uow, status="cancelled", now=datetime.now(timezone.utc),
                                **AppointmentIn().load(envelope.data))


def on_appointment_missed(uow, envelope) -> None:
    expected.appointment_closed(uow, status="missed", now=datetime.now(timezone.utc),
                                **AppointmentIn().load(envelope.data))


def on_drive_scheduled(uow, envelope) -> None:
    expected.drive_scheduled(uow, **DriveScheduledIn().load(envelope.data))


class PostDonationReportedIn(_In):
    report_id = fields.String(required=True)
    donor_id = fields.String(required=True)
    onset_at = fields.AwareDateTime(allow_none=True, load_default=None)
    reported_at = fields.AwareDateTime(required=True)


def on_post_donation_reported(uow, envelope) -> None:
    """A donor fell ill after giving (post-donation information): look back over their blood (services/recalls.py).
    A redelivery finds the recall its report already opened."""
    recalls.open_from_report(uow, now=datetime.now(timezone.utc), **PostDonationReportedIn().load(envelope.data))


HANDLERS = {
    ("DonorRegistered", 1): on_donor_registered,
    ("DonationRecorded", 1): on_donation_recorded,
    ("AppointmentBooked", 1): on_appointment_booked,
    ("AppointmentCancelled", 1): on_appointment_cancelled,
    ("AppointmentMissed", 1): on_appointment_missed,
    ("DriveScheduled", 1): on_drive_scheduled,
    ("PostDonationReported", 1): on_post_donation_reported,
}
# Handlers that may share a transaction with the events around them (servicekit EventProcessor.process_run): they
# only insert, a repeated DIN adds nothing, and none rolls the session back itself. A bulk import's donations
# reach the shelves in runs of events per commit.
BATCHABLE = frozenset(HANDLERS)
# Consecutive events of these types in a run are applied at once (a bulk import's donations: four statements for
# hundreds), with the same effect as their handler applied to each in turn.
BULK_HANDLERS = {("DonorRegistered", 1): on_donors_registered, ("DonationRecorded", 1): on_donations_recorded}
TOPICS = ["donor.events"]
