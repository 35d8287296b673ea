"""Schemas of `api/reports.py`: monthly settlement and statistics."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from .common import MONTH, _text, _money_out

MAX_SERIES_MONTHS = 24      # two years: a trend chart, not an export


class SettlementQueryArgsSchema(Schema):
    hospital_id = _text(40, required=True)
    month = fields.String(required=True, validate=MONTH)
    format = fields.String(validate=validate.OneOf(("json", "csv")))


class StatsQueryArgsSchema(Schema):
    month = fields.String(required=True, validate=MONTH)
    region = fields.String(validate=validate.Regexp(r"^[A-Z]{2,8}$"))


class MonthlyStatsQueryArgsSchema(Schema):
    """A run of months for a trend chart: from `from` to `to`, both included, at most 24."""
    first = fields.String(required=True, validate=MONTH, data_key="from")
    last = fields.String(required=True, validate=MONTH, data_key="to")
    region = fields.String(validate=validate.Regexp(r"^[A-Z]{2,8}$"))

    @validates_schema
    def _a_run_of_at_most_24_months(self, data, **_kwargs):
        if "first" not in data or "last" not in data:
            return
        (y1, m1), (y2, m2) = ((int(x) for x in data[k].split("-")) for k in ("first", "last"))
        span = (y2 - y1) * 12 + (m2 - m1) + 1
        if span < 1:
            raise ValidationError("结束月份不能早于开始月份", field_name="to")
        if span > MAX_SERIES_MONTHS:
            raise ValidationError(f"最多 {MAX_SERIES_MONTHS} 个月", field_name="to")


class ChannelFigureSchema(Schema):
    """{count, yuan}: a channel's waivers in the stats, a payer region's share in a settlement."""
    count = fields.Integer()
    yuan = _money_out()


class PoolShareSchema(Schema):
    kind = fields.String()
    region = fields.String()
    donor_masked = fields.String()
    ml = fields.Integer()
    yuan = _money_out()
    owed_by_region = fields.String()
    cross_region = fields.Boolean()


class SettlementEntrySchema(Schema):
    deduction_id = fields.String()
    event = fields.String()
    at = fields.DateTime(format="iso")
    admission_no = fields.String()
    patient_national_id_masked = fields.String(attribute="patient_masked")
    waived_yuan = _money_out()
    pools = fields.List(fields.Nested(PoolShareSchema))


class RegionAmountSchema(Schema):
    region = fields.String()
    yuan = _money_out()


class SettlementSchema(Schema):
    hospital_id = fields.String()
    month = fields.String()
    count = fields.Integer()
    applied_count = fields.Integer()
    reversed_count = fields.Integer()
    waived_yuan = _money_out()
    deductions = fields.List(fields.Nested(SettlementEntrySchema))
    owed_by_region = fields.List(fields.Nested(RegionAmountSchema))
    # api.md: what each region's blood station owes the hospital this month (a pool's region is the donation's)
    by_payer_region = fields.Dict(keys=fields.String(), values=fields.Nested(ChannelFigureSchema))


class StatsSchema(Schema):
    month = fields.String()
    region = fields.String(allow_none=True)
    by_channel = fields.Dict(keys=fields.String(), values=fields.Nested(ChannelFigureSchema))
    zero_trip_share = fields.Float(allow_none=True)
    median_days_to_pay = fields.Float(allow_none=True)

