"""Request and response schemas of the waiver API.

Use cases return JSON-ready dicts (money as "220.00", times as ISO 8601 strings) because a direct
deduction's response is stored and replayed verbatim; response schemas therefore declare strings.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

from flask_smorest.fields import Upload
from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from .policy import COMPONENTS, DOCUMENT_KINDS, FAMILY_RELATIONS, RELATIONS

NATIONAL_ID = dict(required=True, validate=validate.Length(min=6, max=30), load_only=True)
MONTH = validate.Regexp(r"^20\d{2}-(0[1-9]|1[0-2])$", error="月份格式应为 YYYY-MM（2000 年以后）")
CHANNELS = ("mini_program", "mail", "on_site")
CLAIM_STATUSES = ("draft", "submitted", "approved", "rejected", "paid")


def _text(max_len: int, **kw):
    return fields.String(validate=validate.Length(min=1, max=max_len), **kw)


def _money_in(**kw):
    return fields.Decimal(places=2, validate=validate.Range(min=Decimal("0.01"), max=Decimal("1000000")), **kw)


def _time_out(**kw):
    return fields.String(metadata={"format": "date-time"}, allow_none=True, **kw)


def _money_out(**kw):
    return fields.String(metadata={"example": "220.00"}, allow_none=True, **kw)


# --- requests -------------------------------------------------------------------------------------------
class EntitlementQueryArgsSchema(Schema):
    patient_national_id = fields.String(required=True, validate=validate.Length(min=6, max=30))


class PolicyQueryArgsSchema(Schema):
    at = fields.Date(metadata={"description": "the day to show policies for (default: today, Asia/Shanghai)"})


class LineSchema(Schema):
    unit_id = _text(40)
    din = fields.String(validate=validate.Regexp(r"^[A-Za-z0-9]{13,14}$", error="DIN 应为 13 位（可带 1 位校验符）"))
    line_no = fields.Integer(validate=validate.Range(min=1, max=999))
    component = fields.String(required=True, validate=validate.OneOf(COMPONENTS))
    volume_ml = fields.Integer(required=True, validate=validate.Range(min=1, max=5000))
    units = fields.Decimal(places=2, validate=validate.Range(min=Decimal("0.01"), max=Decimal("100")))
    doses = fields.Decimal(places=2, validate=validate.Range(min=Decimal("0.5"), max=Decimal("10")))
    amount_yuan = _money_in(required=True)
    transfused_at = fields.AwareDateTime(required=True)

    @validates_schema
    def _not_in_future(self, data, **_kw):
        at = data.get("transfused_at")
        if at and at > datetime.now(timezone.utc) + timedelta(minutes=10):
            raise ValidationError("输血时间不能晚于现在", "transfused_at")

    @post_load
    def _canonical_din(self, data, **_kw):
        """A typed DIN may carry its check character: the 13-character number is the donation's identity."""
        if data.get("din"):
            data["din"] = data["din"].upper()[:13]
        return data


def _lines():
    return fields.List(fields.Nested(LineSchema), required=True, validate=validate.Length(min=1, max=200))


class DeductionCreateSchema(Schema):
    patient_national_id = fields.String(**NATIONAL_ID)
    patient_name = _text(50, required=True)
    admission_no = _text(60, required=True)
    discharged_at = fields.AwareDateTime()
    donor_national_id = fields.String(validate=validate.Length(min=6, max=30), load_only=True)
    relation = fields.String(load_default="self", validate=validate.OneOf(RELATIONS))
    relation_attested = fields.Boolean(load_default=False)
    proof_ref = _text(200)
    lines = _lines()

    @validates_schema
    def _relative_needs_donor(self, data, **_kw):
        if data.get("relation", "self") != "self" and not data.get("donor_national_id"):
            raise ValidationError("亲属用血须提供献血者证件号码", "donor_national_id")
        if data.get("relation_attested") and not data.get("proof_ref"):
            raise ValidationError("医院出具关系证明时须提供证明编号", "proof_ref")


class ReasonSchema(Schema):
    reason = _text(500, required=True)


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

    @validates_schema
    def _channel_rules(self, data, **_kw):
        if data.get("channel") == "mail" and not data.get("tracking_no"):
            raise ValidationError("邮寄申请须填写快递单号", "tracking_no")


class DocumentFormSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(DOCUMENT_KINDS))


class DocumentFileSchema(Schema):
    file = Upload(required=True)


class PaySchema(Schema):
    payment_ref = _text(100)


class ClaimQueryArgsSchema(Schema):
    status = fields.String(validate=validate.OneOf(CLAIM_STATUSES))
    channel = fields.String(validate=validate.OneOf(CHANNELS))


class SettlementQueryArgsSchema(Schema):
    hospital_id = _text(40, required=True)
    month = fields.String(required=True, validate=MONTH)
    format = fields.String(validate=validate.OneOf(("json", "csv")))


class StatsQueryArgsSchema(Schema):
    month = fields.String(required=True, validate=MONTH)
    region = fields.String(validate=validate.Regexp(r"^[A-Z]{2,8}$"))


# --- responses ------------------------------------------------------------------------------------------
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


class _PoolBase(Schema):
    kind = fields.String()
    region = fields.String()
    quota_model = fields.String()
    unlimited = fields.Boolean()
    remaining_ml = fields.Integer(allow_none=True)
    remaining_yuan = _money_out()
    window_ends = fields.String(allow_none=True, metadata={"format": "date"})


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


class FamilyBindingSchema(Schema):
    id = fields.String()
    name = fields.String()
    national_id_masked = fields.String()
    relation = fields.String()
    status = fields.String()
    reason = fields.String(allow_none=True)
    created_at = _time_out()
    decided_at = _time_out()


class PoolUsedSchema(Schema):
    kind = fields.String()
    region = fields.String()
    donor_masked = fields.String()
    ml = fields.Integer()
    yuan = _money_out()


class DeductionSchema(Schema):
    id = fields.String(allow_none=True)
    status = fields.String()
    hospital_id = fields.String()
    admission_no = fields.String()
    patient_name = fields.String()
    patient_national_id_masked = fields.String()
    relation = fields.String()
    relation_attested = fields.Boolean()
    total_yuan = _money_out()
    waived_yuan = _money_out()
    patient_pays_yuan = _money_out()
    lines = fields.List(fields.Dict())
    pools_used = fields.List(fields.Nested(PoolUsedSchema))
    applied_at = _time_out()
    reversed_at = _time_out()
    reverse_reason = fields.String(allow_none=True)


class DocumentSchema(Schema):
    id = fields.String()
    kind = fields.String()
    sha256 = fields.String()
    size = fields.Integer()
    filename = fields.String()
    content_type = fields.String()
    uploaded_at = _time_out()


class ClaimSchema(Schema):
    id = fields.String()
    channel = fields.String()
    status = fields.String()
    region = fields.String()
    relation = fields.String()
    patient_name = fields.String()
    patient_national_id_masked = fields.String()
    hospital_name = fields.String()
    hospital_site_id = fields.String(allow_none=True)
    admission_no = fields.String(allow_none=True)
    invoice_no = fields.String()
    tracking_no = fields.String(allow_none=True)
    total_yuan = _money_out()
    approved_yuan = _money_out()
    lines = fields.List(fields.Dict())
    pools_used = fields.List(fields.Nested(PoolUsedSchema))
    bank = fields.Dict()
    created_at = _time_out()
    submitted_at = _time_out()
    decided_at = _time_out()
    paid_at = _time_out()
    payment_ref = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    documents = fields.List(fields.Nested(DocumentSchema))


class SettlementSchema(Schema):
    hospital_id = fields.String()
    month = fields.String()
    count = fields.Integer()
    applied_count = fields.Integer()
    reversed_count = fields.Integer()
    waived_yuan = _money_out()
    deductions = fields.List(fields.Dict())
    owed_by_region = fields.List(fields.Dict())


class ChannelFigureSchema(Schema):
    count = fields.Integer()
    yuan = _money_out()


class StatsSchema(Schema):
    month = fields.String()
    region = fields.String(allow_none=True)
    by_channel = fields.Dict(keys=fields.String(), values=fields.Nested(ChannelFigureSchema))
    zero_trip_share = fields.Float(allow_none=True)
    median_days_to_pay = fields.Float(allow_none=True)
