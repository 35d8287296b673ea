"""Domain errors of the donor service: status, machine code and a Chinese title each (problem+json)."""
from __future__ import annotations

from servicekit.errors import DomainError, NotFound


class DonorNotFound(NotFound):
    """Also what a donor gets for another donor's id (authz.OWN_DONOR), so existence does not leak."""

    code = "donor_not_found"

    def __init__(self, detail: str = "献血者不存在", **kwargs):
        super().__init__(detail, **kwargs)


class InvalidNationalId(DomainError):
    status, code, title = 422, "invalid_national_id", "身份证号码无效"


class DonorExists(DomainError):
    status, code, title = 409, "donor_exists", "献血者已存在"


class NotEligible(DomainError):
    status, code, title = 422, "not_eligible", "暂不符合献血条件"


class DinExists(DomainError):
    status, code, title = 409, "din_exists", "献血码已被使用"


class InvalidDin(DomainError):
    status, code, title = 422, "invalid_din", "献血码无效"


class PointNotFound(NotFound):
    code = "point_not_found"

    def __init__(self, detail: str = "献血点不存在", **kwargs):
        super().__init__(detail, **kwargs)


class AppointmentNotFound(NotFound):
    code = "appointment_not_found"

    def __init__(self, detail: str = "预约不存在", **kwargs):
        super().__init__(detail, **kwargs)


class SlotUnavailable(DomainError):
    status, code, title = 422, "slot_unavailable", "该时段不可预约"


class SlotFull(DomainError):
    status, code, title = 409, "slot_full", "该时段已约满"


class AppointmentExists(DomainError):
    status, code, title = 409, "appointment_exists", "您已有一个待完成的预约"


class AppointmentNotCancellable(DomainError):
    status, code, title = 409, "appointment_not_cancellable", "预约无法取消"


class AppointmentNotOpen(DomainError):
    status, code, title = 409, "appointment_not_open", "该预约不能登记未到"


class NotAVehicle(DomainError):
    status, code, title = 422, "not_a_vehicle", "只有采血车有停靠安排"


class TeamNotFound(NotFound):
    code = "team_not_found"

    def __init__(self, detail: str = "应急献血队伍不存在", **kwargs):
        super().__init__(detail, **kwargs)


class OrganisationNotFound(NotFound):
    code = "organisation_not_found"

    def __init__(self, detail: str = "团体不存在", **kwargs):
        super().__init__(detail, **kwargs)


class DriveNotFound(NotFound):
    code = "drive_not_found"

    def __init__(self, detail: str = "团体献血活动不存在", **kwargs):
        super().__init__(detail, **kwargs)


class DriveMismatch(DomainError):
    status, code, title = 422, "drive_mismatch", "献血不属于该团体献血活动"
