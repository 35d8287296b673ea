"""Request and response schemas of the donor API."""
from __future__ import annotations

from datetime import datetime, timezone

from marshmallow import Schema, fields, validate

from .model import ABO, ID_TYPES, KINDS, RHD, shanghai_day

PHONE = validate.Regexp(r"^1\d{10}$", error="手机号应为 11 位数字")


class DonorCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    national_id = fields.String(required=True, validate=validate.Length(min=6, max=30), load_only=True)
    phone = fields.String(required=True, validate=PHONE, load_only=True)
    abo = fields.String(required=True, validate=validate.OneOf(ABO))
    rhd = fields.String(required=True, validate=validate.OneOf(RHD))
    id_type = fields.String(load_default="resident_id", validate=validate.OneOf(ID_TYPES))


class DonorSchema(Schema):
    id = fields.String()
    name = fields.String()
    id_type = fields.String()
    national_id_masked = fields.String()
    phone_masked = fields.String()
    birth_date = fields.Date()
    sex = fields.String()
    abo = fields.String()
    rhd = fields.String()
    region = fields.String()
    # A temporary deferral lapses on its end date even before anything rewrites the row.
    status = fields.Method("dump_status")
    deferred_until = fields.Method("dump_deferred_until")

    def _donor(self, obj):
        return obj

    def dump_status(self, obj):
        return self._donor(obj).effective_status(shanghai_day(datetime.now(timezone.utc)))

    def dump_deferred_until(self, obj):
        donor = self._donor(obj)
        return donor.deferred_until.isoformat() if self.dump_status(obj) == "deferred" else None


class DonorQueryArgsSchema(Schema):
    national_id = fields.String(validate=validate.Length(min=6, max=30))
    phone = fields.String(validate=PHONE)


class DonationCreateSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    volume_ml = fields.Integer(validate=validate.Range(min=1, max=1000))
    doses = fields.Integer(validate=validate.Range(min=1, max=10))
    collected_at = fields.AwareDateTime()
    hemoglobin_g_l = fields.Float(required=True, validate=validate.Range(min=30, max=250))
    weight_kg = fields.Float(required=True, validate=validate.Range(min=20, max=300))
    systolic = fields.Integer(validate=validate.Range(min=40, max=300))
    diastolic = fields.Integer(validate=validate.Range(min=20, max=200))
    pulse = fields.Integer(validate=validate.Range(min=20, max=250))                  # per minute
    hematocrit = fields.Float(validate=validate.Range(min=0.05, max=0.8))               # a fraction: 0.36
    platelet_count = fields.Float(validate=validate.Range(min=1, max=2000))             # x10^9/L
    adverse_reaction = fields.Boolean(load_default=False)
    din = fields.String(validate=validate.Length(min=13, max=14))


class DonationSchema(Schema):
    id = fields.String()
    donor_id = fields.String()
    din = fields.String()
    din_check = fields.String()
    kind = fields.String()
    volume_ml = fields.Integer(allow_none=True)
    doses = fields.Integer(allow_none=True)
    collected_at = fields.AwareDateTime()
    site_id = fields.String()
    region = fields.String()
    counts_as_ml = fields.Integer()
    adverse_reaction = fields.Boolean()


class EligibilityArgsSchema(Schema):
    kind = fields.String(load_default="whole_blood", validate=validate.OneOf(KINDS))


class EligibilitySchema(Schema):
    eligible = fields.Boolean()
    next_eligible_at = fields.Date(allow_none=True)
    reasons = fields.List(fields.String())


class AwardSchema(Schema):
    """An awards.EarnedAward."""
    level = fields.String()
    granted_at = fields.AwareDateTime()          # when the donor became eligible for the level
    status = fields.String()                     # "eligible": conferred at the next national commendation
    note = fields.String()


class CommendationSchema(Schema):
    """An awards.CommendationProgress: the commendation, and the donor's ml towards it."""
    region = fields.String(attribute="commendation.region")
    name = fields.String(attribute="commendation.name")
    min_ml = fields.Integer(attribute="commendation.min_ml")
    total_ml = fields.Integer()
    reached = fields.Boolean()
    source = fields.String(attribute="commendation.source")


class NextAwardSchema(Schema):
    level = fields.String()
    remaining = fields.Float()


class AwardSummarySchema(Schema):
    """An awards.AwardSummary."""
    donation_count = fields.Float()
    awards = fields.List(fields.Nested(AwardSchema))
    next = fields.Nested(NextAwardSchema, allow_none=True)
    commendations = fields.List(fields.Nested(CommendationSchema))


class MeSchema(DonorSchema):
    """A model.Profile as one flat object: the donor's fields (DonorSchema's), then the totals."""

    donation_count = fields.Integer()
    total_ml = fields.Integer()
    next_eligible_at = fields.Date(allow_none=True)

    def get_attribute(self, obj, attr, default):
        own = attr in ("donation_count", "total_ml", "next_eligible_at")
        return super().get_attribute(obj if own else obj.donor, attr, default)

    def _donor(self, obj):
        return obj.donor


class NotificationSchema(Schema):
    id = fields.String()
    kind = fields.String()
    title = fields.String()
    body = fields.String()
    created_at = fields.AwareDateTime()
    read = fields.Boolean()
