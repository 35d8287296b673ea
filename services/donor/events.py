"""Events the donor service publishes on `donor.events`, and their wire schemas (docs/events.md)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from marshmallow import Schema, fields


@dataclass(frozen=True)
class DonorRegistered:
    TYPE = "DonorRegistered"
    VERSION = 1
    donor_id: str
    national_id_blind: str
    national_id_masked: str
    region: str
    abo: str
    rhd: str
    birth_date: date
    sex: str
    registered_at: datetime

    @property
    def subject(self) -> str:
        return self.donor_id


@dataclass(frozen=True)
class DonorUpdated:
    TYPE = "DonorUpdated"
    VERSION = 1
    donor_id: str
    status: str
    abo: str
    rhd: str
    region: str
    updated_at: datetime

    @property
    def subject(self) -> str:
        return self.donor_id


@dataclass(frozen=True)
class DonationRecorded:
    TYPE = "DonationRecorded"
    VERSION = 1
    donation_id: str
    donor_id: str
    national_id_blind: str
    national_id_masked: str
    region: str
    site_id: str
    kind: str
    volume_ml: int | None
    doses: int | None
    counts_as_ml: int
    din: str
    collected_at: datetime
    abo: str
    rhd: str

    @property
    def subject(self) -> str:
        return self.donor_id


@dataclass(frozen=True)
class DonorDeferred:
    TYPE = "DonorDeferred"
    VERSION = 1
    donor_id: str
    reason: str
    permanent: bool
    until: date | None
    deferred_at: datetime

    @property
    def subject(self) -> str:
        return self.donor_id


@dataclass(frozen=True)
class AwardGranted:
    TYPE = "AwardGranted"
    VERSION = 1
    donor_id: str
    level: str
    donation_count: float
    granted_at: datetime

    @property
    def subject(self) -> str:
        return self.donor_id


class DonorRegisteredSchema(Schema):
    donor_id = fields.String(required=True)
    national_id_blind = fields.String(required=True)
    national_id_masked = fields.String(required=True)
    region = fields.String(required=True)
    abo = fields.String(required=True)
    rhd = fields.String(required=True)
    birth_date = fields.Date(required=True)
    sex = fields.String(required=True)
    registered_at = fields.AwareDateTime(required=True)


class DonorUpdatedSchema(Schema):
    donor_id = fields.String(required=True)
    status = fields.String(required=True)
    abo = fields.String(required=True)
    rhd = fields.String(required=True)
    region = fields.String(required=True)
    updated_at = fields.AwareDateTime(required=True)


class DonationRecordedSchema(Schema):
    donation_id = fields.String(required=True)
    donor_id = fields.String(required=True)
    national_id_blind = fields.String(required=True)
    national_id_masked = fields.String(required=True)
    region = fields.String(required=True)
    site_id = fields.String(required=True)
    kind = fields.String(required=True)
    volume_ml = fields.Integer(allow_none=True)
    doses = fields.Integer(allow_none=True)
    counts_as_ml = fields.Integer(required=True)
    din = fields.String(required=True)
    collected_at = fields.AwareDateTime(required=True)
    abo = fields.String(required=True)
    rhd = fields.String(required=True)


class DonorDeferredSchema(Schema):
    donor_id = fields.String(required=True)
    reason = fields.String(required=True)
    permanent = fields.Boolean(required=True)
    until = fields.Date(allow_none=True)
    deferred_at = fields.AwareDateTime(required=True)


class AwardGrantedSchema(Schema):
    donor_id = fields.String(required=True)
    level = fields.String(required=True)
    donation_count = fields.Float(required=True)
    granted_at = fields.AwareDateTime(required=True)


PUBLISHED = {
    DonorRegistered: DonorRegisteredSchema(),
    DonorUpdated: DonorUpdatedSchema(),
    DonationRecorded: DonationRecordedSchema(),
    DonorDeferred: DonorDeferredSchema(),
    AwardGranted: AwardGrantedSchema(),
}
