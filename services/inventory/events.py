"""Events the inventory service publishes on `inventory.events` (docs/events.md); each wire schema is derived from
its dataclass (servicekit.wire)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from marshmallow import Schema, fields

from servicekit.wire import items, published


# The dicts inside list fields (each event's own wire schema is derived from its dataclass).
class CreatedUnitSchema(Schema):
    unit_id = fields.String(required=True)
    component = fields.String(required=True)
    abo = fields.String(required=True)
    rhd = fields.String(required=True)
    units = fields.Float(required=True)
    volume_ml = fields.Integer(required=True)
    expires_at = fields.AwareDateTime(required=True)


class LineSchema(Schema):
    component = fields.String(required=True)
    abo = fields.String(required=True)
    rhd = fields.String(required=True)
    units = fields.Float(required=True)
    dispatched_units = fields.Float()   # optional: what the dispatch actually sent (whole bags)


class _Event:
    VERSION = 1


@dataclass(frozen=True)
class UnitsCreated(_Event):
    TYPE = "UnitsCreated"
    din: str
    donor_id: str
    site_id: str
    region: str
    units: list = field(metadata=items(CreatedUnitSchema))

    @property
    def subject(self) -> str:
        return self.din


@dataclass(frozen=True)
class DonationReleased(_Event):
    TYPE = "DonationReleased"
    din: str
    donor_id: str
    unit_ids: list[str]
    released_at: datetime

    @property
    def subject(self) -> str:
        return self.din


@dataclass(frozen=True)
class DonationDiscarded(_Event):
    TYPE = "DonationDiscarded"
    din: str
    donor_id: str
    reason: str
    infectious: bool
    unit_ids: list[str]
    discarded_at: datetime

    @property
    def subject(self) -> str:
        return self.din


@dataclass(frozen=True)
class UnitDiscarded(_Event):
    TYPE = "UnitDiscarded"
    unit_id: str
    din: str
    site_id: str
    component: str
    reason: str
    at: datetime

    @property
    def subject(self) -> str:
        return self.unit_id


@dataclass(frozen=True)
class UnitExpired(UnitDiscarded):
    TYPE = "UnitExpired"


@dataclass(frozen=True)
class UnitsIssued(_Event):
    TYPE = "UnitsIssued"
    order_id: str
    hospital_id: str
    unit_ids: list[str]
    issued_at: datetime

    @property
    def subject(self) -> str:
        return self.order_id


@dataclass(frozen=True)
class UnitTransfused(_Event):
    TYPE = "UnitTransfused"
    unit_id: str
    din: str
    donor_id: str
    hospital_id: str
    hospital_name: str
    region: str
    component: str
    units: float
    volume_ml: int
    patient_blind: str
    transfused_at: datetime

    @property
    def subject(self) -> str:
        return self.unit_id


@dataclass(frozen=True)
class StockLevelChanged(_Event):
    TYPE = "StockLevelChanged"
    site_id: str
    region: str
    component: str
    abo: str
    rhd: str
    level: str
    previous_level: str | None
    days_of_supply: float | None
    available_units: float
    changed_at: datetime

    @property
    def subject(self) -> str:
        return f"{self.site_id}:{self.component}:{self.abo}:{self.rhd}"


@dataclass(frozen=True)
class TransferRequested(_Event):
    TYPE = "TransferRequested"
    transfer_id: str
    from_site: str
    to_site: str
    inter_region: bool
    lines: list = field(metadata=items(LineSchema))
    unit_ids: list[str]
    at: datetime

    @property
    def subject(self) -> str:
        return self.transfer_id


@dataclass(frozen=True)
class TransferDispatched(TransferRequested):
    TYPE = "TransferDispatched"


@dataclass(frozen=True)
class TransferReceived(TransferRequested):
    TYPE = "TransferReceived"


@dataclass(frozen=True)
class TransferCancelled(TransferRequested):
    TYPE = "TransferCancelled"


@dataclass(frozen=True)
class RebalancingPlanApproved(_Event):
    TYPE = "RebalancingPlanApproved"
    plan_id: str
    region: str | None
    transfer_ids: list[str]
    approved_at: datetime

    @property
    def subject(self) -> str:
        return self.plan_id


# ---- cold chain (#22): services/cold_chain.py ------------------------------------------------------------
@dataclass(frozen=True)
class ColdChainExcursionDetected(_Event):
    """A store (or a transfer's road) was out of range longer than allowed: `unit_ids` went into quarantine.
    It is the site's alert; the decision follows as ColdChainExcursionDecided."""
    TYPE = "ColdChainExcursionDetected"
    excursion_id: str
    site_id: str
    kind: str                     # storage | transport
    location_id: str | None
    transfer_id: str | None
    started_at: datetime
    ended_at: datetime | None     # None while the store is still out of range
    min_c: float | None
    max_c: float | None
    reasons: list[str]
    unit_ids: list[str]
    detected_at: datetime

    @property
    def subject(self) -> str:
        return self.excursion_id


@dataclass(frozen=True)
class UnitsQuarantined(_Event):
    """More units held by an excursion already announced (placed in the store while it was still out of range)."""
    TYPE = "UnitsQuarantined"
    excursion_id: str
    site_id: str
    unit_ids: list[str]
    reason: str
    at: datetime

    @property
    def subject(self) -> str:
        return self.excursion_id


@dataclass(frozen=True)
class ColdChainExcursionDecided(_Event):
    TYPE = "ColdChainExcursionDecided"
    excursion_id: str
    site_id: str
    decision: str                 # release | discard
    unit_ids: list[str]           # the units the decision applied to (released, or discarded)
    decided_by: str
    reason: str
    decided_at: datetime

    @property
    def subject(self) -> str:
        return self.excursion_id




# ---- lookback and recall, clinical approval (#22) ---------------------------------------------------------------
# No donor identity in any of them: hospitals read these facts (the recall is keyed by its own id).
class RecallHospitalSchema(Schema):
    hospital_id = fields.String(required=True)
    region = fields.String(allow_none=True)
    unit_ids = fields.List(fields.String(), required=True)
    dins = fields.List(fields.String(), required=True)


@dataclass(frozen=True)
class RecallOpened(_Event):
    TYPE = "RecallOpened"
    recall_id: str
    trigger: str
    marker: str
    window_from: datetime
    window_to: datetime
    held_unit_ids: list[str]
    hospitals: list = field(metadata=items(RecallHospitalSchema))
    opened_at: datetime

    @property
    def subject(self) -> str:
        return self.recall_id


@dataclass(frozen=True)
class RecallLineAnswered(_Event):
    TYPE = "RecallLineAnswered"
    recall_id: str
    line_id: str
    hospital_id: str
    unit_id: str
    din: str
    answer: str
    answered_at: datetime

    @property
    def subject(self) -> str:
        return self.recall_id


@dataclass(frozen=True)
class RecallClosed(_Event):
    TYPE = "RecallClosed"
    recall_id: str
    opened_at: datetime
    closed_at: datetime
    closure_hours: float
    returned: int        # how the lines were answered
    transfused: int
    destroyed: int

    @property
    def subject(self) -> str:
        return self.recall_id


@dataclass(frozen=True)
class ClinicalApprovalOwed(_Event):
    TYPE = "ClinicalApprovalOwed"
    order_id: str
    hospital_id: str
    patient_blind: str
    day: str
    day_total_ml: int
    required_level: str
    at: datetime

    @property
    def subject(self) -> str:
        return self.order_id


@dataclass(frozen=True)
class ClinicalApprovalGiven(ClinicalApprovalOwed):
    TYPE = "ClinicalApprovalGiven"
    level: str = ""


PUBLISHED = published(UnitsCreated, DonationReleased, DonationDiscarded, UnitDiscarded, UnitExpired, UnitsIssued,
                      UnitTransfused, StockLevelChanged, TransferRequested, TransferDispatched, TransferReceived,
                      TransferCancelled, RebalancingPlanApproved, ColdChainExcursionDetected, UnitsQuarantined,
                      ColdChainExcursionDecided, RecallOpened, RecallLineAnswered,
                      RecallClosed, ClinicalApprovalOwed, ClinicalApprovalGiven)
