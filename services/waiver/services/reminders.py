"""Proactive help: blood went to a donor (or a verified relative of one) and no direct deduction followed
within the configured days, so tell the donor they can still claim (ClaimReminderIssued → notification)."""
from __future__ import annotations

from datetime import datetime, timedelta

from ..events import ClaimReminderIssued


def issue_claim_reminders(uow, *, now: datetime, after_days: int, batch: int = 500) -> int:
    """Look at transfusions older than `after_days` not looked at before; returns reminders published.
    Each transfusion is looked at once (marked whether or not anyone is reminded)."""
    published = 0
    with uow:
        for t in uow.transfusions.awaiting_reminder(now - timedelta(days=after_days), limit=batch):
            t.reminder_issued_at = now
            if _waived_or_deducted(uow, t):
                continue
            for donor_id, relation in _beneficiaries(uow, t.patient_blind):
                uow.publish(ClaimReminderIssued(donor_id=donor_id, hospital_id=t.hospital_id, relation=relation,
                                                din=t.din, transfused_at=t.transfused_at, unit_id=t.unit_id,
                                                hospital_name=t.hospital_name))
                published += 1
        uow.commit()
    return published


def _waived_or_deducted(uow, t) -> bool:
    keys = [f"unit:{t.unit_id}", f"din:{t.din}:{t.component}"]
    return bool(uow.waived.existing(keys)) or uow.deductions.applied_since(t.hospital_id, t.patient_blind,
                                                                           t.transfused_at)


def _beneficiaries(uow, patient_blind: str) -> list[tuple[str, str]]:
    """(donor to remind, patient's relation to them): the patient as a donor, and donors bound to them."""
    out = []
    donor = uow.ledger.by_blind(patient_blind)
    if donor is not None:
        out.append((donor.donor_id, "self"))
    out += [(b.donor_id, b.relation) for b in uow.family.verified_for_relative(patient_blind)]
    return out
