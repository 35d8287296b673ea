"""Request and response schemas of the donor API."""
from __future__ import annotations

from datetime import datetime, timezone

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from hemolink.phenotypes import PHENOTYPES, RECORDED

from .model import ABO, ID_TYPES, KINDS, RHD, shanghai_day
from .points import POINT_KINDS, WEEKDAYS
from .prescreen import QUESTIONS
from .services.drives import ORGANISATION_KINDS
from .services.post_donation import REASONS as POST_DONATION_REASONS

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
    drive_id = fields.String(validate=validate.Length(min=1, max=36),
                             metadata={"description": "the group drive (团体献血) it was collected at"})


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
    drive_id = fields.String(allow_none=True)


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


# --- donation points and appointments -----------------------------------------------------------------
HHMM = validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d$", error="时间格式应为 HH:MM")


def _window_list():
    return fields.List(fields.List(fields.String(validate=HHMM), validate=validate.Length(equal=2)),
                       validate=validate.Length(max=4))


class CapacitySchema(Schema):
    whole_blood = fields.Integer(load_default=0, validate=validate.Range(min=0, max=50))
    platelets = fields.Integer(load_default=0, validate=validate.Range(min=0, max=20))

    @validates_schema
    def _takes_someone(self, data, **_kw):
        if not any(data.values()):
            raise ValidationError("每个时段至少可接待 1 位献血者", "whole_blood")


class PointCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    kind = fields.String(required=True, validate=validate.OneOf(POINT_KINDS))
    address = fields.String(required=True, validate=validate.Length(min=1, max=200))
    lat = fields.Float(required=True, validate=validate.Range(min=-90, max=90))
    lon = fields.Float(required=True, validate=validate.Range(min=-180, max=180))
    slot_minutes = fields.Integer(load_default=30, validate=validate.Range(min=10, max=240))
    capacity = fields.Nested(CapacitySchema, required=True)
    # ISO weekday ("1" = Monday) → open windows [["09:00", "17:00"]]; a vehicle opens where its stops say.
    hours = fields.Dict(keys=fields.String(validate=validate.OneOf(WEEKDAYS)), values=_window_list(),
                        load_default=dict)

    @validates_schema
    def _windows_in_order(self, data, **_kw):
        for windows in data.get("hours", {}).values():
            if any(opens >= closes for opens, closes in windows):
                raise ValidationError("开放时间须早于结束时间", "hours")


class PointSchema(Schema):
    id = fields.String()
    name = fields.String()
    kind = fields.String()
    station_id = fields.String()
    region = fields.String()
    address = fields.String()
    lat = fields.Float()
    lon = fields.Float()
    slot_minutes = fields.Integer()
    capacity = fields.Nested(CapacitySchema)
    hours = fields.Dict(keys=fields.String(), values=fields.List(fields.List(fields.String())))


class StopCreateSchema(Schema):
    day = fields.Date(required=True)
    address = fields.String(required=True, validate=validate.Length(min=1, max=200))
    lat = fields.Float(required=True, validate=validate.Range(min=-90, max=90))
    lon = fields.Float(required=True, validate=validate.Range(min=-180, max=180))
    opens = fields.String(required=True, validate=HHMM)
    closes = fields.String(required=True, validate=HHMM)

    @validates_schema
    def _opens_first(self, data, **_kw):
        if data.get("opens") and data.get("closes") and data["opens"] >= data["closes"]:
            raise ValidationError("开放时间须早于结束时间", "closes")


class StopSchema(StopCreateSchema):
    id = fields.String()
    point_id = fields.String()


class PointQueryArgsSchema(Schema):
    near = fields.String(validate=validate.Regexp(r"^-?\d{1,2}(\.\d+)?,-?\d{1,3}(\.\d+)?$",
                                                  error="near 格式应为 纬度,经度"),
                         metadata={"description": "lat,lon of the donor: nearest points first"})
    date = fields.Date(metadata={"description": "the day (Asia/Shanghai); default today"})
    kind = fields.String(validate=validate.OneOf(KINDS))

    @validates_schema
    def _coordinates_on_earth(self, data, **_kw):
        if data.get("near"):
            lat, lon = (float(x) for x in data["near"].split(","))
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise ValidationError("坐标超出范围", "near")


class DayArgsSchema(Schema):
    date = fields.Date(metadata={"description": "the day (Asia/Shanghai); default today"})


class SlotPlacesSchema(Schema):
    starts_at = fields.AwareDateTime()
    kind = fields.String()
    capacity = fields.Integer()
    free = fields.Integer()


class WindowSchema(Schema):
    opens = fields.Function(lambda w: w[0].strftime("%H:%M"))
    closes = fields.Function(lambda w: w[1].strftime("%H:%M"))


class PointDaySchema(Schema):
    """A point on one day: where it stands (a vehicle's stop), its windows, how far, the places left."""
    id = fields.String(attribute="point.id")
    name = fields.String(attribute="point.name")
    kind = fields.String(attribute="point.kind")
    station_id = fields.String(attribute="point.station_id")
    region = fields.String(attribute="point.region")
    date = fields.Date(attribute="day")
    open = fields.Function(lambda d: d.opening is not None, metadata={"type": "boolean"})
    address = fields.Function(lambda d: (d.opening or d.point).address, metadata={"type": "string"})
    lat = fields.Function(lambda d: (d.opening or d.point).lat, metadata={"type": "number"})
    lon = fields.Function(lambda d: (d.opening or d.point).lon, metadata={"type": "number"})
    windows = fields.List(fields.Nested(WindowSchema), attribute="opening.windows", dump_default=[])
    distance_km = fields.Float(allow_none=True)
    slots = fields.List(fields.Nested(SlotPlacesSchema))


AnswersSchema = Schema.from_dict(
    {q.code: fields.Boolean(required=True, metadata={"description": q.text}) for q in QUESTIONS},
    name="PrescreenAnswersSchema")


class QuestionSchema(Schema):
    code = fields.String()
    text = fields.String()
    defers_if = fields.Boolean()


class AppointmentCreateSchema(Schema):
    point_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    starts_at = fields.AwareDateTime(required=True)
    answers = fields.Nested(AnswersSchema, required=True)
    campaign_id = fields.String(validate=validate.Length(min=1, max=36),
                                metadata={"description": "the call-up whose booking link was followed"})


class AppointmentSchema(Schema):
    id = fields.String()
    point_id = fields.String()
    station_id = fields.String()
    kind = fields.String()
    starts_at = fields.AwareDateTime()
    status = fields.String()
    answers = fields.Dict(keys=fields.String(), values=fields.Boolean())
    created_at = fields.AwareDateTime()
    cancelled_at = fields.AwareDateTime(allow_none=True)
    reminded_at = fields.AwareDateTime(allow_none=True)
    donation_id = fields.String(allow_none=True)
    campaign_id = fields.String(allow_none=True)


class CallUpReportSchema(Schema):
    id = fields.String()
    region = fields.String()
    site_id = fields.String()
    component = fields.String()
    abo = fields.String()
    rhd = fields.String()
    level = fields.String()
    created_at = fields.AwareDateTime()
    invited = fields.Integer()
    booked = fields.Integer()
    donated = fields.Integer()


class ExpectedDonorSchema(Schema):
    """A day sheet's line: the booking and who is coming (masked phone: the sheet is printed)."""
    appointment = fields.Nested(AppointmentSchema)
    donor_id = fields.String(attribute="donor.id")
    name = fields.String(attribute="donor.name")
    phone_masked = fields.String(attribute="donor.phone_masked")
    abo = fields.String(attribute="donor.abo")
    rhd = fields.String(attribute="donor.rhd")


# --- rare donors and emergency teams ---------------------------------------------------------------------
class RareProfileSchema(Schema):
    phenotypes = fields.List(fields.String(validate=validate.OneOf(RECORDED)), required=True,
                             validate=validate.Length(max=len(RECORDED)),
                             metadata={"description": "rare phenotypes found by serology (RhD-negative comes from rhd)"})
    call_consent = fields.Boolean(required=True)


class RareDonorProfileSchema(Schema):
    donor_id = fields.String(attribute="id")
    name = fields.String()
    phone_masked = fields.String()
    abo = fields.String()
    rhd = fields.String()
    region = fields.String()
    rare_types = fields.List(fields.String())
    phenotypes = fields.List(fields.String())
    call_consent = fields.Boolean()


class RareDonorSchema(RareDonorProfileSchema):
    """A registry line: the donor (through RareDonor.donor) and whether they are in an emergency team."""
    donor_id = fields.String(attribute="donor.id")
    name = fields.String(attribute="donor.name")
    phone_masked = fields.String(attribute="donor.phone_masked")
    abo = fields.String(attribute="donor.abo")
    rhd = fields.String(attribute="donor.rhd")
    region = fields.String(attribute="donor.region")
    rare_types = fields.List(fields.String(), attribute="donor.rare_types")
    phenotypes = fields.List(fields.String(), attribute="donor.phenotypes")
    call_consent = fields.Boolean(attribute="donor.call_consent")
    in_team = fields.Boolean()


class RareQueryArgsSchema(Schema):
    phenotype = fields.String(validate=validate.OneOf(tuple(PHENOTYPES)))


class TeamCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))


class TeamMemberSchema(Schema):
    donor_id = fields.String(required=True, validate=validate.Length(min=1, max=36))


class TeamSchema(Schema):
    id = fields.String()
    name = fields.String()
    station_id = fields.String()
    region = fields.String()
    created_at = fields.AwareDateTime()
    members = fields.Integer()


class RareCallUpCreateSchema(Schema):
    phenotype = fields.String(required=True, validate=validate.OneOf(tuple(PHENOTYPES)))
    abo = fields.String(validate=validate.OneOf(ABO))
    kind = fields.String(load_default="whole_blood", validate=validate.OneOf(KINDS))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class RareCallUpSchema(Schema):
    id = fields.String()
    phenotype = fields.String()
    abo = fields.String(allow_none=True)
    kind = fields.String()
    reason = fields.String()
    requested_by = fields.String()
    region = fields.String()
    reached = fields.Dict(keys=fields.String(), values=fields.Integer())
    created_at = fields.AwareDateTime()


# --- group donation ----------------------------------------------------------------------------------------
class OrganisationCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    kind = fields.String(required=True, validate=validate.OneOf(ORGANISATION_KINDS))


class OrganisationSchema(Schema):
    id = fields.String()
    name = fields.String()
    kind = fields.String()
    station_id = fields.String()
    region = fields.String()
    created_at = fields.AwareDateTime()


class DriveCreateSchema(Schema):
    organisation_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    day = fields.Date(required=True)
    point_id = fields.String(validate=validate.Length(min=1, max=36))
    target_donors = fields.Integer(required=True, validate=validate.Range(min=1, max=10_000))
    roster = fields.List(fields.String(validate=validate.Length(min=1, max=36)), load_default=list,
                         validate=validate.Length(max=2000))


class RosterSchema(Schema):
    donor_ids = fields.List(fields.String(validate=validate.Length(min=1, max=36)), required=True,
                            validate=validate.Length(min=1, max=2000))


class DriveSchema(Schema):
    id = fields.String()
    organisation_id = fields.String()
    station_id = fields.String()
    region = fields.String()
    day = fields.Date()
    point_id = fields.String(allow_none=True)
    target_donors = fields.Integer()
    created_at = fields.AwareDateTime()
    roster = fields.List(fields.String())
    donated = fields.Integer()


class DriveQueryArgsSchema(Schema):
    since = fields.Date(metadata={"description": "drives on or after this day (default: today)"})


class YearArgsSchema(Schema):
    year = fields.Integer(required=True, validate=validate.Range(min=2000, max=2100))


class OrganisationYearSchema(Schema):
    organisation_id = fields.String()
    name = fields.String()
    kind = fields.String()
    donors = fields.Integer()
    donations = fields.Integer()
    ml = fields.Integer()
    repeat_rate = fields.Float(allow_none=True)


class ChannelFiguresSchema(Schema):
    donations = fields.Integer()
    ml = fields.Integer()


class GroupYearSchema(Schema):
    region = fields.String()
    year = fields.Integer()
    organisations = fields.List(fields.Nested(OrganisationYearSchema))
    group = fields.Nested(ChannelFiguresSchema)
    street = fields.Nested(ChannelFiguresSchema)


# ---- post-donation information (#22) ----------------------------------------------------------------------------
class PostDonationReportCreateSchema(Schema):
    reason = fields.String(required=True, validate=validate.OneOf(POST_DONATION_REASONS))
    note = fields.String(validate=validate.Length(min=1, max=500))
    onset_at = fields.AwareDateTime()       # when the illness began, if known: the lookback runs back from it


class PostDonationReportSchema(Schema):
    id = fields.String()
    donor_id = fields.String()
    station_id = fields.String()
    region = fields.String()
    reason = fields.String()
    note = fields.String(allow_none=True)
    onset_at = fields.AwareDateTime(allow_none=True)
    reported_at = fields.AwareDateTime()
