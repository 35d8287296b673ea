"""Request and response schemas of the inventory API (docs/api.md, "Sites" and "Inventory")."""
from __future__ import annotations

from datetime import date

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from .model import SITE_KINDS, TRANSFER_STATUSES, UNIT_STATUSES
from .policy import ABO, COMPONENTS, PRIORITIES, PROCESSING, RHD
from .approval import STATUSES as APPROVAL_STATUSES
from .clinical_policy import APPROVAL_LEVELS
from .history import DEFAULT_DAYS, MAX_DAYS
from .recall import ANSWERS as RECALL_ANSWERS, STATUSES as RECALL_STATUSES

SITE_ID = validate.Regexp(r"^[A-Za-z0-9_-]{1,40}$", error="站点编号为 1–40 位字母、数字、- 或 _")
REGION = validate.Regexp(r"^[A-Z]{2,8}$", error="地区代码为 2–8 位大写字母")
ID = validate.Length(min=1, max=40)


# ---- sites ---------------------------------------------------------------------------------------------------
class SiteCreateSchema(Schema):
    id = fields.String(required=True, validate=SITE_ID)
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    kind = fields.String(required=True, validate=validate.OneOf(SITE_KINDS))
    region = fields.String(required=True, validate=REGION)
    supplier_id = fields.String(validate=SITE_ID, allow_none=True)
    lat = fields.Float(validate=validate.Range(min=-90, max=90), allow_none=True)
    lon = fields.Float(validate=validate.Range(min=-180, max=180), allow_none=True)


class SiteSchema(Schema):
    id = fields.String()
    name = fields.String()
    kind = fields.String()
    region = fields.String()
    supplier_id = fields.String(allow_none=True)
    lat = fields.Float(allow_none=True)
    lon = fields.Float(allow_none=True)


class SiteQueryArgsSchema(Schema):
    region = fields.String(validate=REGION)
    kind = fields.String(validate=validate.OneOf(SITE_KINDS))


class GroupLineSchema(Schema):
    component = fields.String(required=True, validate=validate.OneOf(tuple(COMPONENTS)))
    abo = fields.String(required=True, validate=validate.OneOf(ABO))
    rhd = fields.String(required=True, validate=validate.OneOf(RHD))


class DemandLineSchema(GroupLineSchema):
    units_per_day = fields.Float(required=True, validate=validate.Range(min=0, max=100000))


class DemandSchema(Schema):
    lines = fields.List(fields.Nested(DemandLineSchema), required=True, validate=validate.Length(max=200))


class DemandResultSchema(DemandSchema):
    """A model.SiteDemand."""
    site_id = fields.String()


# ---- units ---------------------------------------------------------------------------------------------------
class UnitSchema(Schema):
    id = fields.String()
    din = fields.String()
    component = fields.String()
    abo = fields.String()
    rhd = fields.String()
    units = fields.Float()
    volume_ml = fields.Integer()
    status = fields.String()
    site_id = fields.String()
    region = fields.String()
    collected_at = fields.AwareDateTime()
    expires_at = fields.AwareDateTime()
    issued_to = fields.String(allow_none=True)
    order_id = fields.String(allow_none=True)
    transfer_id = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)


class MovementSchema(Schema):
    at = fields.AwareDateTime()
    kind = fields.String()
    status = fields.String()
    from_site = fields.String(allow_none=True)
    to_site = fields.String(allow_none=True)
    ref = fields.String(allow_none=True)
    note = fields.String(allow_none=True)


class UnitDetailSchema(UnitSchema):
    """A unit with its movements (model.Movement) as services/units.py get_unit loaded them."""
    history = fields.List(fields.Nested(MovementSchema))


class UnitQueryArgsSchema(Schema):
    site_id = fields.String(validate=SITE_ID)
    status = fields.String(validate=validate.OneOf(UNIT_STATUSES))
    component = fields.String(validate=validate.OneOf(tuple(COMPONENTS)))
    abo = fields.String(validate=validate.OneOf(ABO))
    rhd = fields.String(validate=validate.OneOf(RHD))


class TestResultSchema(Schema):
    qualified = fields.Boolean(required=True)
    reason = fields.String(validate=validate.Length(min=1, max=200))
    # Optional: when absent, derived from `reason` as a code (policy.TEST_FAILURE_REASONS).
    infectious = fields.Boolean()


class DiscardSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))


class ProcessSchema(Schema):
    into = fields.String(required=True, validate=validate.OneOf(sorted({into for _, into in PROCESSING})))


# ---- stock ---------------------------------------------------------------------------------------------------
class StockQueryArgsSchema(Schema):
    region = fields.String(validate=REGION)
    site_id = fields.String(validate=SITE_ID)


class ExpectedCollectionsArgsSchema(Schema):
    site_id = fields.String(validate=SITE_ID)
    region = fields.String(validate=REGION)
    first = fields.Date(data_key="from")     # default today (Asia/Shanghai)
    last = fields.Date(data_key="to")        # default from + 6 days; at most 31 days per call


class ByKindSchema(Schema):
    whole_blood = fields.Integer()
    platelets = fields.Integer()


class DriveExpectationSchema(Schema):
    drive_id = fields.String()
    point_id = fields.String(allow_none=True)
    target_donors = fields.Integer()
    donated = fields.Integer()
    remaining = fields.Integer()


class ExpectedCollectionsSchema(Schema):
    """A services.expected.SiteDay: collections (one bag each) still expected and already collected."""
    site_id = fields.String()
    region = fields.String()
    day = fields.Date()
    expected = fields.Nested(ByKindSchema)
    expected_total = fields.Integer()
    collected = fields.Nested(ByKindSchema)
    collected_total = fields.Integer()
    appointments = fields.Dict(keys=fields.String(), values=fields.Integer())   # booked, kept, cancelled, missed
    drives = fields.List(fields.Nested(DriveExpectationSchema))


class StockPolicyQueryArgsSchema(Schema):
    region = fields.String(load_default="SH", validate=REGION)


class ThresholdsSchema(Schema):
    yellow_below_days = fields.Float()
    orange_below_days = fields.Float()
    red_below_days = fields.Float()


class StockPolicySchema(Schema):
    """A model.StockLegend: the region asked about, its policy's figures, the thresholds per component."""
    region = fields.String()
    effective_from = fields.Date(attribute="policy.effective_from")
    # yellow: more than this many consecutive days below its threshold
    sustain_days = fields.Float(attribute="policy.sustain_days")
    # orange and red: the same (0: at once)
    escalation_sustain_days = fields.Float(attribute="policy.escalation_sustain_days")
    levels = fields.List(fields.String())
    thresholds = fields.Dict(keys=fields.String(), values=fields.Nested(ThresholdsSchema))   # per component


class StockRowSchema(Schema):
    site_id = fields.String()
    region = fields.String()
    component = fields.String()
    abo = fields.String()
    rhd = fields.String()
    available_units = fields.Float()
    daily_demand = fields.Float()
    days_of_supply = fields.Float(allow_none=True)
    level = fields.String()
    # Reserve for a major event active today (#22): U the site keeps, and that in days of supply.
    reserve_units = fields.Float()
    reserve_days = fields.Float(allow_none=True)


# ---- stock history (#20) -------------------------------------------------------------------------------------
HISTORY_DAYS = fields.Integer(load_default=DEFAULT_DAYS, validate=validate.Range(min=1, max=MAX_DAYS,
                              error=f"天数为 1–{MAX_DAYS}"))


class StockHistoryArgsSchema(Schema):
    site_id = fields.String(required=True, validate=SITE_ID)
    days = HISTORY_DAYS
    component = fields.String(validate=validate.OneOf(COMPONENTS))
    abo = fields.String(validate=validate.OneOf(ABO))
    rhd = fields.String(validate=validate.OneOf(RHD))


class LevelsHistoryArgsSchema(Schema):
    region = fields.String(validate=REGION)
    days = HISTORY_DAYS
    component = fields.String(validate=validate.OneOf(COMPONENTS))


class StockSnapshotSchema(Schema):
    """A history.Snapshot: the stock view of a site × component × group as it stood on a Shanghai day."""
    day = fields.Date()
    site_id = fields.String()
    region = fields.String()
    component = fields.String()
    abo = fields.String()
    rhd = fields.String()
    available_units = fields.Float()
    days_of_supply = fields.Float(allow_none=True)
    level = fields.String()


class LevelCountsSchema(Schema):
    """A history.LevelCounts: cells (site × component × group) at each level on a day."""
    day = fields.Date()
    green = fields.Integer()
    yellow = fields.Integer()
    orange = fields.Integer()
    red = fields.Integer()
    no_data = fields.Integer()


# ---- orders and transfusions ---------------------------------------------------------------------------------
class UnitsLineSchema(GroupLineSchema):
    units = fields.Float(required=True, validate=validate.Range(min=0, min_inclusive=False, max=1000))


class EmergencyOverrideSchema(Schema):
    """The clinician's recorded decision to give RhD-positive red cells to an RhD-negative patient."""
    approved_by = fields.String(required=True, validate=validate.Length(min=1, max=100))
    reason = fields.String(required=True, validate=validate.Length(min=2, max=500))


class OrderCreateSchema(Schema):
    lines = fields.List(fields.Nested(UnitsLineSchema), required=True, validate=validate.Length(min=1, max=50))
    priority = fields.String(load_default="routine", validate=validate.OneOf(PRIORITIES))
    emergency_override = fields.Nested(EmergencyOverrideSchema)
    # Tiered clinical approval (#22): an order for a named patient counts toward that patient's day.
    patient_national_id = fields.String(load_only=True, validate=validate.Length(min=6, max=30))
    clinical_approval = fields.Nested(lambda: ClinicalApprovalSchema())

    @validates_schema
    def _approval_needs_patient(self, data, **kwargs):
        if data.get("clinical_approval") and not data.get("patient_national_id"):
            raise ValidationError("临床审批须与患者身份证号一同提交", "patient_national_id")

    @validates_schema
    def _override_only_in_emergencies(self, data, **kwargs):
        if data.get("emergency_override") and data.get("priority") != "emergency":
            raise ValidationError("只有紧急（emergency）订单可以附临床越级输注决定", "emergency_override")


class SubstitutionSchema(Schema):
    abo = fields.String()
    rhd = fields.String()
    units = fields.Float()
    unit_ids = fields.List(fields.String())
    rhd_override = fields.Boolean()          # given under the order's emergency_override (RhD-incompatible)


class OrderLineSchema(Schema):
    component = fields.String()
    abo = fields.String()
    rhd = fields.String()
    units = fields.Float()
    level = fields.String()
    cut_percent = fields.Float()
    allowed_units = fields.Float()
    allocated_units = fields.Float()
    shortfall_units = fields.Float()
    substitutions = fields.List(fields.Nested(SubstitutionSchema))


class OrderSchema(Schema):
    id = fields.String()
    status = fields.String()
    priority = fields.String()
    hospital_id = fields.String()
    supplier_id = fields.String()
    created_at = fields.AwareDateTime()
    lines = fields.List(fields.Nested(OrderLineSchema))
    allocations = fields.List(fields.Nested(UnitSchema))
    emergency_override = fields.Nested(EmergencyOverrideSchema, allow_none=True)
    approval = fields.Nested(lambda: OrderApprovalSchema(), allow_none=True)   # only for orders naming a patient


class TransfusionCreateSchema(Schema):
    unit_id = fields.String(required=True, validate=ID)
    patient_national_id = fields.String(required=True, load_only=True, validate=validate.Length(min=6, max=30))
    patient_name = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=100))
    transfused_at = fields.AwareDateTime(required=True)


class TransfusionSchema(Schema):
    id = fields.String()
    unit_id = fields.String()
    hospital_id = fields.String()
    patient_masked = fields.String()
    transfused_at = fields.AwareDateTime()
    recorded_at = fields.AwareDateTime()
    unit = fields.Nested(UnitSchema)


# ---- transfers -----------------------------------------------------------------------------------------------
class TransferCreateSchema(Schema):
    from_site = fields.String(required=True, validate=SITE_ID)
    to_site = fields.String(required=True, validate=SITE_ID)
    lines = fields.List(fields.Nested(UnitsLineSchema), required=True, validate=validate.Length(min=1, max=50))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))


class TransferLineSchema(Schema):
    component = fields.String()
    abo = fields.String()
    rhd = fields.String()
    units = fields.Float()
    dispatched_units = fields.Float()


class TransferSchema(Schema):
    id = fields.String()
    from_site = fields.String()
    to_site = fields.String()
    inter_region = fields.Boolean()
    lines = fields.List(fields.Nested(TransferLineSchema))
    status = fields.String()
    reason = fields.String()
    plan_id = fields.String(allow_none=True)
    units = fields.List(fields.Nested(UnitSchema))
    requested_at = fields.AwareDateTime()
    dispatched_at = fields.AwareDateTime(allow_none=True)
    received_at = fields.AwareDateTime(allow_none=True)
    cancelled_at = fields.AwareDateTime(allow_none=True)


class TransferQueryArgsSchema(Schema):
    site_id = fields.String(validate=SITE_ID)
    status = fields.String(validate=validate.OneOf(TRANSFER_STATUSES))


# ---- rebalancing ---------------------------------------------------------------------------------------------
class PlanCreateSchema(Schema):
    region = fields.String(validate=REGION)
    target_days = fields.Float(validate=validate.Range(min=0.5, max=60))
    # Only this station's surplus moves: a station may approve such a plan itself (plans.py).
    from_site = fields.String(validate=SITE_ID)


class MoveSchema(Schema):
    from_site = fields.String()
    to_site = fields.String()
    component = fields.String()
    abo = fields.String()
    rhd = fields.String()
    units = fields.Float()
    distance_km = fields.Float()


class PlanMetricsSchema(Schema):
    sites_below_target = fields.Integer()
    shortfall_units = fields.Float()
    expiring_units = fields.Float()


class PlanSchema(Schema):
    id = fields.String()
    status = fields.String()
    region = fields.String(allow_none=True)
    target_days = fields.Float()
    moves = fields.List(fields.Nested(MoveSchema))
    before = fields.Nested(PlanMetricsSchema)
    after = fields.Nested(PlanMetricsSchema)
    objective = fields.Dict()
    solver = fields.String()
    created_at = fields.AwareDateTime()
    approved_at = fields.AwareDateTime(allow_none=True)
    transfer_ids = fields.List(fields.String())
    from_site = fields.String(allow_none=True)


# ---- lookback and recall, clinical approval (#22) --------------------------------------------------------------
class RecallLineSchema(Schema):
    id = fields.String()
    hospital_id = fields.String()
    region = fields.String(allow_none=True)
    unit_id = fields.String()
    din = fields.String()
    component = fields.String()
    status_at_notice = fields.String()
    notified_at = fields.AwareDateTime()
    answer = fields.String(allow_none=True)
    answered_at = fields.AwareDateTime(allow_none=True)
    answered_by = fields.String(allow_none=True)
    note = fields.String(allow_none=True)


class RecallSchema(Schema):
    """services/recalls.py present(): never the donor; for a hospital, its own lines only and no trigger."""
    id = fields.String()
    trigger = fields.String()
    trigger_ref = fields.String(allow_none=True)
    marker = fields.String()
    status = fields.String()
    window_days = fields.Integer()
    window_from = fields.AwareDateTime()
    window_to = fields.AwareDateTime()
    opened_at = fields.AwareDateTime()
    closed_at = fields.AwareDateTime(allow_none=True)
    closure_hours = fields.Float(allow_none=True)
    held_unit_ids = fields.List(fields.String())
    hospitals = fields.List(fields.String())
    unanswered = fields.Integer()
    lines = fields.List(fields.Nested(RecallLineSchema))


class RecallQueryArgsSchema(Schema):
    status = fields.String(validate=validate.OneOf(RECALL_STATUSES))


class RecallAnswerSchema(Schema):
    answer = fields.String(required=True, validate=validate.OneOf(RECALL_ANSWERS))
    note = fields.String(validate=validate.Length(min=1, max=500))   # required for `transfused`: the follow-up


_STATS_DAYS = validate.Range(min=date(2000, 1, 1), max=date(2100, 12, 31), error="日期须在 2000-01-01 至 2100-12-31 之间")


class RecallStatsArgsSchema(Schema):
    since = fields.Date(required=True, validate=_STATS_DAYS)      # Asia/Shanghai days, `until` inclusive
    until = fields.Date(required=True, validate=_STATS_DAYS)

    @validates_schema
    def _ordered(self, data, **kwargs):
        if "since" in data and "until" in data and data["until"] < data["since"]:
            raise ValidationError("结束日期不能早于开始日期", "until")
        if "since" in data and "until" in data and (data["until"] - data["since"]).days > 366:
            raise ValidationError("统计区间不能超过一年", "until")


class RecallStatsSchema(Schema):
    since = fields.AwareDateTime()
    until = fields.AwareDateTime()
    opened = fields.Integer()
    closed = fields.Integer()
    open = fields.Integer()
    closure_hours = fields.Dict(keys=fields.String(), values=fields.Float(allow_none=True))
    lines = fields.Dict(keys=fields.String(), values=fields.Integer())
    hospitals = fields.Integer()


class ClinicalApprovalSchema(Schema):
    """Who approved the order's blood: the level (clinical_policy.APPROVAL_LEVELS) and the approver."""
    level = fields.String(required=True, validate=validate.OneOf(APPROVAL_LEVELS))
    approver_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    approver_id = fields.String(validate=validate.Length(min=1, max=40), allow_none=True)


class OrderApprovalSchema(Schema):
    order_id = fields.String()
    hospital_id = fields.String()
    patient_masked = fields.String()
    day = fields.String()
    priority = fields.String()
    counted_ml = fields.Integer()
    day_total_ml = fields.Integer()
    required_level = fields.String()
    required_title = fields.String()
    status = fields.String()
    given = fields.Nested(ClinicalApprovalSchema, allow_none=True)
    created_at = fields.AwareDateTime()
    approved_at = fields.AwareDateTime(allow_none=True)


class ApprovalQueryArgsSchema(Schema):
    status = fields.String(validate=validate.OneOf(APPROVAL_STATUSES))
