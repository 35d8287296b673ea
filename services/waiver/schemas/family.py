"""Schemas of `api/family.py`: family bindings."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..policy import FAMILY_RELATIONS
from .common import NATIONAL_ID, _text


class FamilyCreateSchema(Schema):
    name = _text(100, required=True)
    national_id = fields.String(**NATIONAL_ID)
    relation = fields.String(required=True, validate=validate.OneOf(FAMILY_RELATIONS))


class FamilyVerifySchema(Schema):
    approved = fields.Boolean(required=True)
    reason = _text(500)

    @validates_schema
    def _rejection_needs_reason(self, data, **_kw):
        if data.get("approved") is False and not data.get("reason"):
            raise ValidationError("驳回须说明理由", "reason")


class FamilyQueryArgsSchema(Schema):
    status = fields.String(validate=validate.OneOf(("pending", "verified", "rejected")))


class FamilyBindingSchema(Schema):
    id = fields.String()
    name = fields.String()
    national_id_masked = fields.String(attribute="relative_masked")
    relation = fields.String()
    status = fields.String()
    reason = fields.String(allow_none=True)
    created_at = fields.DateTime(format="iso")
    decided_at = fields.DateTime(format="iso", allow_none=True)

