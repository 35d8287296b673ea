"""Events the inventory service publishes on `inventory.events`, and their wire schemas (docs/events.md)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from marshmallow import Schema, fields


class _Event:
    VERSION = 1


@dataclass(frozen=True)
class UnitsCreated(_Event):
    TYPE = "UnitsCreated"
    din: str
    donor_id: str
    site_id: str
    region: str
    units: list

    @property
    def subject(self) -> str:
        return self.din


@dataclass(frozen=True)
class DonationReleased(_Event):
    TYPE = "DonationReleased"
    din: str
    donor_id: str
    unit_ids: list
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
    unit_ids: list
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
    unit_ids: list
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
    lines: list
    unit_ids: list
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
    transfer_ids: list
    approved_at: datetime

    @property
    def subject(self) -> str:
        return self.plan_id


# ---- wire schemas -----------------------------------------------------------------------------------------
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


class UnitsCreatedSchema(Schema):
    din = fields.String(required=True)
    donor_id = fields.String(required=True)
    site_id = fields.String(required=True)
    region = fields.String(required=True)
    units = fields.List(fields.Nested(CreatedUnitSchema), required=True)


class DonationReleasedSchema(Schema):
    din = fields.String(required=True)
    donor_id = fields.String(required=True)
    unit_ids = fields.List(fields.String(), required=True)
    released_at = fields.AwareDateTime(required=True)


class DonationDiscardedSchema(Schema):
    din = fields.String(required=True)
    donor_id = fields.String(required=True)
    reason = fields.String(required=True)
    infectious = fields.Boolean(required=True)
    unit_ids = fields.List(fields.String(), required=True)
    discarded_at = fields.AwareDateTime(required=True)


class UnitDiscardedSchema(Schema):
    unit_id = fields.String(required=True)
    din = fields.String(required=True)
    site_id = fields.String(required=True)
    component = fields.String(required=True)
    reason = fields.String(required=True)
    at = fields.AwareDateTime(required=True)


class UnitsIssuedSchema(Schema):
    order_id = fields.String(required=True)
    hospital_id = fields.String(required=True)
    unit_ids = fields.List(fields.String(), required=True)
    issued_at = fields.AwareDateTime(required=True)


class UnitTransfusedSchema(Schema):
    unit_id = fields.String(required=True)
    din = fields.String(required=True)
    donor_id = fields.String(required=True)
    hospital_id = fields.String(required=True)
    hospital_name = fields.String(required=True)
    region = fields.String(required=True)
    component = fields.String(required=True)
    units = fields.Float(required=True)
    volume_ml = fields.Integer(required=True)
    patient_blind = fields.String(required=True)
    transfused_at = fields.AwareDateTime(required=True)


class StockLevelChangedSchema(Schema):
    site_id = fields.String(required=True)
    region = fields.String(required=True)
    component = fields.String(required=True)
    abo = fields.String(required=True)
    rhd = fields.String(required=True)
    level = fields.String(required=True)
    previous_level = fields.String(allow_none=True, required=True)
    days_of_supply = fields.Float(allow_none=True, required=True)
    available_units = fields.Float(required=True)
    changed_at = fields.AwareDateTime(required=True)


class TransferEventSchema(Schema):
    transfer_id = fields.String(required=True)
    from_site = fields.String(required=True)
    to_site = fields.String(required=True)
    inter_region = fields.Boolean(required=True)
    lines = fields.List(fields.Nested(LineSchema), required=True)
    unit_ids = fields.List(fields.String(), required=True)
    at = fields.AwareDateTime(required=True)


class RebalancingPlanApprovedSchema(Schema):
    plan_id = fields.String(required=True)
    region = fields.String(allow_none=True, required=True)
    transfer_ids = fields.List(fields.String(), required=True)
    approved_at = fields.AwareDateTime(required=True)


PUBLISHED = {
    UnitsCreated: UnitsCreatedSchema(),
    DonationReleased: DonationReleasedSchema(),
    DonationDiscarded: DonationDiscardedSchema(),
    UnitDiscarded: UnitDiscardedSchema(),
    UnitExpired: UnitDiscardedSchema(),
    UnitsIssued: UnitsIssuedSchema(),
    UnitTransfused: UnitTransfusedSchema(),
    StockLevelChanged: StockLevelChangedSchema(),
    TransferRequested: TransferEventSchema(),
    TransferDispatched: TransferEventSchema(),
    TransferReceived: TransferEventSchema(),
    TransferCancelled: TransferEventSchema(),
    RebalancingPlanApproved: RebalancingPlanApprovedSchema(),
}
