"""Waiver domain: the ledger (read model of donors, donations, awards, transfusions), pools, family
bindings, direct deductions and claims, with their invariants (errors in errors.py). Plain Python."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal

from . import events
from .errors import AlreadyReversed, BindingAlreadyDecided, InvalidClaimStatus, MissingDocuments
from .identity import redact_ids

ZERO = Decimal("0.00")


# --- ledger ---------------------------------------------------------------------------------------------
@dataclass(eq=False)
class LedgerDonor:
    """A donor as the waiver office knows them: by blind index, never by raw ID."""

    donor_id: str
    national_id_blind: str
    national_id_masked: str
    region: str
    registered_at: datetime
    phenotypes: list | None = None      # rare phenotypes the donor service recorded (they count as rare types)
    events: list = field(default_factory=list, repr=False)


@dataclass(eq=False)
class Donation:
    donation_id: str
    donor_id: str
    region: str
    site_id: str
    kind: str
    volume_ml: int | None
    doses: int | None
    counts_as_ml: int
    din: str
    rhd: str
    collected_at: datetime


@dataclass(eq=False)
class Award:
    donor_id: str
    level: str
    granted_at: datetime


@dataclass(eq=False)
class Transfusion:
    """Inventory's report that a unit was transfused (UnitTransfused): for cross-checks and reminders."""

    unit_id: str
    din: str
    donor_id: str | None
    hospital_id: str
    hospital_name: str | None
    region: str | None
    component: str
    units: Decimal | None
    volume_ml: int | None
    patient_blind: str
    transfused_at: datetime
    reminder_issued_at: datetime | None = None


@dataclass(eq=False)
class Pool:
    """Used amounts of one (donor, self|family, region) pool; the quota is computed from the ledger."""

    id: str
    donor_id: str
    kind: str
    region: str
    used_ml: int = 0
    used_yuan: Decimal = ZERO

    def give_back(self, ml: int, yuan: Decimal) -> None:
        if ml > self.used_ml or yuan > self.used_yuan:
            raise RuntimeError(f"pool {self.id} would go below zero")  # a bug, never a user error
        self.used_ml -= ml
        self.used_yuan -= yuan


@dataclass(eq=False)
class PoolUsage:
    """One pool paying (part of) one line; kept for reversal and settlement."""

    pool_id: str
    donor_id: str
    kind: str
    region: str
    channel: str                 # "direct" | "mini_program" | "mail" | "on_site"
    line_no: int
    ml: int
    yuan: Decimal
    at: datetime
    deduction_id: str | None = None
    claim_id: str | None = None
    reversed_at: datetime | None = None
    id: int | None = None


@dataclass(eq=False)
class WaivedLine:
    """The unique key that makes a blood line waivable once across every channel."""

    line_key: str
    channel: str
    waived_yuan: Decimal
    at: datetime
    deduction_id: str | None = None
    claim_id: str | None = None


@dataclass(eq=False)
class IdempotencyRecord:
    hospital_id: str
    key: str
    request_hash: str
    created_at: datetime
    deduction_id: str | None = None     # the deduction the key applied: a replay answers with it
    response: str | None = None         # before 0007: the first answer as JSON (read only for keys of then)


# --- family -------------------------------------------------------------------------------------------
@dataclass(eq=False)
class FamilyBinding:
    id: str
    donor_id: str
    donor_region: str
    name: str
    relative_national_id_encrypted: str
    relative_blind: str
    relative_masked: str
    relation: str
    created_at: datetime
    status: str = "pending"          # pending | verified | rejected
    reason: str | None = None
    decided_at: datetime | None = None
    decided_by: str | None = None

    def decide(self, *, approved: bool, reason: str | None, by: str, at: datetime) -> None:
        if self.status != "pending":
            raise BindingAlreadyDecided(f"该绑定已是 {self.status} 状态")
        self.status = "verified" if approved else "rejected"
        self.reason, self.decided_by, self.decided_at = redact_ids(reason), by, at


# --- direct deduction -----------------------------------------------------------------------------------
@dataclass(eq=False)
class Deduction:
    id: str
    hospital_id: str
    hospital_region: str | None
    patient_blind: str
    patient_masked: str
    patient_name: str
    admission_no: str
    donor_id: str | None
    relation: str
    relation_attested: bool
    proof_ref: str | None
    total_yuan: Decimal
    waived_yuan: Decimal
    lines: list
    pools_used: list                  # [{pool_id, kind, region, donor_id, donor_masked, ml, yuan}]
    applied_at: datetime
    discharged_at: datetime | None = None
    status: str = "applied"
    reversed_at: datetime | None = None
    reverse_reason: str | None = None
    relative_conditions_attested: bool = False   # the relative cannot donate and no employer pays, as attested
    events: list = field(default_factory=list, repr=False)

    def record_applied(self) -> None:
        self.events.append(events.DirectDeductionApplied(
            deduction_id=self.id, hospital_id=self.hospital_id, patient_blind=self.patient_blind,
            total_yuan=self.total_yuan, waived_yuan=self.waived_yuan,
            pools_used=tuple({k: p[k] for k in ("kind", "region", "donor_id", "ml", "yuan")} for p in self.pools_used),
            applied_at=self.applied_at))
        self._tell_family_donors("used", self.applied_at)

    def reverse(self, reason: str, at: datetime) -> None:
        if self.status == "reversed":
            raise AlreadyReversed("该直免已于此前冲正")
        self.status, self.reversed_at, self.reverse_reason = "reversed", at, redact_ids(reason)
        self.events.append(events.DirectDeductionReversed(
            deduction_id=self.id, hospital_id=self.hospital_id, waived_yuan=self.waived_yuan,
            reason=self.reverse_reason, reversed_at=at))
        self._tell_family_donors("returned", at)

    def _tell_family_donors(self, change: str, at: datetime) -> None:
        """One FamilyPoolUsed per donor whose family pools paid (a donor's pools of several regions add up)."""
        paid: dict[str, tuple[int, Decimal]] = {}
        for pool in self.pools_used:
            if pool["kind"] == "family":
                ml, yuan = paid.get(pool["donor_id"], (0, ZERO))
                paid[pool["donor_id"]] = (ml + pool["ml"], yuan + Decimal(pool["yuan"]))
        for donor_id, (ml, yuan) in paid.items():
            self.events.append(events.FamilyPoolUsed(
                donor_id=donor_id, deduction_id=self.id, hospital_id=self.hospital_id, relation=self.relation,
                relation_attested=self.relation_attested, change=change, ml=ml, yuan=yuan, occurred_at=at))

    def as_applied(self) -> "Deduction":
        """The deduction as its apply answered, before any reversal: what an idempotent replay returns."""
        return replace(self, status="applied", reversed_at=None, reverse_reason=None, events=[])

    @property
    def insurance_paid_yuan(self) -> Decimal:
        """What medical insurance already paid of the blood cost (per line, as the hospital reported it)."""
        return sum((Decimal(line.get("insurance_paid_yuan") or 0) for line in self.lines), ZERO)

    @property
    def patient_pays_yuan(self) -> Decimal:
        return self.total_yuan - self.insurance_paid_yuan - self.waived_yuan


# --- claims ---------------------------------------------------------------------------------------------
def payments_by_region(pools_used: list[dict]) -> list[dict]:
    """What each region's blood station pays of a waiver: its pools' yuan, regions in order of first use."""
    totals: dict[str, Decimal] = {}
    for pool in pools_used:
        totals[pool["region"]] = totals.get(pool["region"], ZERO) + Decimal(pool["yuan"])
    return [{"region": region, "yuan": str(yuan), "payment_ref": None} for region, yuan in totals.items() if yuan > 0]


def handling_region_of(pools_used: list[dict], fallback: str) -> str:
    """The region of the donation that pays first (the first pool used), else `fallback`."""
    return pools_used[0]["region"] if pools_used else fallback

@dataclass(eq=False)
class ClaimDocument:
    id: str
    claim_id: str
    kind: str
    filename: str
    content_type: str
    size: int
    sha256: str
    storage_key: str
    uploaded_at: datetime
    uploaded_by: str


@dataclass(frozen=True)
class BankAccount:
    """Where a claim is paid, as anyone but the bank file may see it: the number masked."""
    account_name: str
    account_no_masked: str
    bank_name: str


@dataclass(eq=False)
class Claim:
    id: str
    channel: str
    region: str
    owner_donor_id: str | None
    donor_id: str
    relation: str
    patient_blind: str
    patient_masked: str
    patient_name: str
    hospital_name: str
    hospital_site_id: str | None
    admission_no: str | None
    invoice_no: str
    lines: list
    bank_account_name: str
    bank_account_no_encrypted: str
    bank_account_no_masked: str
    bank_name: str
    total_yuan: Decimal
    created_by: str
    created_at: datetime
    tracking_no: str | None = None
    # The day (Asia/Shanghai) the office received a mail claim; days to pay count from it.
    received_on: date | None = None
    status: str = "draft"
    approved_yuan: Decimal | None = None
    pools_used: list = field(default_factory=list)
    reason: str | None = None
    submitted_at: datetime | None = None
    decided_at: datetime | None = None
    paid_at: datetime | None = None
    payment_ref: str | None = None
    # The region whose blood station handles and pays the claim: where the paying donation was made (各单位之间
    # 无资金往来), whichever region treated the patient. `payments`: one per paying region once approved.
    handling_region: str | None = None
    payments: list = field(default_factory=list)
    relative_conditions_attested: bool = False
    events: list = field(default_factory=list, repr=False)
    # Its documents as the repository loaded them (ClaimDocument rows of their own table, not mapped here).
    documents: list = field(default_factory=list, repr=False)

    @property
    def bank(self) -> "BankAccount":
        return BankAccount(self.bank_account_name, self.bank_account_no_masked, self.bank_name)

    def require(self, *statuses: str) -> None:
        if self.status not in statuses:
            raise InvalidClaimStatus(f"申请状态为 {self.status}，需为 {' / '.join(statuses)}",
                                     claim_status=self.status)

    def submit(self, *, present_kinds: set[str], required: tuple[str, ...], at: datetime) -> None:
        self.require("draft")
        missing = [k for k in required if k not in present_kinds]
        if missing:
            raise MissingDocuments("缺少材料：" + "、".join(missing), missing=missing)
        self.status, self.submitted_at = "submitted", at
        self._record(events.ClaimSubmitted, at)

    def approve(self, *, approved_yuan: Decimal, pools_used: list, at: datetime) -> None:
        """Pools of two regions split the claim into one payment per region; the region paying most handles it."""
        self.require("submitted")
        self.status, self.approved_yuan, self.pools_used, self.decided_at = "approved", approved_yuan, pools_used, at
        self.payments = payments_by_region(pools_used)
        if self.payments:
            self.handling_region = max(self.payments, key=lambda p: Decimal(p["yuan"]))["region"]
        self._record(events.ClaimApproved, at)

    def reject(self, *, reason: str, at: datetime) -> None:
        self.require("submitted")
        self.status, self.reason, self.decided_at = "rejected", redact_ids(reason), at
        self._record(events.ClaimRejected, at)

    def pay(self, *, payment_ref: str, at: datetime) -> None:
        self.require("approved")
        self.status, self.payment_ref, self.paid_at = "paid", payment_ref, at
        self._record(events.ClaimPaid, at)

    def _record(self, event_class, at: datetime) -> None:
        self.events.append(event_class(
            claim_id=self.id, donor_id=self.owner_donor_id or self.donor_id, channel=self.channel,
            status=self.status, total_yuan=self.total_yuan, approved_yuan=self.approved_yuan,
            reason=self.reason, occurred_at=at))
