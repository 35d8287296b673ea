"""Blood-safety rules that are data: the lookback window per marker (recalls) and the tiered clinical approval of
orders per patient and day. Shanghai defaults; a region or a later rule changes the tables, never the code.

Sources: issue #22 (沪卫发〔2020〕11号 §二.1 traceability), docs/domain-reference.md §9 ("Hospital-side approval
tiers", 医疗机构临床用血管理办法 2012 art. 28: < 800 ml / 800–1,600 ml / ≥ 1,600 ml per patient per day) and §3
(1 U = the product of 200 ml whole blood). docs/domain-reference.md gives no lookback window: the windows below are
an assumption [U] (the longest infectious window period of the marker's screening test, rounded up to a year for
HIV/HBV/HCV/HTLV, 90 days for syphilis, 30 days for a donor's report of illness after donating), to be confirmed
with the blood-safety office; every recall records the window it used.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Mapping

# ---- lookback --------------------------------------------------------------------------------------------------
POST_DONATION_REPORT = "post_donation_report"     # the marker of a donor's own report (no test result)
LOOKBACK_WINDOWS: Mapping[str, timedelta] = {
    "hiv": timedelta(days=365), "hbsag": timedelta(days=365), "hbv_nat": timedelta(days=365),
    "hcv": timedelta(days=365), "htlv": timedelta(days=365), "syphilis": timedelta(days=90),
    POST_DONATION_REPORT: timedelta(days=30),
}
DEFAULT_LOOKBACK = timedelta(days=365)            # an infectious reason not in the table: the longest window


def lookback_window(marker: str | None) -> timedelta:
    return LOOKBACK_WINDOWS.get((marker or "").strip().lower(), DEFAULT_LOOKBACK)


# ---- tiered clinical approval ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ApprovalTier:
    """From `from_ml` (inclusive) of counted blood per patient per Asia/Shanghai day, `level` must approve."""
    from_ml: int
    level: str
    title: str          # what the approval is, as the 422 and the console say it


APPROVAL_LEVELS = ("attending", "department_head", "medical_department")      # lowest to highest
APPROVAL_TIERS: tuple[ApprovalTier, ...] = (
    ApprovalTier(0, "attending", "主治医师（中级以上）申请，上级医师核准"),
    ApprovalTier(800, "department_head", "科室主任核准签发"),
    ApprovalTier(1600, "medical_department", "科室主任核准签发后报医务部门批准"),
)
# What counts toward the day's total, in ml per U: the red-cell-bearing components, 1 U being the product of 200 ml
# whole blood (the national rule counts 备血量 in whole-blood ml). Plasma, platelets and cryo are not counted: the
# rule's tiers are read as red-cell preparation (assumption [U], docs/domain-reference.md §9 marks the tiers [U]).
COUNTED_ML_PER_UNIT: Mapping[str, int] = {"red_cells": 200, "washed_red_cells": 200, "whole_blood": 200}
