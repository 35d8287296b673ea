"""Unit use cases: units from a donation, test results, discards, expiry, listing with history."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from servicekit.auth import Principal

from ..events import DonationDiscarded, DonationReleased, UnitDiscarded, UnitExpired, UnitsCreated
from ..errors import AlreadyTested, DonationNotFound, NotYourSite, NotYourUnit, UnitNotFound
from ..model import Movement, Unit, new_id, products_of, utc
from ..policy import is_infectious
from . import recalls, stock


def _keys(units_: list[Unit]):
    return {(u.site_id, u.component, u.abo, u.rhd) for u in units_}


def create_units_from_donation(uow, *, donation_id: str, donor_id: str, din: str, site_id: str, region: str,
                               kind: str, volume_ml: int | None, doses: int | None, collected_at: datetime,
                               abo: str, rhd: str, now: datetime) -> list[Unit]:
    """DonationRecorded → quarantined units at the collecting station. A DIN seen before adds nothing."""
    with uow:
        if uow.units.din_known(din):
            uow.commit()
            return []
        rows = _quarantined(donation_id=donation_id, donor_id=donor_id, din=din, site_id=site_id, region=region,
                            kind=kind, volume_ml=volume_ml, doses=doses, collected_at=collected_at, abo=abo, rhd=rhd,
                            now=now)
        if not rows:
            uow.commit()
            return []
        created = [Unit(**row) for row in rows]
        uow.units.add_all(created)
        uow.units.record_movements(_created_movements(rows, now))
        uow.publish(_units_created(rows))
        try:
            uow.commit()
        except IntegrityError:
            return []   # the same DIN raced in through another event; the unique constraint kept one copy
        return created


def create_units_from_donations(uow, donations: list[dict], now: datetime) -> list[list[UnitsCreated]]:
    """Consecutive DonationRecorded events at once (a bulk import's), as `create_units_from_donation` applied to
    each in turn: one query for the DINs already known, one insert each for the units and their history. Returns
    the UnitsCreated each donation caused, in order, for the consumer to stage under that donation's event (a DIN
    already known, or repeated in the run, caused none). A DIN racing in meanwhile fails the insert and the run;
    the consumer then applies its events one by one."""
    with uow:
        known = uow.units.dins_known({d["din"] for d in donations})
        caused, rows = [], []
        for d in donations:
            made = [] if d["din"] in known else _quarantined(now=now, **d)
            known.add(d["din"])
            rows.extend(made)
            caused.append([_units_created(made)] if made else [])
        uow.units.insert_rows(rows)     # plain rows: hundreds of mapped objects would cost more than the insert
        uow.units.record_movements(_created_movements(rows, now))
        uow.commit()
        return caused


def _quarantined(*, donation_id, donor_id, din, site_id, region, kind, volume_ml, doses, collected_at, abo, rhd,
                 now) -> list[dict]:
    """The rows of a donation's new units, waiting in quarantine for its test result."""
    return [dict(id=new_id(), din=din, donation_id=donation_id, donor_id=donor_id, component=p.component, abo=abo,
                 rhd=rhd, units=p.units, volume_ml=p.volume_ml, status="quarantined", site_id=site_id, region=region,
                 collected_at=utc(collected_at), expires_at=p.expires_at, bag_no=p.bag, updated_at=now)
            for p in products_of(kind, volume_ml, doses, collected_at)]


def _created_movements(rows: list[dict], now: datetime) -> list[Movement]:
    return [Movement(r["id"], "created", r["status"], now, to_site=r["site_id"], ref=r["din"]) for r in rows]


def _units_created(rows: list[dict]) -> UnitsCreated:
    first = rows[0]
    return UnitsCreated(din=first["din"], donor_id=first["donor_id"], site_id=first["site_id"], region=first["region"],
                        units=[dict(unit_id=r["id"], component=r["component"], abo=r["abo"], rhd=r["rhd"],
                                    units=r["units"], volume_ml=r["volume_ml"], expires_at=r["expires_at"])
                               for r in rows])


@dataclass(frozen=True)
class OpeningDonation:
    """A donation collected before the station joined Hemolink, whose released units are still on the shelf."""

    din: str
    kind: str
    abo: str
    rhd: str
    collected_at: datetime
    volume_ml: int | None = None
    doses: int | None = None


def load_opening_stock(uow, *, site_id: str, region: str, donations: list[OpeningDonation], now: datetime) -> int:
    """Put a station's existing stock on record in one transaction: available units (those not yet expired)
    with an `opening_stock` history line. No UnitsCreated: these units were not created by a donation recorded
    in Hemolink (nobody consumes UnitsCreated, and tens of thousands of them would slow `make up`); the level
    changes they cause are announced as usual."""
    with uow:
        rows = [dict(id=new_id(), din=d.din, donation_id=None, donor_id=None, component=p.component, abo=d.abo,
                     rhd=d.rhd, units=p.units, volume_ml=p.volume_ml, status="available", site_id=site_id,
                     region=region, collected_at=utc(d.collected_at), expires_at=p.expires_at, bag_no=p.bag,
                     updated_at=now)
                for d in donations for p in products_of(d.kind, d.volume_ml, d.doses, d.collected_at)
                if p.expires_at > now]
        uow.units.insert_rows(rows)
        uow.units.record_movements([Movement(r["id"], "opening_stock", "available", now, to_site=site_id) for r in rows])
        stock.refresh(uow, {(site_id, r["component"], r["abo"], r["rhd"]) for r in rows}, now, {site_id: region})
        uow.commit()
        return len(rows)


def record_test_result(uow, *, station_id: str | None, din: str, qualified: bool, reason: str | None = None,
                       infectious: bool | None = None, now: datetime) -> list[Unit]:
    """Release every unit of a donation, or discard them all (DonationDiscarded lets the donor service defer)."""
    with uow:
        units_ = uow.units.of_donation_for_update(din)
        if not units_:
            raise DonationNotFound(f"献血码 {din} 没有对应的血液")
        if any(u.site_id != station_id for u in units_):
            raise NotYourSite("只有采集血站可以登记检测结果")
        if not any(u.status == "quarantined" for u in units_):
            raise AlreadyTested(f"献血码 {din} 已有检测结论")
        pending = [u for u in units_ if u.status == "quarantined"]
        first = units_[0]
        if qualified:
            # A bag a lookback recall holds stays in quarantine whatever its own test says (recall.py).
            pending = [u for u in pending if not u.on_recall_hold]
            for u in pending:
                u.release(now)
            if pending:
                uow.publish(DonationReleased(din=din, donor_id=first.donor_id, unit_ids=[u.id for u in pending],
                                             released_at=now))
        else:
            reason = (reason or "test_failed").strip()
            infectious = is_infectious(reason) if infectious is None else infectious
            for u in pending:
                u.discard(reason, now)
            uow.publish(DonationDiscarded(din=din, donor_id=first.donor_id, reason=reason, infectious=infectious,
                                          unit_ids=[u.id for u in pending], discarded_at=now))
            if infectious and first.donor_id:
                # The donor's earlier blood is traced in the same transaction as the positive result.
                recalls.open_lookback(uow, donor_id=first.donor_id, trigger="positive_test", trigger_ref=din,
                                      marker=reason, reference_at=utc(first.collected_at), exclude_din=din, now=now)
        uow.units.record_movements([Movement(u.id, "released" if qualified else "discarded", u.status, now,
                                             to_site=u.site_id, ref=din, note=None if qualified else reason)
                                    for u in pending])
        stock.refresh(uow, _keys(pending), now, {u.site_id: u.region for u in pending})
        uow.commit()
        return units_


def _held_unit(uow, unit_id: str, station_id: str | None, refusal: str) -> Unit:
    """The unit, locked, if this station holds it: 404 if there is none, 403 if another site holds it."""
    unit = uow.units.get_for_update(unit_id)
    if unit is None:
        raise UnitNotFound()
    if unit.site_id != station_id:
        raise NotYourSite(refusal)
    return unit


def discard_unit(uow, *, station_id: str | None, unit_id: str, reason: str, now: datetime) -> Unit:
    with uow:
        unit = _held_unit(uow, unit_id, station_id, "只能报废本站的血液")
        unit.discard(reason, now)
        uow.units.record_movements([Movement(unit.id, "discarded", unit.status, now, to_site=unit.site_id, note=reason)])
        uow.publish(UnitDiscarded(unit_id=unit.id, din=unit.din, site_id=unit.site_id, component=unit.component,
                                  reason=reason, at=now))
        stock.refresh(uow, _keys([unit]), now, {unit.site_id: unit.region})
        uow.commit()
        return unit


def process_unit(uow, *, station_id: str | None, unit_id: str, into: str, now: datetime) -> Unit:
    """Wash red cells or refreeze plasma at the station holding the bag; both stock rows are recomputed."""
    with uow:
        unit = _held_unit(uow, unit_id, station_id, "只能加工本站的血液")
        before = _keys([unit])
        source = unit.component
        unit.process(into, now)
        uow.units.record_movements([Movement(unit.id, "processed", unit.status, now, to_site=unit.site_id,
                                             note=f"{source}→{into}")])
        stock.refresh(uow, before | _keys([unit]), now, {unit.site_id: unit.region})
        uow.commit()
        return unit


def expire_units(uow, *, now: datetime, batch: int = 500) -> int:
    """Mark stored units whose time is up as expired (one batch; the job loops until 0)."""
    with uow:
        due = uow.units.expiring(now, batch)
        for unit in due:
            unit.expire(now)
            uow.publish(UnitExpired(unit_id=unit.id, din=unit.din, site_id=unit.site_id, component=unit.component,
                                    reason="expired", at=now))
        uow.units.record_movements([Movement(u.id, "expired", u.status, now, to_site=u.site_id) for u in due])
        stock.refresh(uow, _keys(due), now, {u.site_id: u.region for u in due})
        uow.commit()
        return len(due)


def _hospital_scope(principal: Principal, site_id: str | None) -> str | None:
    """A hospital sees the units at its own site only (issued to it); other staff see every site."""
    if principal.role != "hospital":
        return site_id
    if site_id not in (None, principal.site_id):
        raise NotYourSite("医院只能查看本院的血液")
    return principal.site_id


def list_units(uow, principal: Principal, *, site_id: str | None = None, **filters) -> list[Unit]:
    site_id = _hospital_scope(principal, site_id)
    with uow:
        return uow.units.list(site_id=site_id, **filters)


def get_unit(uow, principal: Principal, unit_id: str) -> Unit:
    with uow:
        unit = uow.units.get(unit_id)
        if unit is None:
            raise UnitNotFound()
        if principal.role == "hospital" and principal.site_id not in (unit.site_id, unit.issued_to):
            raise NotYourUnit("该血液未发往本院")
        return uow.units.with_history(unit)
