"""Domain errors of the inventory service: status, machine code and a Chinese title each (problem+json)."""
from __future__ import annotations

from servicekit.errors import DomainError


class SiteExists(DomainError):
    status, code, title = 409, "site_exists", "站点已存在"


class SiteNotFound(DomainError):
    status, code, title = 404, "site_not_found", "站点不存在"


class UnitNotFound(DomainError):
    status, code, title = 404, "unit_not_found", "血液单元不存在"


class DonationNotFound(DomainError):
    status, code, title = 404, "donation_not_found", "献血记录不存在"


class TransferNotFound(DomainError):
    status, code, title = 404, "transfer_not_found", "调拨单不存在"


class PlanNotFound(DomainError):
    status, code, title = 404, "plan_not_found", "调配方案不存在"


class NotYourSite(DomainError):
    status, code, title = 403, "not_your_site", "无权操作其他站点的数据"


class NotYourUnit(DomainError):
    status, code, title = 403, "not_your_unit", "该血液未发往本院"


class InvalidState(DomainError):
    status, code, title = 409, "invalid_state", "当前状态不允许此操作"


class AlreadyTested(DomainError):
    status, code, title = 409, "already_tested", "该献血已有检测结论"


class InsufficientStock(DomainError):
    status, code, title = 409, "insufficient_stock", "库存不足"


class UnitNotIssuable(DomainError):
    status, code, title = 409, "unit_not_issued", "血液未处于已发放状态"


class UnitPastExpiry(DomainError):
    status, code, title = 409, "unit_expired", "血液已过期"


class PlanStale(DomainError):
    status, code, title = 409, "plan_stale", "调配方案已过期"


class UnknownRegion(DomainError):
    status, code, title = 422, "validation_failed", "地区不存在"


class SiteNotConfigured(DomainError):
    status, code, title = 409, "site_not_configured", "站点未登记或未配置供血血站"


# ---- cold chain and reserves (#22) ----------------------------------------------------------------------------
class LocationNotFound(DomainError):
    status, code, title = 404, "location_not_found", "储存设备不存在"


class ExcursionNotFound(DomainError):
    status, code, title = 404, "excursion_not_found", "温度偏离记录不存在"


class ReserveNotFound(DomainError):
    status, code, title = 404, "reserve_not_found", "储备不存在"
# ---- recalls and clinical approval (#22) ------------------------------------------------------------------------
class RecallNotFound(DomainError):
    status, code, title = 404, "recall_not_found", "召回单不存在"


class RecallLineNotFound(DomainError):
    status, code, title = 404, "recall_line_not_found", "召回明细不存在"


class OrderNotFound(DomainError):
    status, code, title = 404, "order_not_found", "订单不存在"


class ApprovalRequired(DomainError):
    """An order over its tier without the approval the tier needs (emergencies go ahead and owe it)."""
    status, code, title = 422, "approval_required", "超出本级用血审批权限，需上级审批"


class ApprovalInsufficient(DomainError):
    status, code, title = 422, "approval_insufficient", "审批级别不足"


class UnitRecalled(DomainError):
    status, code, title = 409, "unit_recalled", "该血液已被回溯召回，不得输注"
