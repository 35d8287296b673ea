"""Lookback and recall (domain, plain Python): a donor's positive test or report of illness reaches every earlier
unit of theirs within the lookback window. Units in stock are held in quarantine; each hospital that received one
gets a line per unit to answer; the recall closes when every line is answered. Hospitals never see the donor."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from .errors import InvalidState

RECALL_HOLD = "lookback_hold"          # a unit's `reason` while a recall holds it (a test pass never releases it)
TRIGGERS = ("positive_test", "post_donation_report")
ANSWERS = ("returned", "transfused", "destroyed")
STATUSES = ("open", "closed")
HELD_STATUSES = ("quarantined", "available", "reserved", "in_transit")   # in stock somewhere: held
NOTIFIED_STATUSES = ("issued", "transfused")                             # at a hospital: a recall line


@dataclass(eq=False)
class RecallLine:
    id: str
    recall_id: str
    hospital_id: str
    region: str | None
    unit_id: str
    din: str
    component: str
    status_at_notice: str           # issued or transfused when the recall reached the hospital
    notified_at: datetime
    answer: str | None = None
    answered_at: datetime | None = None
    answered_by: str | None = None
    note: str | None = None         # for `transfused`: the patient follow-up arranged

    def record_answer(self, answer: str, unit_status: str, note: str | None, by: str | None, now: datetime) -> None:
        """`returned`/`destroyed` for a bag still issued (never transfused); `transfused` for one that was, with
        the patient's follow-up noted."""
        if self.answer is not None:
            raise InvalidState(f"该召回明细已于 {self.answered_at} 答复为 {self.answer}", code="recall_line_answered")
        if answer == "transfused":
            if unit_status != "transfused":
                raise InvalidState("该血液未登记输血：请先登记输血再答复已输注", code="unit_not_transfused")
            if not (note or "").strip():
                raise InvalidState("已输注的血液须注明患者随访安排", code="follow_up_required", status=422,
                                   errors={"note": ["已输注的血液须注明患者随访安排"]})
        elif unit_status != "issued":
            raise InvalidState(f"血液状态为 {unit_status}，不能答复{'退回' if answer == 'returned' else '销毁'}",
                               code="unit_not_returnable")
        self.answer, self.answered_at, self.answered_by, self.note = answer, now, by, (note or None)


@dataclass(eq=False)
class Recall:
    id: str
    trigger: str                    # positive_test | post_donation_report
    trigger_ref: str                # the positive donation's DIN, or the donor service's report id
    marker: str                     # hiv, hcv, ... or post_donation_report
    donor_id: str                   # never shown to hospitals, never in an event a hospital reads
    window_days: int
    window_from: datetime
    window_to: datetime
    status: str                     # open | closed
    opened_at: datetime
    held_unit_ids: list = field(default_factory=list)
    closed_at: datetime | None = None
    # Its lines as the repository loaded them (rows of their own table, not mapped here).
    lines: list[RecallLine] = field(default_factory=list, repr=False)

    @property
    def hospitals(self) -> list[str]:
        return sorted({ln.hospital_id for ln in self.lines})

    @property
    def closure_hours(self) -> float | None:
        if self.closed_at is None:
            return None
        return round((self.closed_at - self.opened_at).total_seconds() / 3600, 2)

    def close_if_answered(self, now: datetime) -> bool:
        """Closed when every line is answered (at once when no hospital received a unit); True when it closed now."""
        if self.status == "open" and all(ln.answer for ln in self.lines):
            self.status, self.closed_at = "closed", now
            return True
        return False
