"""Bulk import of a region's donation history (docs/api.md "Bulk import"): one batch of rows per transaction.

The rows come parsed by the request schemas (donor.importer, as a view would); here each is checked by the same
domain rules the API applies (GB 11643 number, ISBT 128 DIN, the region's volumes and doses), matched against
what the database already holds, and written with its events. Today's eligibility rules are not applied: the
history happened. Donors and donations go in as multi-row INSERTs with their outbox rows, in one transaction
with the checkpoint that says where the file stands, so a batch is all there or not at all.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from servicekit.errors import DomainError, Unprocessable
from servicekit.pii import PiiVault, mask

from .. import orm
from ..din import facility_for, normalise
from ..events import DonorRegistered
from ..model import Donation, Donor, parse_identity, shanghai_day
from ..policy import rules_for
from .donations import check_amount, next_din


@dataclass(frozen=True)
class ImportRow:
    """One CSV row as the schemas loaded it (line: where it starts in the file, for the rejects)."""
    line: int
    name: str
    national_id: str
    phone: str
    abo: str
    rhd: str
    kind: str
    collected_at: datetime
    volume_ml: int | None = None
    doses: int | None = None
    din: str | None = None
    birth_date: date | None = None      # set by vet()
    sex: str | None = None


@dataclass(frozen=True)
class Rejected:
    line: int
    code: str
    reason: str


@dataclass
class Checkpoint:
    """Where a file's import stands; saved with each batch (orm.import_checkpoints)."""
    byte_offset: int
    line_no: int = 0
    donors: int = 0
    donations: int = 0
    duplicates: int = 0
    rejected: int = 0
    rejects_bytes: int = 0


@dataclass
class BatchResult:
    donors: int = 0
    donations: int = 0
    duplicates: int = 0
    rejected: list[Rejected] = field(default_factory=list)


def reason_of(error: DomainError) -> Rejected:
    fields = getattr(error, "extra", {}).get("errors") or {}
    detail = "; ".join([error.detail] + [f"{name}: {', '.join(map(str, messages))}" for name, messages in fields.items()])
    return Rejected(0, error.code, detail)


def vet(row: ImportRow, region: str, now: datetime) -> ImportRow | Rejected:
    """The API's domain checks for one row, without touching the database: a clean row or why not."""
    try:
        national_id = row.national_id.strip().upper()
        birth_date, sex = parse_identity(national_id)
        check_amount(row.kind, row.volume_ml, row.doses, rules_for(region))
        if row.collected_at > now + timedelta(minutes=5):
            raise Unprocessable("采集时间不能晚于当前时间", errors={"collected_at": ["采集时间不能晚于当前时间"]})
        din = normalise(row.din) if row.din else None
    except DomainError as error:
        return replace(reason_of(error), line=row.line)
    return replace(row, national_id=national_id, name=row.name.strip(), din=din, birth_date=birth_date, sex=sex,
                   doses=None if row.kind == "whole_blood" else row.doses)


def load_checkpoint(uow, file_key: str) -> Checkpoint | None:
    with uow:
        found = uow.session.execute(select(orm.import_checkpoints)
                                    .where(orm.import_checkpoints.c.file_key == file_key)).first()
        if found is None:
            return None
        return Checkpoint(**{k: getattr(found, k) for k in Checkpoint.__dataclass_fields__})


def finish(uow, file_key: str) -> None:
    """The file is done: a later run of it starts from the top (and finds everything already there)."""
    with uow:
        uow.session.execute(delete(orm.import_checkpoints).where(orm.import_checkpoints.c.file_key == file_key))
        uow.commit()


def import_batch(uow, vault: PiiVault, rows: list[ImportRow], *, site_id: str, region: str, file_key: str,
                 checkpoint: Checkpoint, upto: tuple[int, int], rejected: list[Rejected], write_rejects,
                 facility_ids: dict | None = None, now: datetime | None = None) -> BatchResult:
    """Write one batch of vetted rows and move the checkpoint past it (`upto`: the byte offset and line where the
    batch ends), in one transaction.

    `rejected` holds the batch's rows refused before (schemas, `vet`); the ones refused here are added, and
    `write_rejects(all of them)` writes them out before the commit and returns the rejects file's length, which
    the checkpoint keeps (a resumed run cuts the file back to it). `checkpoint` is advanced once committed.
    A unique index lost to a concurrent writer (the API registering the same person, another import) rolls the
    batch back; it is tried once more against what is there then."""
    now = now or datetime.now(timezone.utc)
    for attempt in (1, 2):
        try:
            result, after = _import(uow, vault, rows, site_id=site_id, region=region, file_key=file_key,
                                    checkpoint=checkpoint, upto=upto, rejected=list(rejected), write_rejects=write_rejects,
                                    facility_ids=facility_ids, now=now)
        except IntegrityError:
            if attempt == 2:
                raise
            continue
        for name in Checkpoint.__dataclass_fields__:
            setattr(checkpoint, name, getattr(after, name))
        return result
    raise AssertionError("unreachable")


def _import(uow, vault, rows, *, site_id, region, file_key, checkpoint, upto, rejected, write_rejects,
            facility_ids, now) -> tuple[BatchResult, Checkpoint]:
    result = BatchResult(rejected=rejected)
    with uow:
        session = uow.session
        blinds = {row.national_id: vault.blind_index(row.national_id) for row in rows}
        donors = {d.national_id_blind: d for d in session.scalars(
            select(Donor).where(Donor.national_id_blind.in_(set(blinds.values()))))} if rows else {}
        dins = {row.din for row in rows if row.din}
        din_owner = {din: donor_id for din, donor_id in session.execute(
            select(orm.donations.c.din, orm.donations.c.donor_id).where(orm.donations.c.din.in_(dins)))}
        collected = _collection_times(session, [d.id for d in donors.values()], rows)
        new_donors, new_donations, touched = [], [], {}
        for row in rows:
            blind = blinds[row.national_id]
            donor = donors.get(blind)
            if donor is not None and (donor.abo, donor.rhd) != (row.abo, row.rhd):
                result.rejected.append(Rejected(row.line, "blood_group_mismatch",
                                                f"血型与已登记的不一致：{donor.abo} {donor.rhd}"))
                continue
            if row.din and row.din in din_owner:
                if donor is not None and din_owner[row.din] == donor.id:
                    result.duplicates += 1
                else:
                    result.rejected.append(Rejected(row.line, "din_exists", "该献血码已登记（属于另一位献血者）"))
                continue
            if donor is not None and not row.din and (donor.id, row.collected_at) in collected:
                result.duplicates += 1
                continue
            if donor is None:
                donor = _new_donor(vault, row, blind, region, site_id, now)
                donors[blind] = donor
                new_donors.append(donor)
            rules = rules_for(region)
            counts = row.volume_ml if row.kind == "whole_blood" else row.doses * rules.platelet_dose_ml_equivalent
            donation = Donation(
                id=str(uuid.uuid4()), donor_id=donor.id, kind=row.kind, volume_ml=row.volume_ml, doses=row.doses,
                din=row.din or next_din(uow, facility_for(site_id, facility_ids), shanghai_day(row.collected_at).year),
                counts_as_ml=counts, collected_at=row.collected_at, site_id=site_id, region=region,
                hemoglobin_g_l=None, weight_kg=None)
            din_owner[donation.din] = donor.id
            collected.add((donor.id, row.collected_at))
            new_donations.append(donation)
            donor.record_donation(donation)
            touched[donor.id] = donor
        if new_donors:
            session.execute(orm.donors.insert(), [_row(orm.donors, d) for d in new_donors])
        if new_donations:
            session.execute(orm.donations.insert(), [_row(orm.donations, d) for d in new_donations])
            _advance_sequences(uow, facility_for(site_id, facility_ids), new_donations)
        # The batch's registrations first, then its donations (each donor's in file order): a registration still comes
        # before its donations (the order per key), and consumers meet long stretches of one type to apply at once.
        events = [e for donor in touched.values() for e in donor.events]
        for donor in touched.values():
            donor.events.clear()
        for e in sorted(events, key=lambda e: not isinstance(e, DonorRegistered)):
            uow.publish(e)
        result.donors, result.donations = len(new_donors), len(new_donations)
        result.rejected.sort(key=lambda r: r.line)
        after = replace(checkpoint, byte_offset=upto[0], line_no=upto[1], donors=checkpoint.donors + result.donors,
                        donations=checkpoint.donations + result.donations,
                        duplicates=checkpoint.duplicates + result.duplicates,
                        rejected=checkpoint.rejected + len(result.rejected),
                        rejects_bytes=write_rejects(result.rejected))
        _save_checkpoint(session, file_key, after, now)
        uow.commit()
    return result, after


def _advance_sequences(uow, facility: str, donations: list[Donation]) -> None:
    """The station's own DINs among the imported ones take their numbers out of its counter."""
    highest: dict[int, int] = {}
    for donation in donations:
        if donation.din.startswith(facility):
            year = shanghai_day(donation.collected_at).year
            if year % 100 == int(donation.din[5:7]):
                highest[year] = max(highest.get(year, 0), int(donation.din[7:]))
    for year, seq in sorted(highest.items()):
        uow.donations.sequence_at_least(facility, year, seq)


def _collection_times(session, donor_ids: list[str], rows: list[ImportRow]) -> set[tuple[str, datetime]]:
    """(donor, collected_at) of what the batch's known donors already gave at the batch's times."""
    if not donor_ids:
        return set()
    times = {row.collected_at for row in rows}
    found = session.execute(select(orm.donations.c.donor_id, orm.donations.c.collected_at)
                            .where(orm.donations.c.donor_id.in_(donor_ids), orm.donations.c.collected_at.in_(times)))
    return {(donor_id, _utc(at)) for donor_id, at in found}


def _utc(moment: datetime) -> datetime:
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def _new_donor(vault: PiiVault, row: ImportRow, blind: str, region: str, site_id: str, now: datetime) -> Donor:
    return Donor.register(
        id=str(uuid.uuid4()), name=row.name, id_type="resident_id",
        national_id_encrypted=vault.encrypt(row.national_id), national_id_blind=blind,
        national_id_masked=mask(row.national_id), phone_encrypted=vault.encrypt(row.phone),
        phone_blind=vault.blind_index(row.phone), phone_masked=mask(row.phone, 3, 4),
        birth_date=row.birth_date, sex=row.sex, abo=row.abo, rhd=row.rhd, region=region,
        registered_site=site_id, registered_at=now)


def _row(table, obj) -> dict:
    return {column.name: getattr(obj, column.name) for column in table.columns}


def _save_checkpoint(session, file_key: str, checkpoint: Checkpoint, now: datetime) -> None:
    values = {k: getattr(checkpoint, k) for k in Checkpoint.__dataclass_fields__} | {"updated_at": now}
    table = orm.import_checkpoints
    if session.execute(update(table).where(table.c.file_key == file_key).values(**values)).rowcount == 0:
        session.execute(table.insert().values(file_key=file_key, **values))
