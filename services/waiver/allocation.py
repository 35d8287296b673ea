"""Entitlement arithmetic: what a pool holds on the day blood is used, and how lines are paid from pools.

Plain Python. A pool is (donor, self|family, region of donation); its quota on a day is the sum, over the
donations made in that region up to that day, of multiple × worth, the multiple depending on whether the
day of use falls inside that donation's window. Used amounts accumulate across all uses, so remaining =
quota on the day − everything used so far (never below zero).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from .policy import FEN, Policy, PolicyBook, shanghai_day


@dataclass(frozen=True)
class DonationFact:
    donation_id: str
    region: str
    kind: str
    volume_ml: int | None
    doses: int | None
    rhd: str
    collected_at: datetime
    phenotypes: tuple[str, ...] = ()    # the donor's rare phenotypes, as the donor service recorded them

    @property
    def types(self) -> set[str]:
        return ({"rhd_neg"} if self.rhd == "neg" else set()) | set(self.phenotypes)


@dataclass(frozen=True)
class Quota:
    in_scope: bool              # the relation is covered by the region's policy (self always is)
    unlimited: bool
    amount: Decimal             # ml (volume model) or yuan (money model) granted on that day
    window_ends: date | None    # last day before the earliest in-window donation drops to its after-multiple
    preceding: int              # donations made on or before the day of use (0: nothing covers it yet)
    unattested: bool = False    # a family pool whose policy needs the relative's conditions attested, and they are not


OUT_OF_SCOPE = Quota(False, False, Decimal(0), None, 0)
UNATTESTED = Quota(False, False, Decimal(0), None, 0, unattested=True)


def quota_on(policy: Policy, donations: list[DonationFact], *, relation: str, award_level: str | None,
             at: datetime, book: PolicyBook | None = None) -> Quota:
    """The pool's quota on the day of use, in the unit of `policy` (the version in force that day, which also
    decides who is covered). Each donation is valued by the version in force on the day it was GIVEN (its
    multiples, what it is worth, the lifetime rule): a revised statute does not take back what older donations
    earned, nor give them what it grants new ones. Without a book, `policy` values every donation."""
    if policy.multiples_for(relation, award_level) is None:
        return OUT_OF_SCOPE
    day = shanghai_day(at)
    # A donation covers blood used from its own day on (Asia/Shanghai days, like the windows): the
    # hospital's transfusion time and the station's collection time come from different clocks.
    before = [d for d in donations if d.region == policy.region and shanghai_day(d.collected_at) <= day]
    given_under = [(book.in_force(policy.region, shanghai_day(d.collected_at)) if book else None) or policy
                   for d in before]
    if relation == "self" and any(
            _free_for_life(version, [d for d, v in zip(before, given_under) if v is version])
            for version in {id(v): v for v in given_under}.values()):
        return Quota(True, True, Decimal(0), None, len(before))
    total, ends = Decimal(0), []
    for d, version in zip(before, given_under):
        donated = shanghai_day(d.collected_at)
        multiples = version.multiples_for(relation, award_level)
        if multiples is None:       # the version it was given under did not cover this relation
            continue
        multiple, last_inside = multiples.for_day(donated, day)
        total += multiple * _worth(policy, version, d, donated)
        if last_inside:
            ends.append(last_inside)
    total = total.to_integral_value(ROUND_DOWN) if policy.quota_model == "volume" else total.quantize(FEN)
    return Quota(True, False, total, min(ends) if ends else None, len(before))


def _worth(policy: Policy, version: Policy, d: DonationFact, donated: date) -> Decimal:
    """What a donation is worth under the version it was given under, in the unit of `policy` (the version in
    force on the day of use). Between units the whole-blood price converts: ml at the price of 200 ml of
    whole blood (RhD-negative where priced) of the table in force when donated [U: no source says how an old
    statute's ml are paid under a base-amount model; this pays them at the blood's own price]."""
    if version.quota_model == "volume":
        ml = Decimal(version.donation_ml(d.kind, d.volume_ml, d.doses))
        return ml if policy.quota_model == "volume" else ml / 200 * policy.whole_blood_price(d.rhd, donated)
    yuan = version.donation_base_yuan(d.kind, d.volume_ml, d.doses, d.rhd, donated)
    return yuan if policy.quota_model == "money" else yuan / version.whole_blood_price(d.rhd, donated) * 200


def _free_for_life(policy: Policy, before: list[DonationFact]) -> bool:
    threshold = policy.donor_lifetime_threshold_ml
    cumulative = sum(policy.donation_ml(d.kind, d.volume_ml, d.doses) for d in before)
    if threshold is not None and cumulative >= threshold:
        return True
    return policy.rare_type_lifetime and any(policy.is_rare(d.types) for d in before)


@dataclass
class PoolAccount:
    """A pool as the allocator sees it: identity, what is used, and how to value it on a day."""

    pool_id: str
    donor_id: str
    donor_masked: str
    kind: str                   # "self" | "family"
    region: str
    relation: str               # the patient's relation to the donor ("self" for the self pool)
    used_ml: int
    used_yuan: Decimal
    book: PolicyBook
    donations: list[DonationFact]
    award_level: str | None = None
    relative_conditions_attested: bool = False

    def policy_on(self, at: datetime) -> Policy | None:
        return self.book.in_force(self.region, shanghai_day(at))

    def quota(self, at: datetime) -> Quota:
        policy = self.policy_on(at)
        if policy is None:
            return OUT_OF_SCOPE
        q = quota_on(policy, self.donations, relation=self.relation, award_level=self.award_level, at=at,
                     book=self.book)
        if q.in_scope and self.kind == "family" and policy.relative_conditions_required \
                and not self.relative_conditions_attested:
            return UNATTESTED
        return q

    def remaining(self, at: datetime) -> tuple[bool, Decimal]:
        """(unlimited, what is left in the pool's own unit) on the day `at`."""
        q, policy = self.quota(at), self.policy_on(at)
        if not q.in_scope:
            return False, Decimal(0)
        used = self.used_ml if policy.quota_model == "volume" else self.used_yuan
        return q.unlimited, max(Decimal(0), q.amount - used)


@dataclass(frozen=True)
class LineRequest:
    index: int
    key: str
    component: str
    volume_ml: int
    amount_yuan: Decimal
    transfused_at: datetime
    units: Decimal | None = None
    doses: Decimal | None = None
    already_waived: bool = False
    insurance_paid_yuan: Decimal = Decimal(0)     # already subtracted from amount_yuan; kept for the price cap
    above_price: bool = False   # billed above the region's supply price: amount_yuan is capped at that price


@dataclass(frozen=True)
class Take:
    pool_id: str
    line_index: int
    ml: int
    yuan: Decimal


# Why a line was waived less than its amount (LineResult.reason; the console labels each in Chinese).
LINE_REASONS = ("already_waived", "above_region_price", "quota_exhausted", "donation_after_use",
                "relative_conditions_not_attested", "relation_out_of_scope", "not_a_donor", "no_donation")


@dataclass
class LineResult:
    index: int
    waived_ml: int = 0
    waived_yuan: Decimal = Decimal("0.00")
    reason: str | None = None


@dataclass
class Allocation:
    lines: list[LineResult]
    takes: list[Take] = field(default_factory=list)

    @property
    def waived_yuan(self) -> Decimal:
        return sum((r.waived_yuan for r in self.lines), Decimal("0.00"))


def allocate(lines: list[LineRequest], pools: list[PoolAccount], *, no_pool_reason: str = "not_a_donor") -> Allocation:
    """Pay each line from the pools in the order given; earlier uses first. Mutates the accounts' used
    amounts (callers pass accounts built from locked rows and write the takes back).

    A line is paid at most its amount; a pool that covers part of a line pays that part pro rata (yuan
    rounded down to the fen, the last pool to finish a line pays the exact rest).
    """
    results = {line.index: LineResult(line.index) for line in lines}
    takes: list[Take] = []
    for line in sorted(lines, key=lambda ln: (ln.transfused_at, ln.index)):
        result = results[line.index]
        if line.already_waived:
            result.reason = "already_waived"
            continue
        left, in_scope, preceded, full, unattested = Decimal(1), False, False, False, False
        for pool in pools:
            q = pool.quota(line.transfused_at)
            unattested |= q.unattested
            if not q.in_scope:
                continue
            in_scope = True
            if q.preceding == 0:
                continue
            preceded = True
            take = _take(pool, line, q, left, result.waived_yuan)
            if take is None:
                continue
            ml, yuan, fraction, full = take
            left -= fraction
            result.waived_ml += ml
            result.waived_yuan += yuan
            pool.used_ml += ml
            pool.used_yuan += yuan
            takes.append(Take(pool.pool_id, line.index, ml, yuan))
            if full:
                break
        if full and line.above_price:
            result.reason = "above_region_price"
        if not full:
            result.reason = ("quota_exhausted" if result.waived_yuan > 0 or preceded else
                             "donation_after_use" if in_scope else
                             "relative_conditions_not_attested" if unattested else
                             "relation_out_of_scope" if pools else no_pool_reason)
    return Allocation([results[i] for i in sorted(results)], takes)


def _take(pool: PoolAccount, line: LineRequest, q: Quota, left: Decimal, waived_so_far: Decimal):
    """(ml, yuan, fraction of the line, line now fully paid) that this pool pays, or None."""
    policy = pool.policy_on(line.transfused_at)
    line_ml = policy.usage_ml(line.component, line.volume_ml, line.units, line.doses)
    rest_yuan = line.amount_yuan - waived_so_far
    if policy.quota_model == "volume":
        need_ml = line_ml * left
        ml = math.ceil(need_ml)
        if not q.unlimited:
            ml = min(ml, int(max(Decimal(0), q.amount - pool.used_ml)))
        if ml <= 0:
            return None
        if ml >= need_ml:
            return ml, rest_yuan, left, True
        fraction = Decimal(ml) / line_ml
        return ml, (line.amount_yuan * fraction).quantize(FEN, ROUND_DOWN), fraction, False
    yuan = rest_yuan if q.unlimited else min(rest_yuan, max(Decimal(0), q.amount - pool.used_yuan))
    if yuan <= 0:
        return None
    if yuan >= rest_yuan:
        return int((line_ml * left).to_integral_value(ROUND_HALF_UP)), rest_yuan, left, True
    fraction = yuan / line.amount_yuan
    return int((line_ml * fraction).to_integral_value(ROUND_HALF_UP)), yuan, fraction, False
