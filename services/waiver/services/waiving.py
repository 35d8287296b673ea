"""Paying blood lines from pools: shared by direct deductions and claim approvals, so every channel keeps
the same rules (unit cross-check, one waiver per blood line, pro rata, pools never below zero)."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from sqlalchemy.exc import IntegrityError

from servicekit.errors import Conflict, Unprocessable

from ..allocation import Allocation, LineRequest, PoolAccount, allocate
from ..errors import DuplicateLine, PatientNotDonor, UnitMismatch
from ..identity import line_key
from ..model import LedgerDonor, Pool, PoolUsage, WaivedLine
from ..policy import PolicyBook, shanghai_day
from .entitlements import payment_order, pool_accounts

MAX_ATTEMPTS = 3


def retry_unique_races(attempt):
    """Run one transaction; a unique-key race (same Idempotency-Key, same blood line) rolls the loser back
    whole, and its retry sees the winner's row (a replay, or the line as already waived)."""
    for n in range(MAX_ATTEMPTS):
        try:
            return attempt()
        except IntegrityError:
            if n == MAX_ATTEMPTS - 1:
                raise Conflict("并发冲突，请重试", code="concurrent_update")
    raise AssertionError("unreachable")


def line_requests(lines: list[dict], *, patient_blind: str, admission_no: str | None,
                  invoice_no: str | None = None) -> list[LineRequest]:
    """Requests for the allocator, keyed for cross-channel uniqueness; a key twice in one request is refused."""
    requests, seen = [], {}
    for i, line in enumerate(lines):
        key = line_key(line, patient_blind=patient_blind, admission_no=admission_no, invoice_no=invoice_no, position=i + 1)
        if key in seen:
            raise DuplicateLine(f"第 {seen[key] + 1} 行与第 {i + 1} 行是同一血液明细", lines=[seen[key], i])
        seen[key] = i
        requests.append(line_request(i, key, line))
    return requests


def line_request(index: int, key: str, line: dict) -> LineRequest:
    """A line as the allocator takes it, from the request as parsed or as a claim stored it (JSON strings)."""
    def dec(k):
        return Decimal(str(line[k])) if line.get(k) is not None else None

    at = line["transfused_at"]
    return LineRequest(index=index, key=key, component=line["component"], volume_ml=line["volume_ml"],
                       amount_yuan=waivable_yuan(line),
                       transfused_at=datetime.fromisoformat(at) if isinstance(at, str) else at,
                       units=dec("units"), doses=dec("doses"), insurance_paid_yuan=_insurance(line))


def _insurance(line: dict) -> Decimal:
    return Decimal(line.get("insurance_paid_yuan") or 0)


def waivable_yuan(line: dict) -> Decimal:
    """The blood cost the pools may pay: the line's amount less what medical insurance already paid."""
    return Decimal(line["amount_yuan"]) - _insurance(line)


def at_region_price(line: LineRequest, book: PolicyBook, region: str | None) -> LineRequest:
    """The blood cost is at most the supply price of the region where the blood was used (its table on the day
    of use), less what insurance paid of it: waived = min(billed, price) − insurance paid, within the quota."""
    policy = book.in_force(region, shanghai_day(line.transfused_at)) if region else None
    price = policy.line_price(line.component, line.volume_ml, line.units, line.doses,
                              shanghai_day(line.transfused_at)) if policy else None
    if price is None or line.amount_yuan + line.insurance_paid_yuan <= price:
        return line
    return replace(line, amount_yuan=max(Decimal("0.00"), price - line.insurance_paid_yuan), above_price=True)


def check_relation(relation: str, *, donor_blind: str, patient_blind: str) -> None:
    """`self` means the patient is the donor; any other relation means they are two people."""
    if relation == "self" and donor_blind != patient_blind:
        raise PatientNotDonor("relation 为 self 时献血者与用血者须为同一人")
    if relation != "self" and donor_blind == patient_blind:
        raise Unprocessable("献血者本人用血时 relation 应为 self", code="relation_invalid")


def check_units(uow, lines: list[dict], *, patient_blind: str, hospital_id: str | None) -> None:
    """Refuse lines citing a unit (or DIN + component) that inventory reported transfused to someone else
    or at another hospital. Lines without unit ids pass: the documents back them."""
    wrong = []
    for i, line in enumerate(lines):
        if line.get("unit_id"):
            records = [r for r in [uow.transfusions.get(line["unit_id"])] if r is not None]
        elif line.get("din"):
            records = [r for r in uow.transfusions.by_din(line["din"]) if r.component == line["component"]]
        else:
            continue
        if records and not any(r.patient_blind == patient_blind and
                               (hospital_id is None or r.hospital_id == hospital_id) for r in records):
            wrong.append(i)
    if wrong:
        raise UnitMismatch("血液单元的输血记录属于其他患者或其他医疗机构", lines=wrong)


@dataclass
class WaiverPlan:
    relation: str
    lines: list[LineRequest]
    allocation: Allocation
    accounts: list[PoolAccount]
    rows: dict[str, Pool]

    @property
    def all_already_waived(self) -> bool:
        return bool(self.lines) and all(line.already_waived for line in self.lines)

    def line_results(self, lines: list[dict]) -> list[dict]:
        """The request's lines with what was waived (JSON-ready)."""
        out = []
        for line, result in zip(lines, self.allocation.lines):
            item = {k: _plain(v) for k, v in line.items() if v is not None}
            item |= {"waived_ml": result.waived_ml, "waived_yuan": str(result.waived_yuan)}
            if result.reason:
                item["reason"] = result.reason
            out.append(item)
        return out

    def pools_used(self) -> list[dict]:
        by_pool: dict[str, dict] = {}
        accounts = {a.pool_id: a for a in self.accounts}
        for take in self.allocation.takes:
            a = accounts[take.pool_id]
            entry = by_pool.setdefault(take.pool_id, {"pool_id": a.pool_id, "kind": a.kind, "region": a.region,
                                                      "donor_id": a.donor_id, "donor_masked": a.donor_masked,
                                                      "ml": 0, "yuan": Decimal("0.00")})
            entry["ml"] += take.ml
            entry["yuan"] += take.yuan
        return [e | {"yuan": str(e["yuan"])} for e in by_pool.values()]


def plan_waiver(uow, book: PolicyBook, *, donor: LedgerDonor | None, relation: str, lines: list[LineRequest],
                local_region: str | None, lock: bool, relative_conditions_attested: bool = False) -> WaiverPlan:
    """Lock the paying pools first, then read which lines are already waived: a payer that waited for the
    lock sees everything the one before it committed."""
    kind = "self" if relation == "self" else "family"
    accounts, rows = pool_accounts(uow, book, donor, kind=kind, relation=relation, lock=lock) if donor else ([], {})
    for account in accounts:
        account.relative_conditions_attested = relative_conditions_attested
    already = uow.waived.existing([line.key for line in lines])
    lines = [replace(at_region_price(line, book, local_region), already_waived=line.key in already) for line in lines]
    first_use = min((line.transfused_at for line in lines), default=None)
    ordered = payment_order(accounts, first_use, local_region) if first_use else accounts
    no_pool = "not_a_donor" if donor is None else "no_donation"
    return WaiverPlan(relation, lines, allocate(lines, ordered, no_pool_reason=no_pool), accounts, rows)


def record_waiver(uow, plan: WaiverPlan, *, channel: str, at: datetime, deduction_id: str | None = None,
                  claim_id: str | None = None) -> None:
    """Write the plan: pools consumed, one usage per take, one waived-line key per line that got money.

    Core statements, not ORM objects: one UPDATE per pool paying, one INSERT for all usages and one for
    all waived lines, written now (a line another payer took raises here, and the caller's retry sees it)."""
    accounts = {a.pool_id: a for a in plan.accounts}
    for pool_id, (ml, yuan) in _totals_by_pool(plan.allocation.takes).items():
        uow.pools.consume(plan.rows[pool_id], ml, yuan)
    uow.pools.add_usages([
        PoolUsage(pool_id=take.pool_id, donor_id=accounts[take.pool_id].donor_id, kind=accounts[take.pool_id].kind,
                  region=accounts[take.pool_id].region, channel=channel, line_no=take.line_index + 1, ml=take.ml,
                  yuan=take.yuan, at=at, deduction_id=deduction_id, claim_id=claim_id)
        for take in plan.allocation.takes])
    uow.waived.add_all([
        WaivedLine(line_key=line.key, channel=channel, waived_yuan=result.waived_yuan, at=at,
                   deduction_id=deduction_id, claim_id=claim_id)
        for line, result in zip(plan.lines, plan.allocation.lines) if result.waived_yuan > 0])


def _totals_by_pool(takes) -> dict[str, tuple[int, Decimal]]:
    """What each pool pays in all, in the order pools first pay (a pool paying several lines is updated once)."""
    totals: dict[str, tuple[int, Decimal]] = {}
    for take in takes:
        ml, yuan = totals.get(take.pool_id, (0, Decimal("0.00")))
        totals[take.pool_id] = (ml + take.ml, yuan + take.yuan)
    return totals


def _plain(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value
