"""Lookback and recall use cases: open a lookback for a donor (a positive test here, or the donor service's report
of illness after donating), hold what is in stock, notify the hospitals that received units, take their answers
per unit, close when all are answered, and the closure-time statistics."""
from __future__ import annotations

import statistics
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from servicekit.auth import Principal

from ..clinical_policy import POST_DONATION_REPORT, lookback_window
from ..errors import NotYourUnit, RecallLineNotFound, RecallNotFound
from ..events import RecallClosed, RecallLineAnswered, RecallOpened, UnitDiscarded
from ..model import Movement, new_id, utc
from ..recall import ANSWERS, HELD_STATUSES, NOTIFIED_STATUSES, RECALL_HOLD, Recall, RecallLine
from . import stock


def open_lookback(uow, *, donor_id: str, trigger: str, trigger_ref: str, marker: str, reference_at: datetime,
                  now: datetime, exclude_din: str | None = None, until: datetime | None = None) -> Recall:
    """Inside the caller's transaction: every unit of the donor collected within the marker's window before
    `reference_at` (the positive donation's collection, the reported onset) and up to `until` (default
    `reference_at`) is held if in stock anywhere, and
    each hospital holding or having transfused one gets a line per unit. The same trigger twice opens nothing."""
    existing = uow.recalls.by_trigger(trigger, trigger_ref)
    if existing is not None:
        return existing
    window = lookback_window(marker)
    since, until = utc(reference_at) - window, utc(until or reference_at)
    recall = Recall(id=new_id(), trigger=trigger, trigger_ref=trigger_ref, marker=marker, donor_id=donor_id,
                    window_days=window.days, window_from=since, window_to=until, status="open", opened_at=now)
    found = uow.recalls.donor_units_for_update(donor_id, since, until, exclude_din)
    held = [u for u in found if u.status in HELD_STATUSES]
    for u in held:
        if u.status != "in_transit":        # a bag on the road is held on arrival (transfers.receive_transfer)
            u.status = "quarantined"
        u.reason, u.updated_at = RECALL_HOLD, now
    recall.held_unit_ids = [u.id for u in held]
    recall.lines = [RecallLine(id=new_id(), recall_id=recall.id, hospital_id=u.issued_to, region=u.region,
                               unit_id=u.id, din=u.din, component=u.component, status_at_notice=u.status,
                               notified_at=now)
                    for u in found if u.status in NOTIFIED_STATUSES and u.issued_to]
    uow.units.record_movements([Movement(u.id, "recall_hold", u.status, now, to_site=u.site_id, ref=recall.id)
                                for u in held])
    uow.recalls.add(recall)
    by_hospital: dict[str, dict] = {}
    for ln in recall.lines:
        entry = by_hospital.setdefault(ln.hospital_id, dict(hospital_id=ln.hospital_id, region=ln.region,
                                                            unit_ids=[], dins=[]))
        entry["unit_ids"].append(ln.unit_id)
        entry["dins"].append(ln.din)
    uow.publish(RecallOpened(recall_id=recall.id, trigger=trigger, marker=marker, window_from=since, window_to=until,
                             held_unit_ids=recall.held_unit_ids, hospitals=list(by_hospital.values()), opened_at=now))
    _close_if_answered(uow, recall, now)
    stock.refresh(uow, {(u.site_id, u.component, u.abo, u.rhd) for u in held}, now, {u.site_id: u.region for u in held})
    return recall


def open_from_report(uow, *, report_id: str, donor_id: str, onset_at: datetime | None,
                     reported_at: datetime, now: datetime) -> Recall | None:
    """The donor service's PostDonationReported: the donor fell ill after giving. The window runs back from the
    onset (else the report) and takes in every unit collected up to the report; a redelivered report adds nothing."""
    with uow:
        recall = open_lookback(uow, donor_id=donor_id, trigger="post_donation_report", trigger_ref=report_id,
                               marker=POST_DONATION_REPORT, reference_at=onset_at or reported_at,
                               until=reported_at, now=now)
        try:
            uow.commit()
        except IntegrityError:      # the same report raced in through a redelivery: the first one stands
            return None
        return recall


def _close_if_answered(uow, recall: Recall, now: datetime) -> None:
    if recall.close_if_answered(now):
        counts = {a: sum(1 for ln in recall.lines if ln.answer == a) for a in ANSWERS}
        uow.publish(RecallClosed(recall_id=recall.id, opened_at=recall.opened_at, closed_at=now,
                                 closure_hours=recall.closure_hours, **counts))


def find_by_trigger(uow, trigger: str, trigger_ref: str) -> Recall | None:
    with uow:
        return uow.recalls.by_trigger(trigger, trigger_ref)


def present(recall: Recall, principal: Principal) -> dict:
    """What a caller sees: a hospital only its own lines, and never the trigger (the DIN would lead to the donor)
    nor the stock held; the donor is never shown to anyone here."""
    hospital = principal.role == "hospital"
    lines = [ln for ln in recall.lines if not hospital or ln.hospital_id == principal.site_id]
    return dict(id=recall.id, trigger=recall.trigger, marker=recall.marker, status=recall.status,
                window_days=recall.window_days, window_from=recall.window_from, window_to=recall.window_to,
                opened_at=recall.opened_at, closed_at=recall.closed_at, closure_hours=recall.closure_hours,
                trigger_ref=None if hospital else recall.trigger_ref,
                held_unit_ids=[] if hospital else recall.held_unit_ids,
                hospitals=sorted({ln.hospital_id for ln in lines}), lines=lines,
                unanswered=sum(1 for ln in lines if ln.answer is None))


def list_recalls(uow, principal: Principal, *, status: str | None = None) -> list[dict]:
    with uow:
        hospital_id = principal.site_id if principal.role == "hospital" else None
        return [present(r, principal) for r in uow.recalls.list(status=status, hospital_id=hospital_id)]


def get_recall(uow, principal: Principal, recall_id: str) -> dict:
    with uow:
        recall = uow.recalls.get(recall_id)
        if recall is None or (principal.role == "hospital"
                              and principal.site_id not in {ln.hospital_id for ln in recall.lines}):
            raise RecallNotFound()
        return present(recall, principal)


def answer_line(uow, principal: Principal, *, recall_id: str, line_id: str, answer: str, note: str | None,
                now: datetime) -> dict:
    """A hospital answers one unit of its notice: returned (the bag goes back and is discarded), destroyed on
    site, or already transfused (with the patient's follow-up). The last answer closes the recall."""
    with uow:
        recall = uow.recalls.get(recall_id, lock=True)
        if recall is None or principal.site_id not in {ln.hospital_id for ln in recall.lines}:
            raise RecallNotFound()
        line = next((ln for ln in recall.lines if ln.id == line_id), None)
        if line is None:
            raise RecallLineNotFound()
        if line.hospital_id != principal.site_id:
            raise NotYourUnit("该召回明细不属于本院")
        unit = uow.units.get_for_update(line.unit_id)
        line.record_answer(answer, unit.status, note, principal.sub, now)
        if answer in ("returned", "destroyed"):
            reason = f"recall_{answer}"
            unit.status, unit.reason, unit.updated_at = "discarded", reason, now
            uow.units.record_movements([Movement(unit.id, "discarded", "discarded", now, from_site=unit.site_id,
                                                 to_site=unit.issued_from if answer == "returned" else None,
                                                 ref=recall.id, note=reason)])
            uow.publish(UnitDiscarded(unit_id=unit.id, din=unit.din, site_id=unit.site_id, component=unit.component,
                                      reason=reason, at=now))
        uow.publish(RecallLineAnswered(recall_id=recall.id, line_id=line.id, hospital_id=line.hospital_id,
                                       unit_id=line.unit_id, din=line.din, answer=answer, answered_at=now))
        _close_if_answered(uow, recall, now)
        uow.commit()
        return present(recall, principal)


def recall_stats(uow, *, since: datetime, until: datetime) -> dict:
    """Recalls opened in [since, until): how many, how many closed, and the closure time of the closed (hours)."""
    with uow:
        recalls = uow.recalls.opened_between(since, until)
    hours = sorted(r.closure_hours for r in recalls if r.closure_hours is not None)
    lines = [ln for r in recalls for ln in r.lines]
    return dict(since=since, until=until, opened=len(recalls), closed=len(hours), open=len(recalls) - len(hours),
                closure_hours=dict(median=statistics.median(hours) if hours else None,
                                   mean=round(statistics.fmean(hours), 2) if hours else None,
                                   max=hours[-1] if hours else None),
                lines=dict(total=len(lines), unanswered=sum(1 for ln in lines if ln.answer is None),
                           **{a: sum(1 for ln in lines if ln.answer == a) for a in ANSWERS}),
                hospitals=len({ln.hospital_id for ln in lines}))
