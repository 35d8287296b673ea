"""Policies in force and entitlement pools: the reads, and the pool accounts that payers (deductions,
claim approvals) build from locked rows."""
from __future__ import annotations

import time
from datetime import datetime

from servicekit.pii import PiiVault

from ..allocation import PoolAccount
from ..identity import normalise_national_id
from ..model import LedgerDonor, Pool
from ..policy import Policy, PolicyBook, shanghai_day
from ..policy_data import DEFAULTS
from ..standing import DonorEntitlements, PatientEntitlements, standing_of

_DEFAULT_POLICIES = [Policy.from_dict(d) for d in DEFAULTS]


# Policies change a few times a year; each process re-reads the table at most every BOOK_TTL_S seconds
# (per database, so one process serving several databases, as tests do, never mixes them; keyed by the
# engine's URL object, which is cheaper to hash than to render as text).
BOOK_TTL_S = 30.0
_books: dict[object, tuple[float, PolicyBook]] = {}


def load_book(uow) -> PolicyBook:
    """Defaults, overridden or extended by the versions stored in the `policies` table."""
    key = uow.session.get_bind().url
    cached = _books.get(key)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    book = PolicyBook(_DEFAULT_POLICIES + uow.policies.stored())
    _books[key] = (time.monotonic() + BOOK_TTL_S, book)
    return book


def policies_in_force(uow, *, now: datetime) -> list[Policy]:
    with uow:
        return load_book(uow).all_in_force(shanghai_day(now))


def seed_policies(uow, *, now: datetime) -> int:
    """Write the default versions into the table (for operators to see and edit); idempotent."""
    with uow:
        added = 0
        for policy in _DEFAULT_POLICIES:
            if not uow.policies.has(policy.region, policy.effective_from):
                uow.policies.save(policy, now)
                added += 1
        uow.commit()
        _books.pop(uow.session.get_bind().url, None)
        return added


def pool_accounts(uow, book: PolicyBook, donor: LedgerDonor, *, kind: str, relation: str,
                  lock: bool = False) -> tuple[list[PoolAccount], dict[str, Pool]]:
    """The donor's pools of one kind as allocator accounts (rows locked when paying)."""
    rows = uow.pools.for_donor(donor.donor_id, kind, lock=lock)
    donations = uow.ledger.donation_facts(donor.donor_id) if rows else []
    award = uow.ledger.award_level(donor.donor_id) if rows and kind == "family" else None   # only widens family
    accounts = [PoolAccount(pool_id=p.id, donor_id=donor.donor_id, donor_masked=donor.national_id_masked,
                            kind=p.kind, region=p.region, relation=relation, used_ml=p.used_ml,
                            used_yuan=p.used_yuan, book=book, donations=donations, award_level=award)
                for p in rows]
    return accounts, {p.id: p for p in rows}


def payment_order(accounts: list[PoolAccount], at: datetime, local_region: str | None) -> list[PoolAccount]:
    """Which pool pays first: pools free for life cost nobody anything, then the pool of the region where
    the blood is used (no money crosses regions), then the others by region code."""
    def rank(account: PoolAccount):
        unlimited, _ = account.remaining(at)
        return (not unlimited, account.region != local_region, account.region)

    return sorted(accounts, key=rank)


def _accounts_for_view(uow, book, donor, **kwargs) -> list[PoolAccount]:
    """Pools as they would pay once any attestation their policy needs is given: that is given at the time of use
    (the deduction or the claim), so a view of what a pool holds shows it as attested."""
    accounts, _ = pool_accounts(uow, book, donor, **kwargs)
    for account in accounts:
        account.relative_conditions_attested = True
    return accounts


def my_entitlements(uow, *, donor_id: str, now: datetime) -> DonorEntitlements:
    """A donor's own pools: self pools, and family pools as they stand for the first relation in scope."""
    with uow:
        donor = uow.ledger.get(donor_id)
        if donor is None:
            return DonorEntitlements(donor_id=donor_id, pools=[])
        book = load_book(uow)
        pools = [standing_of(a, now) for a in _accounts_for_view(uow, book, donor, kind="self", relation="self")]
        for account in _accounts_for_view(uow, book, donor, kind="family", relation="self"):
            policy = account.policy_on(now)
            in_scope = tuple(policy.relations_in_scope(account.award_level)) if policy else ()
            account.relation = in_scope[0] if in_scope else "spouse"
            pools.append(standing_of(account, now, relations=in_scope))
        return DonorEntitlements(donor_id=donor_id, pools=pools)


def patient_entitlements(uow, vault: PiiVault, *, patient_national_id: str, now: datetime) -> PatientEntitlements:
    """What a patient can draw on today: their own pools if they donated, and the family pools of every
    donor who has a verified binding to them (hospital attestations are only known at deduction time)."""
    blind = vault.blind_index(normalise_national_id(patient_national_id))
    with uow:
        book = load_book(uow)
        donor = uow.ledger.by_blind(blind)
        pools = []
        if donor is not None:
            pools += [standing_of(a, now) for a in _accounts_for_view(uow, book, donor, kind="self", relation="self")]
        for binding in uow.family.verified_for_relative(blind):
            payer = uow.ledger.get(binding.donor_id)
            if payer is None:
                continue
            accounts = _accounts_for_view(uow, book, payer, kind="family", relation=binding.relation)
            pools += [standing_of(a, now) for a in accounts if a.quota(now).in_scope]
        return PatientEntitlements(patient_is_donor=donor is not None, pools=pools)
