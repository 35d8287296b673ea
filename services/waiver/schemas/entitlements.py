"""Schemas of `api/entitlements.py`: entitlement queries, policies and pools."""
from __future__ import annotations

from marshmallow import Schema, fields, pre_dump, validate

from .common import _money_out


class EntitlementQueryArgsSchema(Schema):
    patient_national_id = fields.String(required=True, validate=validate.Length(min=6, max=30))


class PolicyQueryArgsSchema(Schema):
    at = fields.Date(metadata={"description": "the day to show policies for (default: today, Asia/Shanghai)"})


class PolicySchema(Schema):
    region = fields.String()
    name = fields.String()
    effective_from = fields.String(metadata={"format": "date"})
    quota_model = fields.String()
    donor = fields.Dict()
    family = fields.List(fields.Dict())
    platelet_dose_ml = fields.Integer()
    usage = fields.Dict()
    price_tables = fields.List(fields.Dict())
    claim_deadline_days = fields.Integer(allow_none=True)
    required_documents = fields.Dict()
    notes = fields.String()
    source = fields.String()

    @pre_dump
    def _as_stored(self, policy, **_kw):
        """A policy is data: presented in the form it is stored and edited in (Policy.to_dict), with its source."""
        return policy.to_dict() | {"source": policy.source}


class _PoolBase(Schema):
    kind = fields.String()
    region = fields.String()
    quota_model = fields.String()
    unlimited = fields.Boolean()
    remaining_ml = fields.Integer(allow_none=True)
    remaining_yuan = _money_out()
    window_ends = fields.Date(allow_none=True)
    requires_relative_conditions = fields.Boolean()   # pays a relative only attested unable to donate, no employer


class MyPoolSchema(_PoolBase):
    quota_ml = fields.Integer(allow_none=True)
    used_ml = fields.Integer()
    quota_yuan = _money_out()
    used_yuan = _money_out()
    relations = fields.List(fields.String())


class MyEntitlementsSchema(Schema):
    pools = fields.List(fields.Nested(MyPoolSchema))


class PatientPoolSchema(_PoolBase):
    donor_masked = fields.String()
    relation = fields.String()


class PatientEntitlementsSchema(Schema):
    patient_is_donor = fields.Boolean()
    pools = fields.List(fields.Nested(PatientPoolSchema))

