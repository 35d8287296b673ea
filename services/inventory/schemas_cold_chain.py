"""Request and response schemas of the cold chain and reserves (#22; docs/api-notes.md "Cold chain")."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from .coldchain import DECISIONS, EXCURSION_STATUSES, LOCATION_KINDS, MAX_BATCH
from .policy import ABO, COMPONENTS, RHD
from .schemas import REGION, SITE_ID

CELSIUS = validate.Range(min=-100, max=100)     # a sensor's physical range; beyond it the reading is garbage
ID = validate.Length(min=1, max=36)


class LocationCreateSchema(Schema):
    site_id = fields.String(required=True, validate=SITE_ID)
    kind = fields.String(required=True, validate=validate.OneOf(LOCATION_KINDS))
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))


class RangeSchema(Schema):
    min_c = fields.Float(allow_none=True)
    max_c = fields.Float(allow_none=True)
    allowed_minutes = fields.Function(lambda r: r.allowed.total_seconds() / 60)
    agitation = fields.Boolean()


class LocationSchema(Schema):
    id = fields.String()
    site_id = fields.String()
    kind = fields.String()
    name = fields.String()
    active = fields.Boolean()
    created_at = fields.AwareDateTime()
    range = fields.Nested(RangeSchema)


class LocationQueryArgsSchema(Schema):
    site_id = fields.String(validate=SITE_ID)


class PlaceUnitsSchema(Schema):
    unit_ids = fields.List(fields.String(validate=ID), required=True, validate=validate.Length(min=1, max=500))


class ReadingSchema(Schema):
    location_id = fields.String(required=True, validate=ID)
    at = fields.AwareDateTime(required=True)
    celsius = fields.Float(required=True, validate=CELSIUS, allow_nan=False)
    agitating = fields.Boolean(allow_none=True)     # platelet agitators report whether they shake


class ReadingBatchSchema(Schema):
    readings = fields.List(fields.Nested(ReadingSchema), required=True,
                           validate=validate.Length(min=1, max=MAX_BATCH))


class ExcursionSchema(Schema):
    id = fields.String()
    site_id = fields.String()
    kind = fields.String()
    location_id = fields.String(allow_none=True)
    transfer_id = fields.String(allow_none=True)
    started_at = fields.AwareDateTime()
    ended_at = fields.AwareDateTime(allow_none=True)
    min_c = fields.Float(allow_none=True)
    max_c = fields.Float(allow_none=True)
    reasons = fields.List(fields.String())
    unit_ids = fields.List(fields.String())
    status = fields.String()
    detected_at = fields.AwareDateTime()
    decision = fields.String(allow_none=True)
    decided_by = fields.String(allow_none=True)
    decided_at = fields.AwareDateTime(allow_none=True)
    decision_reason = fields.String(allow_none=True)


class ReadingBatchResultSchema(Schema):
    accepted = fields.Integer()
    stored = fields.Integer()
    duplicates = fields.Integer()
    excursions = fields.List(fields.Nested(ExcursionSchema))


class ExcursionQueryArgsSchema(Schema):
    site_id = fields.String(validate=SITE_ID)
    region = fields.String(validate=REGION)
    status = fields.String(validate=validate.OneOf(EXCURSION_STATUSES))


class DecisionSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(DECISIONS))
    reason = fields.String(required=True, validate=validate.Length(min=2, max=500))


class StatsQueryArgsSchema(Schema):
    region = fields.String(validate=REGION)
    since = fields.AwareDateTime(required=True)
    until = fields.AwareDateTime(required=True)

    @validates_schema
    def _order(self, data, **_):
        if data["until"] <= data["since"]:
            raise ValidationError("until 须晚于 since", "until")


class DiscardCountSchema(Schema):
    bags = fields.Integer()
    units = fields.Float()


class ColdChainStatsSchema(Schema):
    region = fields.String(allow_none=True)
    since = fields.AwareDateTime()
    until = fields.AwareDateTime()
    excursions = fields.Integer()
    excursions_by_kind = fields.Dict(keys=fields.String(), values=fields.Integer())
    excursions_by_status = fields.Dict(keys=fields.String(), values=fields.Integer())
    discards_by_cause = fields.Dict(keys=fields.String(), values=fields.Nested(DiscardCountSchema))


class TransportReadingSchema(Schema):
    at = fields.AwareDateTime(required=True)
    celsius = fields.Float(required=True, validate=CELSIUS, allow_nan=False)


class TransferReceiveSchema(Schema):
    """Optional body of a receipt: the transport leg's readings (the cool box's logger)."""
    transport_readings = fields.List(fields.Nested(TransportReadingSchema), validate=validate.Length(max=MAX_BATCH))
    location_id = fields.String(validate=ID)     # the receiving station's store the units go into


# ---- reserves ----------------------------------------------------------------------------------------------
class ReserveCreateSchema(Schema):
    site_id = fields.String(required=True, validate=SITE_ID)
    component = fields.String(required=True, validate=validate.OneOf(tuple(COMPONENTS)))
    abo = fields.String(required=True, validate=validate.OneOf(ABO))
    rhd = fields.String(required=True, validate=validate.OneOf(RHD))
    units = fields.Float(required=True, validate=validate.Range(min=0, min_inclusive=False, max=100000))
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))

    @validates_schema
    def _dates(self, data, **_):
        if data["ends_on"] < data["starts_on"]:
            raise ValidationError("结束日期不能早于开始日期", "ends_on")
        if (data["ends_on"] - data["starts_on"]).days > 366:
            raise ValidationError("储备期最长一年", "ends_on")


class ReserveSchema(Schema):
    id = fields.String()
    site_id = fields.String()
    component = fields.String()
    abo = fields.String()
    rhd = fields.String()
    units = fields.Float()
    starts_on = fields.Date()
    ends_on = fields.Date()
    reason = fields.String()
    created_by = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()


class ReserveQueryArgsSchema(Schema):
    site_id = fields.String(validate=SITE_ID)
    region = fields.String(validate=REGION)
    active_on = fields.Date()
