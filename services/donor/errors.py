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
