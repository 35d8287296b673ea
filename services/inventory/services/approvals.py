"""Tiered clinical approval at ordering (approval.py): an order for a named patient adds its counted ml to that
patient's Asia/Shanghai day at the hospital; past a tier it needs that tier's approval (422 without), except an
emergency, which goes ahead owing it and is listed until approved after."""
from __future__ import annotations

from datetime import datetime

from hemolink.calendar import shanghai_day
from servicekit.auth import Principal
from servicekit.pii import mask

from ..approval import OrderApproval, counted_ml, covers, tier_for
from ..errors import ApprovalRequired, NotYourSite, OrderNotFound
from ..events import ClinicalApprovalGiven, ClinicalApprovalOwed

LEVEL_NAMES = {"attending": "主治医师", "department_head": "科室主任", "medical_department": "医务部门"}


def assess(uow, vault, *, order_id: str, hospital_id: str, patient_national_id: str, lines: list[dict],
           priority: str, clinical_approval: dict | None, now: datetime) -> OrderApproval:
    """Inside the order's transaction, before any bag is taken (a refusal changes nothing). The patient is kept as
    the blind index (the same key every service uses) and a masked ID, never the raw one."""
    blind = vault.blind_index(patient_national_id)
    day = shanghai_day(now).isoformat()     # the key of the patient's day in the ledger
    before = uow.approvals.lock_day(hospital_id, blind, day)      # concurrent orders for one patient queue here
    ml = counted_ml(lines)
    total = before + ml
    tier = tier_for(total)
    given = clinical_approval
    if tier.level == "attending":
        status = "not_required"
    elif given and covers(given.get("level"), tier.level):
        status = "approved"
    elif priority == "emergency":
        status = "owed"
    else:
        raise ApprovalRequired(
            f"该患者当日申请备血量累计 {total} ml（此前 {before} ml，本单 {ml} ml），须{tier.title}"
            f"（{LEVEL_NAMES[tier.level]}，{tier.level}）", required_level=tier.level, required_title=tier.title,
            day_total_ml=total, already_ordered_ml=before, order_ml=ml,
            given_level=(given or {}).get("level"),
            errors={"clinical_approval": [f"须{tier.title}（{LEVEL_NAMES[tier.level]}）"]})
    uow.approvals.save_day(hospital_id, blind, day, total)
    approval = OrderApproval(order_id=order_id, hospital_id=hospital_id, patient_blind=blind,
                             patient_masked=mask(patient_national_id.strip().upper()), day=day, counted_ml=ml,
                             day_total_ml=total, required_level=tier.level, status=status, priority=priority,
                             created_at=now, given=given if status == "approved" else None,
                             approved_at=now if status == "approved" else None)
    uow.approvals.add(approval)
    if status == "owed":
        uow.publish(ClinicalApprovalOwed(order_id=order_id, hospital_id=hospital_id, patient_blind=blind, day=day,
                                         day_total_ml=total, required_level=tier.level, at=now))
    return approval


def approve_after(uow, principal: Principal, *, order_id: str, level: str, approver_name: str,
                  approver_id: str | None = None, now: datetime) -> OrderApproval:
    """The approval an emergency went ahead without, given afterwards by the level its tier needs."""
    with uow:
        approval = uow.approvals.get(order_id, lock=True)
        if approval is None:
            raise OrderNotFound("该订单不存在或无需临床审批")
        if approval.hospital_id != principal.site_id:
            raise NotYourSite("只能补批本院的订单")
        given = dict(level=level, approver_name=approver_name, approver_id=approver_id)
        approval.approve_after(given, now)
        uow.publish(ClinicalApprovalGiven(order_id=order_id, hospital_id=approval.hospital_id,
                                          patient_blind=approval.patient_blind, day=approval.day,
                                          day_total_ml=approval.day_total_ml, required_level=approval.required_level,
                                          at=now, level=level))
        uow.commit()
        return approval


def list_approvals(uow, principal: Principal, *, status: str | None = None) -> list[OrderApproval]:
    """A hospital its own orders' approvals; admin every hospital's (the report of emergencies owing one)."""
    with uow:
        hospital_id = principal.site_id if principal.role == "hospital" else None
        return uow.approvals.list(status=status, hospital_id=hospital_id)
