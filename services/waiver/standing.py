"""A pool's standing on a day, as donors and hospitals see it: what it holds and what is left.

Pure: computed from the allocator's account (allocation.PoolAccount), the same arithmetic that pays, so a
view never promises what a deduction would refuse.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from .allocation import PoolAccount


@dataclass(frozen=True)
class PoolStanding:
    kind: str                       # "self" | "family"
    region: str
    relation: str                   # the relation it was valued for
    donor_masked: str
    quota_model: str                # "volume" (ml) | "money" (yuan)
    unlimited: bool
    window_ends: date | None
    used_ml: int
    used_yuan: Decimal
    # In the pool's own unit: the ml pair for a volume quota, the yuan pair for a money quota; none if unlimited.
    quota_ml: int | None
    remaining_ml: int | None
    quota_yuan: Decimal | None
    remaining_yuan: Decimal | None
    # A family pool of such a policy pays only for a relative attested as unable to donate, no employer paying.
    requires_relative_conditions: bool
    relations: tuple[str, ...] = field(default=())    # a family pool: the relations it covers


def standing_of(account: PoolAccount, at: datetime, relations: tuple[str, ...] = ()) -> PoolStanding:
    q, policy = account.quota(at), account.policy_on(at)
    volume = policy is None or policy.quota_model == "volume"
    unlimited, remaining = account.remaining(at)
    limited = not unlimited
    return PoolStanding(
        kind=account.kind, region=account.region, relation=account.relation, donor_masked=account.donor_masked,
        quota_model=policy.quota_model if policy else "volume", unlimited=unlimited, window_ends=q.window_ends,
        used_ml=account.used_ml, used_yuan=account.used_yuan,
        quota_ml=int(q.amount) if volume and limited else None,
        remaining_ml=int(remaining) if volume and limited else None,
        quota_yuan=q.amount if not volume and limited else None,
        remaining_yuan=remaining if not volume and limited else None,
        requires_relative_conditions=bool(account.kind == "family" and policy and policy.relative_conditions_required),
        relations=relations)


@dataclass(frozen=True)
class DonorEntitlements:
    """A donor's own pools: self pools, and family pools as they stand for the first relation in scope."""
    donor_id: str | None
    pools: list[PoolStanding]


@dataclass(frozen=True)
class PatientEntitlements:
    """What a patient can draw on today: their own pools if they donated, their donor relatives' family pools."""
    patient_is_donor: bool
    pools: list[PoolStanding]
