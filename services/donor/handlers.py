"""Inbound events → donor use cases. Our own tolerant schemas of other services' events."""
from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields

from .services import notifications
from .notifier import Notifier


class _In(Schema):
    class Meta:
        unknown = EXCLUDE


class DonationDiscardedIn(_In):
    din = fields.String(required=True)
    donor_id = fields.String(required=True)
    reason = fields.String(load_default="")
    infectious = fields.Boolean(load_default=False)
    discarded_at = fields.AwareDateTime(required=True)


class UnitTransfusedIn(_In):
    unit_id = fields.String(required=True)
    donor_id = fields.String(required=True, allow_none=True)
    hospital_name = fields.String(load_default="医院")
    transfused_at = fields.AwareDateTime(required=True)


class StockLevelChangedIn(_In):
    site_id = fields.String(required=True)
    region = fields.String(required=True)
    component = fields.String(required=True)
    abo = fields.String(required=True)
    rhd = fields.String(required=True)
    level = fields.String(required=True)
    previous_level = fields.String(allow_none=True, load_default=None)


class ClaimIn(_In):
    claim_id = fields.String(required=True)
    donor_id = fields.String(allow_none=True, load_default=None)
    status = fields.String(required=True)
    approved_yuan = fields.String(allow_none=True, load_default=None)
    reason = fields.String(allow_none=True, load_default=None)
    occurred_at = fields.AwareDateTime(required=True)


class ClaimReminderIn(_In):
    donor_id = fields.String(required=True)
    hospital_id = fields.String(required=True)
    din = fields.String(allow_none=True, load_default=None)
    transfused_at = fields.AwareDateTime(required=True)


class FamilyPoolUsedIn(_In):
    donor_id = fields.String(required=True)
    deduction_id = fields.String(required=True)
    relation = fields.String(required=True)
    relation_attested = fields.Boolean(load_default=False)
    change = fields.String(required=True)
    ml = fields.Integer(required=True)
    yuan = fields.String(required=True)
    occurred_at = fields.AwareDateTime(required=True)


def make_handlers(notifier) -> dict:
    def on_donation_discarded(uow, envelope):
        notifications.defer_after_failed_test(uow, notifier, **DonationDiscardedIn().load(envelope.data))

    def on_unit_transfused(uow, envelope):
        data = UnitTransfusedIn().load(envelope.data)
        if data["donor_id"]:
            notifications.tell_unit_used(uow, notifier, **data)

    def on_stock_level_changed(uow, envelope):
        notifications.call_up_for_shortage(uow, notifier, **StockLevelChangedIn().load(envelope.data))

    def on_claim(uow, envelope):
        notifications.tell_claim_status(uow, notifier, **ClaimIn().load(envelope.data))

    def on_claim_reminder(uow, envelope):
        notifications.remind_to_claim(uow, notifier, **ClaimReminderIn().load(envelope.data))

    def on_family_pool_used(uow, envelope):
        notifications.tell_family_pool_used(uow, notifier, **FamilyPoolUsedIn().load(envelope.data))

    return {
        ("DonationDiscarded", 1): on_donation_discarded,
        ("UnitTransfused", 1): on_unit_transfused,
        ("StockLevelChanged", 1): on_stock_level_changed,
        ("ClaimSubmitted", 1): on_claim,
        ("ClaimApproved", 1): on_claim,
        ("ClaimRejected", 1): on_claim,
        ("ClaimPaid", 1): on_claim,
        ("ClaimReminderIssued", 1): on_claim_reminder,
        ("FamilyPoolUsed", 1): on_family_pool_used,
    }


TOPICS = ["inventory.events", "waiver.events"]

# Inbox-only handlers for tools and tests; consumer.py builds them with the configured notifier.
HANDLERS = make_handlers(Notifier())
