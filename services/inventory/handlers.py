"""Inbound events → inventory use cases. Our own tolerant schemas of other services' events."""
from __future__ import annotations

from datetime import datetime, timezone

from marshmallow import EXCLUDE, Schema, fields

from .services import units


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


HANDLERS = {
    ("DonorRegistered", 1): on_donor_registered,
    ("DonationRecorded", 1): on_donation_recorded,
}
# Handlers that may share a transaction with the events around them (servicekit EventProcessor.process_run): they
# only insert, a repeated DIN adds nothing, and none rolls the session back itself. A bulk import's donations
# reach the shelves in runs of events per commit.
BATCHABLE = frozenset(HANDLERS)
TOPICS = ["donor.events"]
