"""Inbound events → inventory use cases. Our own tolerant schemas of other services' events."""
from __future__ import annotations

from datetime import datetime, timezone

from marshmallow import EXCLUDE, Schema, fields

from .services import recalls, units


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


def on_donor_registered(uow, envelope) -> None:
    """Inventory keeps no donor data; consuming proves the group and keeps the inbox record."""


def on_donation_recorded(uow, envelope) -> None:
    """Quarantined units at the collecting station; they wait for the test result."""
    units.create_units_from_donation(uow, now=datetime.now(timezone.utc), **DonationRecordedIn().load(envelope.data))


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
    ("PostDonationReported", 1): on_post_donation_reported,
}
TOPICS = ["donor.events"]
