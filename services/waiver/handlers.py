"""Inbound events → waiver use cases. Inbound schemas are our own (tolerant readers: unknown fields ignored)."""
from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields

from .services import ledger


class _In(Schema):
    class Meta:
        unknown = EXCLUDE


class DonorRegisteredIn(_In):
    donor_id = fields.String(required=True)
    national_id_blind = fields.String(required=True)
    national_id_masked = fields.String(required=True)
    region = fields.String(required=True)
    registered_at = fields.AwareDateTime(required=True)


class DonorUpdatedIn(_In):
    donor_id = fields.String(required=True)
    region = fields.String(required=True)
    # Added to DonorUpdated after it shipped: absent means "not told", and what the ledger knew stays.
    phenotypes = fields.List(fields.String(), load_default=None)


class DonationRecordedIn(_In):
    donation_id = fields.String(required=True)
    donor_id = fields.String(required=True)
    national_id_blind = fields.String(required=True)
    national_id_masked = fields.String(required=True)
    region = fields.String(required=True)
    site_id = fields.String(required=True)
    kind = fields.String(required=True)
    volume_ml = fields.Integer(allow_none=True, load_default=None)
    doses = fields.Integer(allow_none=True, load_default=None)
    counts_as_ml = fields.Integer(required=True)
    din = fields.String(required=True)
    collected_at = fields.AwareDateTime(required=True)
    rhd = fields.String(required=True)


class AwardGrantedIn(_In):
    donor_id = fields.String(required=True)
    level = fields.String(required=True)
    granted_at = fields.AwareDateTime(required=True)


class UnitTransfusedIn(_In):
    unit_id = fields.String(required=True)
    din = fields.String(required=True)
    donor_id = fields.String(allow_none=True, load_default=None)
    hospital_id = fields.String(required=True)
    hospital_name = fields.String(allow_none=True, load_default=None)
    region = fields.String(allow_none=True, load_default=None)
    component = fields.String(required=True)
    units = fields.Decimal(allow_none=True, load_default=None)
    volume_ml = fields.Integer(allow_none=True, load_default=None)
    patient_blind = fields.String(required=True)
    transfused_at = fields.AwareDateTime(required=True)


def _handler(schema: Schema, use_case):
    def handle(uow, envelope) -> None:
        use_case(uow, **schema.load(envelope.data))

    handle.__name__ = f"on_{use_case.__name__}"
    return handle


on_donor_registered = _handler(DonorRegisteredIn(), ledger.record_donor)
on_donor_updated = _handler(DonorUpdatedIn(), ledger.update_donor)
on_donation_recorded = _handler(DonationRecordedIn(), ledger.record_donation)
on_award_granted = _handler(AwardGrantedIn(), ledger.record_award)
on_unit_transfused = _handler(UnitTransfusedIn(), ledger.record_transfusion)

def _bulk_handler(schema: Schema, use_case):
    def handle(uow, envelopes) -> None:
        use_case(uow, [schema.load(e.data) for e in envelopes])

    handle.__name__ = f"on_{use_case.__name__}"
    return handle


HANDLERS = {
    ("DonorRegistered", 1): on_donor_registered,
    ("DonorUpdated", 1): on_donor_updated,
    ("DonationRecorded", 1): on_donation_recorded,
    ("AwardGranted", 1): on_award_granted,
    ("UnitTransfused", 1): on_unit_transfused,
}
# Every handler here may share a transaction with the events around them (servicekit EventProcessor.process_run):
# ledger inserts and updates that look up what exists first and never roll the session back themselves. A bulk
# import's donors and donations build their pools in runs of events per commit.
BATCHABLE = frozenset(HANDLERS)
# Consecutive events of these types in a run are applied at once, with the effect of their handler applied to each
# in turn: a few statements for a bulk import's hundreds of donors and donations.
BULK_HANDLERS = {
    ("DonorRegistered", 1): _bulk_handler(DonorRegisteredIn(), ledger.record_donors),
    ("DonationRecorded", 1): _bulk_handler(DonationRecordedIn(), ledger.record_donations),
}
TOPICS = ["donor.events", "inventory.events"]
