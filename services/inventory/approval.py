"""Tiered clinical approval of orders (domain, plain Python): the blood counted per patient and Asia/Shanghai day
decides who must approve (clinical_policy.APPROVAL_TIERS); an emergency may go ahead and owe its approval."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .clinical_policy import APPROVAL_LEVELS, APPROVAL_TIERS, COUNTED_ML_PER_UNIT, ApprovalTier
from .errors import ApprovalInsufficient, InvalidState

STATUSES = ("not_required", "approved", "owed", "approved_after")


def counted_ml(lines: list[dict]) -> int:
    """ml of the order's lines that count toward the day's total (U × ml per U of the counted components)."""
    return round(sum(float(ln["units"]) * COUNTED_ML_PER_UNIT.get(ln["component"], 0) for ln in lines))


def tier_for(total_ml: int) -> ApprovalTier:
    return max((t for t in APPROVAL_TIERS if total_ml >= t.from_ml), key=lambda t: t.from_ml)


def covers(given_level: str | None, required_level: str) -> bool:
    if given_level not in APPROVAL_LEVELS:
        return False
    return APPROVAL_LEVELS.index(given_level) >= APPROVAL_LEVELS.index(required_level)


@dataclass(eq=False)
class OrderApproval:
    """The approval an order for a named patient needed and had. `day_total_ml` includes this order."""
    order_id: str
    hospital_id: str
    patient_blind: str
    patient_masked: str
    day: str                    # Asia/Shanghai date of the order
    counted_ml: int
    day_total_ml: int
    required_level: str
    status: str                 # not_required | approved | owed | approved_after
    priority: str
    created_at: datetime
    given: dict | None = None   # {level, approver_name, approver_id}
    approved_at: datetime | None = None

    @property
    def required_title(self) -> str:
        return next(t.title for t in APPROVAL_TIERS if t.level == self.required_level)

    def approve_after(self, given: dict, now: datetime) -> None:
        if self.status != "owed":
            raise InvalidState(f"该订单审批状态为 {self.status}，无需补批", code="approval_not_owed")
        if not covers(given.get("level"), self.required_level):
            raise ApprovalInsufficient(f"本单须{self.required_title}（{self.required_level}）",
                                       required_level=self.required_level, required_title=self.required_title,
                                       day_total_ml=self.day_total_ml,
                                       errors={"level": [f"须{self.required_title}（{self.required_level}）"]})
        self.status, self.given, self.approved_at = "approved_after", given, now
