"""Events the waiver service publishes on `waiver.events` (docs/events.md); each wire schema is derived from its
dataclass (servicekit.wire).

No payload carries a raw national ID: patients appear as their blind index only.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from marshmallow import Schema, fields

from servicekit.wire import items, money, published


class PoolUsedSchema(Schema):
    kind = fields.String(required=True)
    region = fields.String(required=True)
    donor_id = fields.String(required=True)
    ml = fields.Integer(required=True)
    yuan = money()                      # optional addition: what the pool paid


@dataclass(frozen=True)
class DirectDeductionApplied:
    TYPE = "DirectDeductionApplied"
    VERSION = 1
    deduction_id: str
    hospital_id: str
    patient_blind: str
    total_yuan: Decimal
    waived_yuan: Decimal
    pools_used: tuple = field(metadata=items(PoolUsedSchema))
    applied_at: datetime

    @property
    def subject(self) -> str:
        return self.deduction_id


@dataclass(frozen=True)
class DirectDeductionReversed:
    TYPE = "DirectDeductionReversed"
    VERSION = 1
    deduction_id: str
    hospital_id: str
    waived_yuan: Decimal
    reason: str
    reversed_at: datetime

    @property
    def subject(self) -> str:
        return self.deduction_id


@dataclass(frozen=True)
class _ClaimEvent:
    VERSION = 1
    claim_id: str
    donor_id: str | None
    channel: str
    status: str
    total_yuan: Decimal
    approved_yuan: Decimal | None
    reason: str | None
    occurred_at: datetime

    @property
    def subject(self) -> str:
        return self.claim_id


@dataclass(frozen=True)
class ClaimSubmitted(_ClaimEvent):
    TYPE = "ClaimSubmitted"


@dataclass(frozen=True)
class ClaimApproved(_ClaimEvent):
    TYPE = "ClaimApproved"


@dataclass(frozen=True)
class ClaimRejected(_ClaimEvent):
    TYPE = "ClaimRejected"


@dataclass(frozen=True)
class ClaimPaid(_ClaimEvent):
    TYPE = "ClaimPaid"


@dataclass(frozen=True)
class ClaimReminderIssued:
    TYPE = "ClaimReminderIssued"
    VERSION = 1
    donor_id: str
    hospital_id: str
    relation: str
    din: str
    transfused_at: datetime
    unit_id: str | None = None          # optional additions: which unit and where, for the notification text
    hospital_name: str | None = None

    @property
    def subject(self) -> str:
        return self.donor_id


@dataclass(frozen=True)
class FamilyPoolUsed:
    """A donor's family pool paid at a hospital for a relative (change "used"), or that deduction was reversed and
    the quota went back ("returned"). The donor is told: their entitlement was spent without them being there,
    on a binding the office verified or on the hospital's attestation alone."""
    TYPE = "FamilyPoolUsed"
    VERSION = 1
    donor_id: str
    deduction_id: str
    hospital_id: str
    relation: str
    relation_attested: bool
    change: str                          # used | returned
    ml: int
    yuan: Decimal
    occurred_at: datetime

    @property
    def subject(self) -> str:
        return self.donor_id


PUBLISHED = published(DirectDeductionApplied, DirectDeductionReversed, ClaimSubmitted, ClaimApproved, ClaimRejected,
                      ClaimPaid, ClaimReminderIssued, FamilyPoolUsed)
