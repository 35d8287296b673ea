"""Schemas of `api/claims.py`: reimbursement claims and their documents."""
from __future__ import annotations

from datetime import datetime, timezone

from flask_smorest.fields import Upload
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ..policy import DOCUMENT_KINDS, RELATIONS, shanghai_day
from .common import CHANNELS, CLAIM_STATUSES, NATIONAL_ID, LineOutSchema, PoolUsedSchema, _lines, _money_out, _text


class BankSchema(Schema):
    account_name = _text(100, required=True)
    account_no = fields.String(required=True, load_only=True,
                               validate=validate.Regexp(r"^\d{8,30}$", error="银行账号应为 8–30 位数字"))
    bank_name = _text(100, required=True)


class ClaimCreateSchema(Schema):
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    patient_national_id = fields.String(**NATIONAL_ID)
    patient_name = _text(50, required=True)
    relation = fields.String(required=True, validate=validate.OneOf(RELATIONS))
    donor_national_id = fields.String(validate=validate.Length(min=6, max=30), load_only=True)
    hospital_name = _text(200, required=True)
    hospital_site_id = _text(40)
    admission_no = _text(60)
    invoice_no = _text(60, required=True)
    lines = _lines()
    bank = fields.Nested(BankSchema, required=True)
    tracking_no = _text(60)
    received_on = fields.Date()
    # The relative cannot donate and no employer pays (Shanghai's condition for family waivers), as declared.
    relative_conditions_attested = fields.Boolean(load_default=False)

    @validates_schema
    def _channel_rules(self, data, **_kw):
        if data.get("channel") == "mail" and not data.get("tracking_no"):
            raise ValidationError("邮寄申请须填写快递单号", "tracking_no")
        received = data.get("received_on")
        if received is not None and data.get("channel") != "mail":
            raise ValidationError("只有邮寄申请填写收件日期", "received_on")
        if received is not None and received > shanghai_day(datetime.now(timezone.utc)):
            raise ValidationError("收件日期不能晚于今天", "received_on")


class DocumentFormSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(DOCUMENT_KINDS))


class DocumentFileSchema(Schema):
    file = Upload(required=True)


class PaySchema(Schema):
    payment_ref = _text(100)


class ClaimQueryArgsSchema(Schema):
    status = fields.String(validate=validate.OneOf(CLAIM_STATUSES))
    channel = fields.String(validate=validate.OneOf(CHANNELS))


class DocumentSchema(Schema):
    id = fields.String()
    kind = fields.String()
    sha256 = fields.String()
    size = fields.Integer()
    filename = fields.String()
    content_type = fields.String()
    uploaded_at = fields.DateTime(format="iso")


class ClaimBankSchema(Schema):
    account_name = fields.String()
    account_no_masked = fields.String()
    bank_name = fields.String()


class ClaimPaymentSchema(Schema):
    region = fields.String()
    yuan = _money_out()
    payment_ref = fields.String(allow_none=True)


class ClaimSchema(Schema):
    id = fields.String()
    channel = fields.String()
    status = fields.String()
    region = fields.String()
    relation = fields.String()
    patient_name = fields.String()
    patient_national_id_masked = fields.String(attribute="patient_masked")
    hospital_name = fields.String()
    hospital_site_id = fields.String(allow_none=True)
    admission_no = fields.String(allow_none=True)
    invoice_no = fields.String()
    tracking_no = fields.String(allow_none=True)
    received_on = fields.Date(allow_none=True)
    total_yuan = _money_out()
    approved_yuan = _money_out()
    lines = fields.List(fields.Nested(LineOutSchema))
    pools_used = fields.List(fields.Nested(PoolUsedSchema))
    bank = fields.Nested(ClaimBankSchema)
    created_at = fields.DateTime(format="iso")
    submitted_at = fields.DateTime(format="iso", allow_none=True)
    decided_at = fields.DateTime(format="iso", allow_none=True)
    paid_at = fields.DateTime(format="iso", allow_none=True)
    payment_ref = fields.String(allow_none=True)
    handling_region = fields.String()          # the paying donation's region: its reviewers decide, it pays
    relative_conditions_attested = fields.Boolean()
    payments = fields.List(fields.Nested(ClaimPaymentSchema))   # one per paying region
    reason = fields.String(allow_none=True)
    documents = fields.List(fields.Nested(DocumentSchema))
