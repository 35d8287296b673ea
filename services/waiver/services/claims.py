"""Claims for blood used without a direct deduction: mini-program (donors), mail and on-site (entered by
reviewers). draft → documents → submitted → approved (paid from the pools) | rejected → paid."""
from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from decimal import Decimal

from servicekit.auth import Principal
from servicekit.errors import Forbidden, Unprocessable
from servicekit.pii import PiiVault, mask

from ..bank import Bank
from ..errors import (AlreadyWaived, ClaimDeadlinePassed, ClaimNotFound, DocumentNotFound, DocumentTooLarge, DonorNotFound, EmptyDocument,
                      NothingToWaive, PatientNotDonor, RelationNotVerified, UnsupportedDocumentType)
from ..identity import normalise_national_id
from ..model import Claim, ClaimDocument, handling_region_of
from ..policy import shanghai_day
from ..storage import DocumentStorage
from .entitlements import load_book
from .waiving import (check_relation, check_units, line_request, line_requests, plan_waiver, record_waiver,
                      retry_unique_races)

CHANNELS_BY_ROLE = {"donor": ("mini_program",), "reviewer": ("mail", "on_site")}
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
# Types are decided by content, never by the client's filename or Content-Type.
MAGIC = ((b"%PDF-", "application/pdf", ".pdf"), (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
         (b"\x89PNG\r\n\x1a\n", "image/png", ".png"))


def sniff(data: bytes) -> tuple[str, str] | None:
    for magic, content_type, ext in MAGIC:
        if data.startswith(magic):
            return content_type, ext
    return None


def create_claim(uow, vault: PiiVault, *, principal: Principal, body: dict, now: datetime) -> Claim:
    channel, relation = body["channel"], body["relation"]
    if channel not in CHANNELS_BY_ROLE.get(principal.role, ()):
        raise Forbidden(f"角色 {principal.role} 不能提交 {channel} 渠道的申请", code="channel_not_allowed")
    patient_id = normalise_national_id(body["patient_national_id"])
    patient_blind = vault.blind_index(patient_id)
    with uow:
        donor, region = _claimant(uow, vault, principal, body, relation, patient_blind)
        site = body.get("hospital_site_id")
        check_units(uow, body["lines"], patient_blind=patient_blind, hospital_id=site)
        requests = line_requests(body["lines"], patient_blind=patient_blind,
                                 admission_no=body.get("admission_no"), invoice_no=body["invoice_no"])
        # Which region will pay is known from the donor's pools before anything is taken (a preview, no locks);
        # approval fixes it from what was actually paid.
        preview = plan_waiver(uow, load_book(uow), donor=donor, relation=relation, lines=requests,
                              local_region=region, lock=False,
                              relative_conditions_attested=bool(body.get("relative_conditions_attested")))
        bank = body["bank"]
        claim = Claim(
            id=str(uuid.uuid4()), channel=channel, region=region, owner_donor_id=donor.donor_id,
            donor_id=donor.donor_id, relation=relation, patient_blind=patient_blind, patient_masked=mask(patient_id),
            patient_name=body["patient_name"], hospital_name=body["hospital_name"], hospital_site_id=site,
            admission_no=body.get("admission_no"), invoice_no=body["invoice_no"],
            lines=[_stored_line(line, req.key) for line, req in zip(body["lines"], requests)],
            bank_account_name=bank["account_name"], bank_account_no_encrypted=vault.encrypt(bank["account_no"]),
            bank_account_no_masked=mask(bank["account_no"], 0, 4), bank_name=bank["bank_name"],
            tracking_no=body.get("tracking_no"), received_on=body.get("received_on"),
            total_yuan=sum((ln["amount_yuan"] for ln in body["lines"]), Decimal("0.00")),
            created_by=principal.sub, created_at=now,
            handling_region=handling_region_of(preview.pools_used(), fallback=region),
            relative_conditions_attested=bool(body.get("relative_conditions_attested")))
        uow.claims.add(claim)
        uow.commit()
        return claim


def _claimant(uow, vault, principal: Principal, body: dict, relation: str, patient_blind: str):
    """(the donor whose pools pay, the region whose reviewers handle the claim)."""
    if principal.role == "donor":
        donor = uow.ledger.get(principal.donor_id)
        if donor is None:
            raise DonorNotFound("献血记录尚未同步到减免系统，请稍后再试")
        if relation == "self":
            if donor.national_id_blind != patient_blind:
                raise PatientNotDonor("用血者证件号码与本人不符")
        else:
            binding = uow.family.of_relative(donor.donor_id, patient_blind)
            if binding is None or binding.status == "rejected" or binding.relation != relation:
                raise RelationNotVerified("请先在“我的亲属”中绑定该亲属")
        return donor, donor.region
    donor_raw = body.get("donor_national_id")
    if relation != "self" and not donor_raw:
        raise Unprocessable("亲属用血须提供献血者证件号码", errors={"donor_national_id": ["亲属用血须提供献血者证件号码"]})
    donor_blind = vault.blind_index(normalise_national_id(donor_raw)) if donor_raw else patient_blind
    check_relation(relation, donor_blind=donor_blind, patient_blind=patient_blind)
    donor = uow.ledger.by_blind(donor_blind)
    if donor is None:
        raise DonorNotFound("献血者库中没有该证件号码")
    return donor, principal.region


def _stored_line(line: dict, key: str) -> dict:
    out = {k: (str(v) if isinstance(v, Decimal) else v.isoformat() if isinstance(v, datetime) else v)
           for k, v in line.items() if v is not None}
    return out | {"key": key}


def _accessible(uow, claim_id: str, principal: Principal, *, lock: bool = False, decide: bool = False) -> Claim:
    """The owner, and the reviewers of the region it was filed in or of the region that handles it, see it; for
    anyone else it does not exist. Only the handling region (where the paying blood was given) decides and pays."""
    claim = uow.claims.get(claim_id, lock=lock)
    handling = claim.handling_region or claim.region if claim is not None else None
    visible = claim is not None and (
        (principal.role == "donor" and claim.owner_donor_id == principal.donor_id) or
        (principal.role == "reviewer" and principal.region in (claim.region, handling)))
    if not visible:
        raise ClaimNotFound("报销申请不存在")
    if decide and principal.role == "reviewer" and principal.region != handling:
        raise Forbidden(f"该申请由献血地 {handling} 审核并付款", code="other_region")
    return claim


def add_document(uow, storage: DocumentStorage, *, claim_id: str, principal: Principal, kind: str, filename: str,
                 data: bytes, now: datetime) -> ClaimDocument:
    if len(data) > MAX_DOCUMENT_BYTES:
        raise DocumentTooLarge(f"文件 {len(data)} 字节，上限 {MAX_DOCUMENT_BYTES} 字节")
    if not data:
        raise EmptyDocument("文件为空")
    sniffed = sniff(data)
    if sniffed is None:
        raise UnsupportedDocumentType("只接受 PDF、JPEG、PNG 文件（按文件内容判断）")
    content_type, ext = sniffed
    with uow:
        claim = _accessible(uow, claim_id, principal, lock=True)
        claim.require("draft")
        doc_id = str(uuid.uuid4())
        doc = ClaimDocument(id=doc_id, claim_id=claim.id, kind=kind, filename=(filename or "upload")[:200],
                            content_type=content_type, size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                            storage_key=f"claims/{claim.id}/{doc_id}{ext}", uploaded_at=now,
                            uploaded_by=principal.sub)
        storage.put(doc.storage_key, data, content_type)
        try:
            uow.claims.add(doc)
            uow.commit()
        except BaseException:
            storage.delete(doc.storage_key)   # a refused or failed upload leaves no file behind
            raise
        return doc


def submit_claim(uow, *, claim_id: str, principal: Principal, now: datetime) -> Claim:
    with uow:
        claim = _accessible(uow, claim_id, principal, lock=True)
        claim.require("draft")
        policy = load_book(uow).in_force(claim.handling_region or claim.region, shanghai_day(now))   # its documents
        days = policy.claim_deadline_days if policy else None
        if days is not None:
            first_use = min(datetime.fromisoformat(line["transfused_at"]) for line in claim.lines)
            if (shanghai_day(now) - shanghai_day(first_use)).days > days:
                raise ClaimDeadlinePassed(f"用血后 {days} 天内须提交申请", deadline_days=days)
        uow.claims.with_documents([claim])
        claim.submit(present_kinds={d.kind for d in claim.documents},
                     required=policy.documents_for(claim.relation) if policy else (), at=now)
        uow.commit()
        return claim


def approve_claim(uow, *, claim_id: str, principal: Principal, now: datetime) -> Claim:
    """Pay the claim's lines from the pools, under the same locks and line keys as direct deductions.

    Two payers racing for one blood line (this claim and a deduction paid from another donor's pool) meet
    at the waived line's primary key: the loser rolls back whole and its retry sees the line as waived.
    """
    return retry_unique_races(lambda: _approve_once(uow, claim_id=claim_id, principal=principal, now=now))


def _approve_once(uow, *, claim_id: str, principal: Principal, now: datetime) -> Claim:
    with uow:
        claim = _accessible(uow, claim_id, principal, lock=True, decide=True)
        claim.require("submitted")
        _require_verified_binding(uow, claim)
        requests = [line_request(i, line["key"], line) for i, line in enumerate(claim.lines)]
        plan = plan_waiver(uow, load_book(uow), donor=uow.ledger.get(claim.donor_id), relation=claim.relation,
                           lines=requests, local_region=claim.region, lock=True,
                           relative_conditions_attested=claim.relative_conditions_attested)
        if plan.all_already_waived:
            raise AlreadyWaived("申请中的用血明细均已减免（直免或其他申请）")
        if plan.allocation.waived_yuan <= 0:
            raise NothingToWaive("没有可用的减免额度", lines=[r.reason for r in plan.allocation.lines])
        record_waiver(uow, plan, channel=claim.channel, at=now, claim_id=claim.id)
        claim.lines = [line | {k: v for k, v in result.items() if k in ("waived_ml", "waived_yuan", "reason")}
                       for line, result in zip(claim.lines, plan.line_results(claim.lines))]
        claim.approve(approved_yuan=plan.allocation.waived_yuan, pools_used=plan.pools_used(), at=now)
        uow.commit()
        return uow.claims.with_documents([claim])[0]


def _require_verified_binding(uow, claim: Claim) -> None:
    """A donor may file for a relative while the binding is pending (the kinship proof travels with the
    claim), but the family pool pays only once the office has verified that binding. Mail and on-site
    claims are entered by a reviewer who checked the kinship papers, so they need no binding."""
    if claim.channel != "mini_program" or claim.relation == "self":
        return
    binding = uow.family.of_relative(claim.donor_id, claim.patient_blind)
    if binding is None or binding.status != "verified" or binding.relation != claim.relation:
        raise RelationNotVerified("亲属绑定尚未核实，请先核实“我的亲属”中的绑定再批准")


def reject_claim(uow, *, claim_id: str, principal: Principal, reason: str, now: datetime) -> Claim:
    with uow:
        claim = _accessible(uow, claim_id, principal, lock=True, decide=True)
        claim.reject(reason=reason, at=now)
        uow.commit()
        return uow.claims.with_documents([claim])[0]


def pay_claim(uow, bank: Bank, vault: PiiVault, *, claim_id: str, principal: Principal, payment_ref: str | None,
              now: datetime) -> Claim:
    """A reference from the reviewer means the money already went out; without one the bank queues it."""
    with uow:
        claim = _accessible(uow, claim_id, principal, lock=True, decide=True)
        claim.require("approved")
        # One payment per paying region: each region's blood station pays its own pools' share.
        payments = claim.payments or [{"region": claim.handling_region or claim.region,
                                       "yuan": str(claim.approved_yuan), "payment_ref": None}]
        for part in payments:
            part["payment_ref"] = payment_ref or bank.pay(
                claim_id=claim.id, account_name=claim.bank_account_name,
                account_no=vault.decrypt(claim.bank_account_no_encrypted), bank_name=claim.bank_name,
                amount_yuan=Decimal(part["yuan"]), at=now, payer_region=part["region"])
            uow.record_money("claim_paid", claim.id, {"region": part["region"], "yuan": part["yuan"],
                                                      "payment_ref": part["payment_ref"]})
        claim.payments = [dict(p) for p in payments]     # a new list: the JSON column sees the change
        claim.pay(payment_ref=payment_ref or ";".join(p["payment_ref"] for p in payments), at=now)
        uow.commit()
        return uow.claims.with_documents([claim])[0]


def open_document(uow, storage: DocumentStorage, *, claim_id: str, document_id: str,
                  principal: Principal) -> tuple[ClaimDocument, bytes]:
    """A document of a claim, to whoever may see the claim (its owner, the reviewers of its regions); for anyone
    else the claim does not exist, and a document of another claim is not found under this one."""
    with uow:
        claim = _accessible(uow, claim_id, principal)
        doc = next((d for d in uow.claims.documents(claim.id) if d.id == document_id), None)
        if doc is None:
            raise DocumentNotFound("该申请下没有这份材料")
        return doc, storage.get(doc.storage_key)


def get_claim(uow, *, claim_id: str, principal: Principal) -> Claim:
    with uow:
        return uow.claims.with_documents([_accessible(uow, claim_id, principal)])[0]


def list_claims(uow, *, region: str | None = None, owner_donor_id: str | None = None, status: str | None = None,
                channel: str | None = None) -> list[Claim]:
    with uow:
        return uow.claims.with_documents(
            uow.claims.listing(region=region, owner_donor_id=owner_donor_id, status=status, channel=channel))

