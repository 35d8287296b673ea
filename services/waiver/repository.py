"""Waiver persistence: small repositories over one session (the unit of work builds them)."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from servicekit.db import for_update, insert_of

from . import orm
from .allocation import DonationFact
from .model import (Award, Claim, ClaimDocument, Deduction, Donation, FamilyBinding, IdempotencyRecord, LedgerDonor,
                    Pool, PoolUsage, Transfusion, WaivedLine)
from .policy import AWARD_LEVELS, Policy


class _Repo:
    def __init__(self, session: Session):
        self.session = session

    def add(self, obj) -> None:
        self.session.add(obj)


def _row(obj, table, *, skip: tuple[str, ...] = ()) -> dict:
    """A domain object as a row of its table (the mapping names attributes like columns), for Core inserts
    on hot paths: no identity map, no unit-of-work flush."""
    return {c.name: getattr(obj, c.name) for c in table.columns if c.name not in skip}


# Statements of the payment path, built once (SQLAlchemy then skips rebuilding their cache keys).
_INSERT_USAGES = orm.pool_usages.insert()
_INSERT_WAIVED = orm.waived_lines.insert()
_INSERT_DEDUCTION = orm.deductions.insert()
_INSERT_IDEMPOTENCY = orm.idempotency_keys.insert()

# Increments, not absolute values: the rows are locked by the payer (for_donor(lock=True)) and the CHECK
# constraint refuses a pool below zero, so an increment is exactly what the ORM's flush used to write.
_CONSUME = (update(orm.pools).where(orm.pools.c.id == bindparam("pool_id"))
            .values(used_ml=orm.pools.c.used_ml + bindparam("ml", type_=orm.pools.c.used_ml.type),
                    used_yuan=orm.pools.c.used_yuan + bindparam("yuan", type_=orm.pools.c.used_yuan.type)))


class LedgerRepository(_Repo):
    # The payer's reads on every deduction and approval: Core, prepared once. The ledger is written only by
    # the consumer, so the donors and donations read here are plain values, never changed by the caller.
    _BY_BLIND = select(orm.ledger_donors).where(orm.ledger_donors.c.national_id_blind == bindparam("blind"))
    _d = orm.ledger_donations.c
    # DonationFact's fields; the donor's rare phenotypes (found by serology) belong to every donation they gave.
    _DONATIONS_OF = (select(_d.donation_id, _d.region, _d.kind, _d.volume_ml, _d.doses, _d.rhd, _d.collected_at,
                            orm.ledger_donors.c.phenotypes)
                     .join(orm.ledger_donors, orm.ledger_donors.c.donor_id == _d.donor_id)
                     .where(_d.donor_id == bindparam("donor_id")).order_by(_d.collected_at))

    def get(self, donor_id: str) -> LedgerDonor | None:
        return self.session.get(LedgerDonor, donor_id)

    def by_blind(self, blind: str) -> LedgerDonor | None:
        """A donor to read (not to change: the object is not in the session)."""
        row = self.session.execute(self._BY_BLIND, {"blind": blind}).first()
        return LedgerDonor(**row._mapping) if row else None

    def add_donors_once(self, donors: list[LedgerDonor]) -> None:
        """Insert the donors the ledger does not have yet (one statement); known ones are left as they are."""
        if donors:
            stmt = _built(self.session, "donors_once", lambda insert: insert(orm.ledger_donors)
                          .on_conflict_do_nothing(index_elements=["donor_id"]))
            self.session.execute(stmt, [_row(d, orm.ledger_donors) for d in donors])

    def upsert_donors(self, donors: list[LedgerDonor]) -> None:
        """Insert new donors, and give known ones these regions (one statement; one row per donor)."""
        if donors:
            def build(insert):
                stmt = insert(orm.ledger_donors)
                return stmt.on_conflict_do_update(index_elements=["donor_id"], set_={"region": stmt.excluded.region})
            self.session.execute(_built(self.session, "donors_upsert", build),
                                 [_row(d, orm.ledger_donors) for d in donors])

    def add_donations_once_many(self, donations: list[Donation]) -> set[str]:
        """Insert the donations whose ids are new (one statement); returns those ids."""
        if not donations:
            return set()
        stmt = _built(self.session, "donations_once", lambda insert: insert(orm.ledger_donations)
                      .on_conflict_do_nothing(index_elements=["donation_id"])
                      .returning(orm.ledger_donations.c.donation_id))
        return set(self.session.execute(stmt, [_row(d, orm.ledger_donations) for d in donations]).scalars())

    def add_donation_once(self, donation: Donation) -> bool:
        """Insert the donation unless its id is there already (one statement); True when it was new."""
        return bool(self.add_donations_once_many([donation]))

    def donation_facts(self, donor_id: str) -> list[DonationFact]:
        """The donor's donations as the entitlement arithmetic reads them, oldest first."""
        return [DonationFact(*row[:-1], phenotypes=tuple(row[-1] or ()))
                for row in self.session.execute(self._DONATIONS_OF, {"donor_id": donor_id})]

    def get_award(self, donor_id: str, level: str) -> Award | None:
        return self.session.get(Award, (donor_id, level))

    def award_level(self, donor_id: str) -> str | None:
        stmt = select(orm.ledger_awards.c.level).where(orm.ledger_awards.c.donor_id == donor_id)
        levels = [lv for lv in self.session.scalars(stmt) if lv in AWARD_LEVELS]
        return max(levels, key=AWARD_LEVELS.index) if levels else None


class TransfusionRepository(_Repo):
    def get(self, unit_id: str) -> Transfusion | None:
        return self.session.get(Transfusion, unit_id)

    def by_din(self, din: str) -> list[Transfusion]:
        return list(self.session.scalars(select(Transfusion).where(Transfusion.din == din)))

    def awaiting_reminder(self, transfused_before: datetime, limit: int = 500) -> list[Transfusion]:
        return list(self.session.scalars(
            for_update(select(Transfusion).where(Transfusion.reminder_issued_at.is_(None),
                                                 Transfusion.transfused_at <= transfused_before)
                       .order_by(Transfusion.transfused_at).limit(limit), self.session, skip_locked=True)))


_BUILT: dict = {}


def _built(session, name: str, build):
    """A statement built once per database kind (`build` gets its INSERT): SQLAlchemy caches its compiled form,
    and several rows go as one executemany, which it sends as one multi-row statement."""
    dialect = session.get_bind().dialect.name
    key = (name, dialect)
    if key not in _BUILT:
        _BUILT[key] = build(lambda table: insert_of(table, session))
    return _BUILT[key]


class PoolRepository(_Repo):
    def ensure(self, donor_id: str, kinds: tuple[str, ...], region: str) -> None:
        """The donor's pools of these kinds in `region` exist afterwards (one statement; existing ones untouched)."""
        self.ensure_many([(donor_id, region)], kinds)

    def ensure_many(self, donors_regions: list[tuple[str, str]], kinds: tuple[str, ...]) -> None:
        """`ensure` for several (donor, region)s in one statement."""
        if donors_regions:
            stmt = _built(self.session, "pools_once", lambda insert: insert(orm.pools).on_conflict_do_nothing(
                index_elements=["donor_id", "kind", "region"]))
            self.session.execute(stmt, [dict(id=str(uuid.uuid4()), donor_id=donor_id, kind=kind, region=region,
                                             used_ml=0, used_yuan=0)
                                        for donor_id, region in donors_regions for kind in kinds])

    # Prepared once; FOR UPDATE is left out by SQLite's compiler (its IMMEDIATE transactions hold the
    # write lock already), as servicekit.db.for_update does.
    _OF_DONOR = (select(orm.pools).where(orm.pools.c.donor_id == bindparam("donor_id"),
                                         orm.pools.c.kind == bindparam("kind")).order_by(orm.pools.c.id))
    _OF_DONOR_LOCKED = _OF_DONOR.with_for_update()

    def for_donor(self, donor_id: str, kind: str, *, lock: bool = False) -> list[Pool]:
        """A donor's pools of one kind, in id order (one lock order for everyone: no deadlocks between payers).

        Read with Core: the objects are not in the session, so a payer changes a pool only through
        consume(), and a locked read always has the row as committed by the payer before."""
        stmt = self._OF_DONOR_LOCKED if lock else self._OF_DONOR
        return [Pool(**row._mapping) for row in self.session.execute(stmt, {"donor_id": donor_id, "kind": kind})]

    def by_ids(self, ids: list[str], *, lock: bool = False) -> list[Pool]:
        stmt = select(Pool).where(Pool.id.in_(ids)).order_by(Pool.id)
        if lock:
            stmt = for_update(stmt, self.session).execution_options(populate_existing=True)
        return list(self.session.scalars(stmt))

    def consume(self, pool: Pool, ml: int, yuan) -> None:
        """Take from a pool loaded in this session with one UPDATE, keeping the loaded object equal to the
        row without making it dirty (a later flush must not write it again)."""
        self.session.execute(_CONSUME, {"pool_id": pool.id, "ml": ml, "yuan": yuan})
        set_committed_value(pool, "used_ml", pool.used_ml + ml)
        set_committed_value(pool, "used_yuan", pool.used_yuan + yuan)

    def add_usages(self, usages: list[PoolUsage]) -> None:
        """All usages of one payment in one INSERT."""
        if usages:
            self.session.execute(_INSERT_USAGES, [_row(u, orm.pool_usages, skip=("id",)) for u in usages])

    def usages(self, *, deduction_id: str | None = None, claim_id: str | None = None) -> list[PoolUsage]:
        stmt = select(PoolUsage).order_by(PoolUsage.id)
        stmt = stmt.where(PoolUsage.deduction_id == deduction_id) if deduction_id else \
            stmt.where(PoolUsage.claim_id == claim_id)
        return list(self.session.scalars(stmt))


class WaivedLineRepository(_Repo):
    _EXISTING = select(orm.waived_lines.c.line_key).where(
        orm.waived_lines.c.line_key.in_(bindparam("keys", expanding=True)))

    def existing(self, keys: list[str]) -> set[str]:
        if not keys:
            return set()
        return set(self.session.scalars(self._EXISTING, {"keys": keys}))

    def add_all(self, lines: list[WaivedLine]) -> None:
        """One INSERT for the payment's lines; the primary key refuses a line another payer took first."""
        if lines:
            self.session.execute(_INSERT_WAIVED, [_row(w, orm.waived_lines) for w in lines])

    def release_deduction(self, deduction_id: str) -> None:
        self.session.execute(delete(orm.waived_lines).where(orm.waived_lines.c.deduction_id == deduction_id))


class IdempotencyRepository(_Repo):
    """Read and written with Core: a record is never changed once stored, so it needs no identity map."""

    _GET = select(orm.idempotency_keys).where(orm.idempotency_keys.c.hospital_id == bindparam("hospital_id"),
                                              orm.idempotency_keys.c.key == bindparam("key"))

    def get(self, hospital_id: str, key: str) -> IdempotencyRecord | None:
        row = self.session.execute(self._GET, {"hospital_id": hospital_id, "key": key}).first()
        return IdempotencyRecord(**row._mapping) if row else None

    def add(self, record: IdempotencyRecord) -> None:
        self.session.execute(_INSERT_IDEMPOTENCY, _row(record, orm.idempotency_keys))


class FamilyRepository(_Repo):
    def get(self, binding_id: str) -> FamilyBinding | None:
        return self.session.get(FamilyBinding, binding_id)

    def for_donor(self, donor_id: str) -> list[FamilyBinding]:
        return list(self.session.scalars(select(FamilyBinding).where(FamilyBinding.donor_id == donor_id)
                                         .order_by(FamilyBinding.created_at)))

    def of_relative(self, donor_id: str, relative_blind: str) -> FamilyBinding | None:
        return self.session.scalars(select(FamilyBinding).where(FamilyBinding.donor_id == donor_id,
                                                                FamilyBinding.relative_blind == relative_blind)).first()

    def verified_for_relative(self, relative_blind: str) -> list[FamilyBinding]:
        return list(self.session.scalars(select(FamilyBinding).where(FamilyBinding.relative_blind == relative_blind,
                                                                     FamilyBinding.status == "verified")))

    def in_region(self, region: str, status: str | None) -> list[FamilyBinding]:
        stmt = select(FamilyBinding).where(FamilyBinding.donor_region == region).order_by(FamilyBinding.created_at)
        if status:
            stmt = stmt.where(FamilyBinding.status == status)
        return list(self.session.scalars(stmt))


class DeductionRepository(_Repo):
    def insert(self, deduction: Deduction) -> None:
        """Store a new deduction with one Core INSERT. It stays out of the session, so its events are
        published by the caller (uow.publish_events_of), not collected at commit."""
        self.session.execute(_INSERT_DEDUCTION, _row(deduction, orm.deductions))

    def get(self, deduction_id: str, *, lock: bool = False) -> Deduction | None:
        stmt = select(Deduction).where(Deduction.id == deduction_id)
        if lock:
            stmt = for_update(stmt, self.session).execution_options(populate_existing=True)
        return self.session.scalars(stmt).first()

    def touching_period(self, start: datetime, end: datetime, hospital_id: str | None = None) -> list[Deduction]:
        """Deductions applied or reversed in [start, end)."""
        applied = (Deduction.applied_at >= start) & (Deduction.applied_at < end)
        reversed_ = (Deduction.reversed_at >= start) & (Deduction.reversed_at < end)
        stmt = select(Deduction).where(applied | reversed_).order_by(Deduction.applied_at)
        if hospital_id:
            stmt = stmt.where(Deduction.hospital_id == hospital_id)
        return list(self.session.scalars(stmt))

    def settlement_lines(self, start: datetime, end: datetime, hospital_id: str):
        """What a month's settlement reads of each deduction applied or reversed in [start, end): plain rows, not
        mapped objects (a 5,000-line month built 5,000 objects and their states, and paid for them more than
        linearly: 7.8× the time of 1,000 lines), oldest first."""
        t = orm.deductions.c
        in_period = ((t.applied_at >= start) & (t.applied_at < end)) | ((t.reversed_at >= start) & (t.reversed_at < end))
        return list(self.session.execute(
            select(t.id, t.waived_yuan, t.applied_at, t.reversed_at, t.admission_no, t.patient_masked, t.pools_used,
                   t.hospital_region).where(in_period, t.hospital_id == hospital_id).order_by(t.applied_at)))

    def applied_since(self, hospital_id: str, patient_blind: str, since: datetime) -> bool:
        return self.session.scalars(select(Deduction.id).where(
            Deduction.hospital_id == hospital_id, Deduction.patient_blind == patient_blind,
            Deduction.status == "applied", Deduction.applied_at >= since).limit(1)).first() is not None


class ClaimRepository(_Repo):
    def get(self, claim_id: str, *, lock: bool = False) -> Claim | None:
        stmt = select(Claim).where(Claim.id == claim_id)
        if lock:
            stmt = for_update(stmt, self.session).execution_options(populate_existing=True)
        return self.session.scalars(stmt).first()

    def listing(self, *, region: str | None = None, owner_donor_id: str | None = None, status: str | None = None,
                channel: str | None = None) -> list[Claim]:
        stmt = select(Claim).order_by(Claim.created_at.desc())
        # A reviewer's list is the claims their region handles (the paying donation's region).
        handled_by = func.coalesce(Claim.handling_region, Claim.region)
        for column, value in ((handled_by, region), (Claim.owner_donor_id, owner_donor_id),
                              (Claim.status, status), (Claim.channel, channel)):
            if value is not None:
                stmt = stmt.where(column == value)
        return list(self.session.scalars(stmt))

    def decided_between(self, start: datetime, end: datetime, region: str | None) -> list[Claim]:
        """Claims approved in the period (paid since or not)."""
        stmt = select(Claim).where(Claim.status.in_(("approved", "paid")), Claim.decided_at >= start,
                                   Claim.decided_at < end)
        if region:
            stmt = stmt.where(func.coalesce(Claim.handling_region, Claim.region) == region)
        return list(self.session.scalars(stmt))

    def paid_between(self, start: datetime, end: datetime, region: str | None) -> list[Claim]:
        stmt = select(Claim).where(Claim.status == "paid", Claim.paid_at >= start, Claim.paid_at < end)
        if region:
            stmt = stmt.where(func.coalesce(Claim.handling_region, Claim.region) == region)
        return list(self.session.scalars(stmt))

    def documents(self, claim_id: str) -> list[ClaimDocument]:
        return list(self.session.scalars(select(ClaimDocument).where(ClaimDocument.claim_id == claim_id)
                                         .order_by(ClaimDocument.uploaded_at)))

    def with_documents(self, claims: list[Claim]) -> list[Claim]:
        """Each claim with its documents, for a list in one query (not one per claim)."""
        by_claim: dict[str, list[ClaimDocument]] = {c.id: [] for c in claims}
        for chunk in (list(by_claim)[i:i + 500] for i in range(0, len(by_claim), 500)):
            for doc in self.session.scalars(select(ClaimDocument).where(ClaimDocument.claim_id.in_(chunk))
                                            .order_by(ClaimDocument.uploaded_at)):
                by_claim[doc.claim_id].append(doc)
        for claim in claims:
            claim.documents = by_claim[claim.id]
        return claims


class PolicyRepository(_Repo):
    def stored(self) -> list[Policy]:
        rows = self.session.execute(select(orm.policies.c.body)).scalars()
        return [Policy.from_dict(body, source="table") for body in rows]

    def has(self, region: str, effective_from) -> bool:
        return self.session.execute(select(orm.policies.c.region).where(
            orm.policies.c.region == region, orm.policies.c.effective_from == effective_from)).first() is not None

    def save(self, policy: Policy, at: datetime) -> None:
        self.session.execute(orm.policies.insert().values(region=policy.region, effective_from=policy.effective_from,
                                                          body=policy.to_dict(), created_at=at))
