"""Pieces the waiver API's schemas share: field helpers, a blood line, a reason."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from ..policy import COMPONENTS


NATIONAL_ID = dict(required=True, validate=validate.Length(min=6, max=30), load_only=True)


MONTH = validate.Regexp(r"^20\d{2}-(0[1-9]|1[0-2])$", error="月份格式应为 YYYY-MM（2000 年以后）")


CHANNELS = ("mini_program", "mail", "on_site")


CLAIM_STATUSES = ("draft", "submitted", "approved", "rejected", "paid")


def _text(max_len: int, **kw):
    return fields.String(validate=validate.Length(min=1, max=max_len), **kw)


def _money_in(**kw):
    return fields.Decimal(places=2, validate=validate.Range(min=Decimal("0.01"), max=Decimal("1000000")), **kw)


def _money_out(**kw):
    """Yuan as presented: a string with two places (a JSON number would lose cents in some clients), whatever
    the domain holds (a Decimal, or the string a JSON column keeps)."""
    return fields.Decimal(places=2, as_string=True, allow_none=True, metadata={"type": "string", "example": "220.00"},
                          **kw)


class LineSchema(Schema):
    unit_id = _text(40)
    din = fields.String(validate=validate.Regexp(r"^[A-Za-z0-9]{13,14}$", error="DIN 应为 13 位（可带 1 位校验符）"))
    line_no = fields.Integer(validate=validate.Range(min=1, max=999))
    component = fields.String(required=True, validate=validate.OneOf(COMPONENTS))
    volume_ml = fields.Integer(required=True, validate=validate.Range(min=1, max=5000))
    units = fields.Decimal(places=2, validate=validate.Range(min=Decimal("0.01"), max=Decimal("100")))
    doses = fields.Decimal(places=2, validate=validate.Range(min=Decimal("0.5"), max=Decimal("10")))
    amount_yuan = _money_in(required=True)
    # What medical insurance already paid of this line's blood cost: only the rest can be waived.
    insurance_paid_yuan = _money_in(load_default=Decimal("0.00"))
    transfused_at = fields.AwareDateTime(required=True)

    @validates_schema
    def _insurance_within_cost(self, data, **_kw):
        if data.get("insurance_paid_yuan", 0) > data.get("amount_yuan", 0):
            raise ValidationError("医保已付金额不能超过血费", "insurance_paid_yuan")

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


class ReasonSchema(Schema):
    reason = _text(500, required=True)


class PoolUsedSchema(Schema):
    kind = fields.String()
    region = fields.String()
    donor_masked = fields.String()
    ml = fields.Integer()
    yuan = _money_out()


class LineOutSchema(Schema):
    """A blood line as asked for, and once paid what was waived of it and why not more."""
    unit_id = fields.String()
    din = fields.String()
    line_no = fields.Integer()
    component = fields.String()
    volume_ml = fields.Integer()
    units = fields.String()
    doses = fields.String()
    amount_yuan = _money_out()
    insurance_paid_yuan = _money_out()
    transfused_at = fields.String(metadata={"format": "date-time"})
    waived_ml = fields.Integer()
    waived_yuan = _money_out()
    reason = fields.String(allow_none=True)
