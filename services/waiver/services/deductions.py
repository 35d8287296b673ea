"""Direct deduction at discharge: preview, apply (idempotent per hospital and key), reverse.

Only the waiver service's own data is used: the ledger fed by events, never a call to another service.
"""
from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import uuid
from datetime import datetime, timezone
from decimal import Decimal

from servicekit.pii import PiiVault, mask

from ..errors import (DeductionNotFound, DonorNotFound, IdempotencyKeyRequired, IdempotencyKeyReused,
                      RelationNotVerified)
from ..identity import normalise_national_id, redact_ids
from ..model import Deduction, IdempotencyRecord
from .entitlements import load_book
from .waiving import check_relation, check_units, line_requests, plan_waiver, record_waiver, retry_unique_races

def fingerprint(secret: str, body: dict) -> str:
    """Keyed hash of the request as understood (amounts quantised, times in UTC), so a replay with the
    same meaning matches and the stored hash reveals nothing about the patient."""
    def canon(value):
        if isinstance(value, datetime):
            return value.astimezone(timezone.utc).isoformat()
        return str(value)

    text = json.dumps(body, sort_keys=True, default=canon, ensure_ascii=False)
    return hmac.new(secret.encode(), b"idempotency:" + text.encode(), hashlib.sha256).hexdigest()


def preview_deduction(uow, vault: PiiVault, *, hospital_id: str, hospital_region: str | None, body: dict,
                      now: datetime) -> Deduction:
    """What a deduction would waive today; nothing is stored or locked."""
    with uow:
        deduction, _ = _build(uow, vault, hospital_id=hospital_id, hospital_region=hospital_region, body=body,
                              now=now, lock=False)
        return dataclasses.replace(deduction, id=None, status="preview")


def apply_deduction(uow, vault: PiiVault, *, hospital_id: str, hospital_region: str | None, key: str | None,
                    body: dict, secret: str, now: datetime) -> Deduction:
    if not key:
        raise IdempotencyKeyRequired("直免请求必须带 Idempotency-Key 请求头")
    request_hash = fingerprint(secret, body)
    return retry_unique_races(lambda: _apply_once(uow, vault, hospital_id=hospital_id, hospital_region=hospital_region,
                                                  key=key, body=body, request_hash=request_hash, now=now))


def _apply_once(uow, vault, *, hospital_id, hospital_region, key, body, request_hash, now) -> Deduction:
    with uow:
        record = uow.idempotency.get(hospital_id, key)
        if record is not None:
            return _replay(uow, record, request_hash)
        deduction, plan = _build(uow, vault, hospital_id=hospital_id, hospital_region=hospital_region, body=body,
                                 now=now, lock=True)
        record_waiver(uow, plan, channel="direct", at=now, deduction_id=deduction.id)
        deduction.record_applied()
        uow.deductions.insert(deduction)
        uow.publish_events_of(deduction)
        # The key's primary key decides between concurrent requests with the same key: the loser's whole
        # transaction (its pool use included) rolls back on the unique violation, and its retry replays.
        uow.idempotency.add(IdempotencyRecord(hospital_id=hospital_id, key=key, request_hash=request_hash,
                                              created_at=now, deduction_id=deduction.id))
        if deduction.waived_yuan > 0:
            uow.record_money("direct_deduction", deduction.id, {"hospital_id": hospital_id,
                                                                "waived_yuan": str(deduction.waived_yuan),
                                                                "pools": deduction.pools_used})
        uow.commit()
        return deduction


def _replay(uow, record: IdempotencyRecord, request_hash: str) -> Deduction:
    """The first answer again: the deduction as it was applied, even if it has been reversed since."""
    if not hmac.compare_digest(record.request_hash, request_hash):
        raise IdempotencyKeyReused("该 Idempotency-Key 已用于内容不同的请求")
    # Keys recorded before 0007 kept the whole response; its "id" names the deduction.
    deduction_id = record.deduction_id or json.loads(record.response)["id"]
    return uow.deductions.get(deduction_id).as_applied()


def _build(uow, vault: PiiVault, *, hospital_id, hospital_region, body, now, lock):
    patient_id = normalise_national_id(body["patient_national_id"])
    patient_blind = vault.blind_index(patient_id)
    relation = body.get("relation") or "self"
    donor = _payer(uow, vault, body, relation, patient_blind)
    check_units(uow, body["lines"], patient_blind=patient_blind, hospital_id=hospital_id)
    requests = line_requests(body["lines"], patient_blind=patient_blind, admission_no=body["admission_no"])
    plan = plan_waiver(uow, load_book(uow), donor=donor, relation=relation, lines=requests,
                       local_region=hospital_region, lock=lock,
                       relative_conditions_attested=bool(body.get("relative_conditions_attested")))
    total = sum((line["amount_yuan"] for line in body["lines"]), Decimal("0.00"))
    deduction = Deduction(
        id=str(uuid.uuid4()), hospital_id=hospital_id, hospital_region=hospital_region,
        patient_blind=patient_blind, patient_masked=mask(patient_id), patient_name=body["patient_name"],
        admission_no=body["admission_no"], discharged_at=body.get("discharged_at"),
        donor_id=donor.donor_id if donor else None, relation=relation,
        relation_attested=bool(body.get("relation_attested")), proof_ref=redact_ids(body.get("proof_ref")),
        relative_conditions_attested=bool(body.get("relative_conditions_attested")),
        total_yuan=total, waived_yuan=plan.allocation.waived_yuan, lines=plan.line_results(body["lines"]),
        pools_used=plan.pools_used(), applied_at=now)
    return deduction, plan


def _payer(uow, vault: PiiVault, body: dict, relation: str, patient_blind: str):
    """The donor whose pool pays: the patient themself, or the named donor when the patient is a relative
    (a verified family binding, or the hospital's attestation with a proof reference)."""
    donor_id_raw = body.get("donor_national_id")
    donor_blind = vault.blind_index(normalise_national_id(donor_id_raw)) if donor_id_raw else None
    check_relation(relation, donor_blind=donor_blind or patient_blind, patient_blind=patient_blind)
    if relation == "self":
        return uow.ledger.by_blind(patient_blind)       # None: not a donor, waives nothing
    donor = uow.ledger.by_blind(donor_blind)
    if donor is None:
        raise DonorNotFound("献血者库中没有该证件号码")
    binding = uow.family.of_relative(donor.donor_id, patient_blind)
    verified = binding is not None and binding.status == "verified" and binding.relation == relation
    if not verified and not body.get("relation_attested"):
        raise RelationNotVerified("没有已核实的亲属绑定；请由医院出具关系证明（relation_attested、proof_ref）")
    return donor


def reverse_deduction(uow, *, hospital_id: str, deduction_id: str, reason: str, now: datetime) -> Deduction:
    """Give the quota back and free the blood lines for another channel."""
    with uow:
        deduction = uow.deductions.get(deduction_id, lock=True)
        if deduction is None or deduction.hospital_id != hospital_id:
            raise DeductionNotFound("直免记录不存在")
        deduction.reverse(reason, now)
        usages = uow.pools.usages(deduction_id=deduction.id)
        rows = {p.id: p for p in uow.pools.by_ids(sorted({u.pool_id for u in usages}), lock=True)}
        for usage in usages:
            rows[usage.pool_id].give_back(usage.ml, usage.yuan)
            usage.reversed_at = now
        uow.waived.release_deduction(deduction.id)
        if deduction.waived_yuan > 0:
            uow.record_money("direct_deduction_reversed", deduction.id,
                             {"hospital_id": hospital_id, "waived_yuan": str(deduction.waived_yuan)})
        uow.commit()
        return deduction


def get_deduction(uow, *, deduction_id: str, hospital_id: str | None = None, region: str | None = None) -> Deduction:
    with uow:
        deduction = uow.deductions.get(deduction_id)
        if deduction is None or (hospital_id and deduction.hospital_id != hospital_id) or \
                (region and deduction.hospital_region != region):
            raise DeductionNotFound("直免记录不存在")
        return deduction
