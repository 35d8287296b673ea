"""Schemas of `api/deductions.py`: a direct deduction asked for and as presented."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..policy import RELATIONS
from .common import NATIONAL_ID, LineOutSchema, PoolUsedSchema, _lines, _money_out, _text


class DeductionCreateSchema(Schema):
    patient_national_id = fields.String(**NATIONAL_ID)
    patient_name = _text(50, required=True)
    admission_no = _text(60, required=True)
    discharged_at = fields.AwareDateTime()
    donor_national_id = fields.String(validate=validate.Length(min=6, max=30), load_only=True)
    relation = fields.String(load_default="self", validate=validate.OneOf(RELATIONS))
    relation_attested = fields.Boolean(load_default=False)
    # The relative cannot donate and no employer pays (Shanghai's condition for family waivers), as attested.
    relative_conditions_attested = fields.Boolean(load_default=False)
    proof_ref = _text(200)
    lines = _lines()

    @validates_schema
    def _relative_needs_donor(self, data, **_kw):
        if data.get("relation", "self") != "self" and not data.get("donor_national_id"):
            raise ValidationError("亲属用血须提供献血者证件号码", "donor_national_id")
        if data.get("relation_attested") and not data.get("proof_ref"):
            raise ValidationError("医院出具关系证明时须提供证明编号", "proof_ref")


class DeductionSchema(Schema):
    id = fields.String(allow_none=True)        # none in a preview
    status = fields.String()
    hospital_id = fields.String()
    admission_no = fields.String()
    patient_name = fields.String()
    patient_national_id_masked = fields.String(attribute="patient_masked")
    relation = fields.String()
    relation_attested = fields.Boolean()
    relative_conditions_attested = fields.Boolean()
    total_yuan = _money_out()
    insurance_paid_yuan = _money_out()           # already paid by medical insurance: never waived
    waived_yuan = _money_out()
    patient_pays_yuan = _money_out()             # total - insurance paid - waived
    lines = fields.List(fields.Nested(LineOutSchema))
    pools_used = fields.List(fields.Nested(PoolUsedSchema))
    applied_at = fields.DateTime(format="iso")
    reversed_at = fields.DateTime(format="iso", allow_none=True)
    reverse_reason = fields.String(allow_none=True)

