"""Cold chain: stores and what is in them, temperature readings in batches, excursions and their decision.

An excursion (coldchain.py: out of range for longer than allowed) puts the stock that was in the store by the
time the stretch ended into quarantine, held by the excursion (`hold_ref`), and is announced on the outbox in the
same transaction (ColdChainExcursionDetected: the site's alert). Its units leave quarantine only by a recorded
decision of the site's station: release (back to stock) or discard (reason `cold_chain_excursion`); who, when and
why are kept on the excursion and in the audit log.

Readings may arrive late or out of order (a gateway that was offline sends its backlog): each batch re-reads a
store's readings from its last in-range reading before the earliest new one, so a stretch is judged on every
reading it has, whichever batch brought them. A stretch already announced is extended, never announced twice
(one excursion per store and stretch); a late in-range reading that splits it does not undo a quarantine, the
decision does.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from servicekit.auth import Principal
from servicekit.errors import Unprocessable

from ..coldchain import (DECISIONS, HOLDS, MAX_BATCH, Excursion, Reading, StorageLocation, excursions,
                         judge_transport)
from ..errors import ExcursionNotFound, LocationNotFound, NotYourSite, SiteNotFound
from ..events import ColdChainExcursionDecided, ColdChainExcursionDetected, UnitDiscarded, UnitsQuarantined
from ..model import Movement, Unit, new_id, utc
from . import stock

DISCARD_REASON = "cold_chain_excursion"
HELD_FROM = "held from "
FUTURE_SKEW = timedelta(minutes=5)       # a sensor clock may run a little ahead; more is a broken clock


def _keys(units_: list[Unit]) -> set:
    return {(u.site_id, u.component, u.abo, u.rhd) for u in units_}


def _own_site(principal: Principal, site_id: str, refusal: str) -> None:
    if principal.role != "admin" and principal.site_id != site_id:
        raise NotYourSite(refusal)


# ---- stores -----------------------------------------------------------------------------------------------
def create_location(uow, principal: Principal, *, site_id: str, kind: str, name: str, now: datetime) -> StorageLocation:
    _own_site(principal, site_id, "只能登记本站的储存设备")
    with uow:
        site = uow.sites.get(site_id)
        if site is None:
            raise SiteNotFound(f"站点 {site_id} 不存在")
        if site.kind != "station":
            raise Unprocessable("储存设备登记在血站", errors={"site_id": ["必须是血站"]})
        location = StorageLocation(id=new_id(), site_id=site_id, kind=kind, name=name, created_at=now, active=True)
        uow.cold_chain.add_location(location)
        uow.commit()
        return location


def list_locations(uow, *, site_id: str | None = None) -> list[StorageLocation]:
    with uow:
        return uow.cold_chain.list_locations(site_id)


def place_units(uow, principal: Principal, *, location_id: str, unit_ids: list[str], now: datetime) -> list[Unit]:
    """Put units the station holds into one of its stores (a unit sits in one store: placing it moves it).
    Only units of a component the store keeps, in quarantine or in stock; nothing is placed if one does not fit."""
    with uow:
        location = uow.cold_chain.locations([location_id]).get(location_id)
        if location is None:
            raise LocationNotFound()
        _own_site(principal, location.site_id, "只能向本站的储存设备放入血液")
        found = {u.id: u for u in uow.units.by_ids(unit_ids)}
        errors = {}
        for uid in unit_ids:
            u = found.get(uid)
            if u is None:
                errors[uid] = ["血液单元不存在"]
            elif u.site_id != location.site_id:
                raise NotYourSite("只能放入本站的血液")
            elif u.component not in HOLDS[location.kind]:
                errors[uid] = [f"{location.kind} 不储存 {u.component}"]
            elif u.status not in ("quarantined", "available"):
                errors[uid] = [f"状态为 {u.status} 的血液不能入库"]
        if errors:
            raise Unprocessable("部分血液不能放入该设备", errors={"unit_ids": errors})
        uow.cold_chain.place(unit_ids, location_id, now)
        uow.units.record_movements([Movement(uid, "stored", found[uid].status, now, to_site=location.site_id,
                                             ref=location_id) for uid in unit_ids])
        uow.commit()
        return uow.units.by_ids(unit_ids)


# ---- readings ---------------------------------------------------------------------------------------------
def ingest_readings(uow, principal: Principal, *, readings: list[dict], now: datetime) -> dict:
    """A sensor gateway's batch (≤ MAX_BATCH, any order, several stores of its site). Idempotent per (store,
    moment): what was stored before is kept and counted as a duplicate. Every excursion the batch reveals is
    detected in the same transaction. All-or-nothing: an unknown store, another site's store or a reading in the
    future refuses the whole batch, nothing stored."""
    if len(readings) > MAX_BATCH:
        raise Unprocessable(f"每批最多 {MAX_BATCH} 条读数", errors={"readings": [f"最多 {MAX_BATCH} 条"]})
    late = [n for n, r in enumerate(readings) if utc(r["at"]) > now + FUTURE_SKEW]
    if late:
        raise Unprocessable("读数时间晚于当前时间", errors={"readings": {n: ["时间在将来"] for n in late[:20]}})
    by_location: dict[str, list[Reading]] = {}
    for r in readings:
        by_location.setdefault(r["location_id"], []).append(Reading(utc(r["at"]), float(r["celsius"]),
                                                                    r.get("agitating")))
    with uow:
        locations = uow.cold_chain.locations(by_location, lock=True)
        missing = sorted(set(by_location) - set(locations))
        if missing:
            raise LocationNotFound(f"储存设备 {missing[0]} 不存在")
        for location in locations.values():
            _own_site(principal, location.site_id, "只能上报本站储存设备的温度")
        added, found = 0, []
        for location_id in sorted(by_location):
            batch = by_location[location_id]
            added += uow.cold_chain.add_readings(location_id, batch, now)
            found += _detect(uow, locations[location_id], min(r.at for r in batch), now)
        uow.commit()
        return {"accepted": len(readings), "stored": added, "duplicates": len(readings) - added,
                "excursions": found}


def _detect(uow, location: StorageLocation, earliest: datetime, now: datetime) -> list[Excursion]:
    rng = location.range
    since = uow.cold_chain.last_in_range_before(location.id, earliest, rng)
    touched = []
    for window in excursions(uow.cold_chain.readings(location.id, since), rng):
        end = None if window.ongoing else window.ended_at
        known = uow.cold_chain.overlapping(location.id, window.started_at, window.ended_at)
        if known:
            exc = known[0]
            if utc(window.started_at) < utc(exc.started_at):
                exc.started_at = window.started_at
            if window.ongoing:
                exc.ended_at = None
            else:
                exc.ended_at = end if exc.ended_at is None else max(utc(end), utc(exc.ended_at))
            exc.min_c = min(window.min_c, exc.min_c if exc.min_c is not None else window.min_c)
            exc.max_c = max(window.max_c, exc.max_c if exc.max_c is not None else window.max_c)
            fresh = _hold(uow, exc, uow.cold_chain.units_stored(location.id, window.ended_at), now)
            if fresh:
                uow.publish(UnitsQuarantined(excursion_id=exc.id, site_id=exc.site_id, unit_ids=fresh,
                                             reason=DISCARD_REASON, at=now))
        else:
            exc = Excursion(id=new_id(), site_id=location.site_id, kind="storage", location_id=location.id,
                            started_at=window.started_at, ended_at=end, min_c=window.min_c, max_c=window.max_c,
                            unit_ids=[], reasons=["out_of_range"], status="open", detected_at=now)
            uow.cold_chain.add_excursion(exc)
            _hold(uow, exc, uow.cold_chain.units_stored(location.id, window.ended_at), now)
            uow.publish(_detected(exc))
        touched.append(exc)
    return touched


def _detected(exc: Excursion) -> ColdChainExcursionDetected:
    return ColdChainExcursionDetected(
        excursion_id=exc.id, site_id=exc.site_id, kind=exc.kind, location_id=exc.location_id,
        transfer_id=exc.transfer_id, started_at=exc.started_at, ended_at=exc.ended_at, min_c=exc.min_c,
        max_c=exc.max_c, reasons=list(exc.reasons), unit_ids=list(exc.unit_ids), detected_at=exc.detected_at)


def _hold(uow, exc: Excursion, units_: list[Unit], now: datetime) -> list[str]:
    """Quarantine these units under the excursion; returns their ids. Units awaiting their test stay quarantined
    (and their test result waits for the decision: model.Unit.release)."""
    if not units_:
        return []
    held_stock = [u for u in units_ if u.status == "available"]
    # The status it had is kept on the hold's movement: a release gives it back (stock, or awaiting its test).
    moves = [Movement(u.id, "cold_chain_hold", "quarantined", now, to_site=u.site_id, ref=exc.id,
                      note=f"{HELD_FROM}{u.status}") for u in units_]
    for u in units_:
        u.hold_ref, u.status, u.updated_at = exc.id, "quarantined", now
    exc.unit_ids = [*exc.unit_ids, *(u.id for u in units_)]
    uow.units.record_movements(moves)
    stock.refresh(uow, _keys(held_stock), now, {u.site_id: u.region for u in held_stock})
    return [u.id for u in units_]


# ---- transport legs ---------------------------------------------------------------------------------------
def judge_arrival(uow, transfer, readings: list[dict] | None, now: datetime) -> Excursion | None:
    """At receipt: store the leg's readings; red cells out of 2–10 °C or over 24 h on the road arrive
    quarantined under a transport excursion (coldchain.TRANSPORT). Called inside receive_transfer's transaction,
    before the units are put in stock; returns the excursion, if any."""
    leg = [Reading(utc(r["at"]), float(r["celsius"])) for r in readings or ()]
    uow.cold_chain.add_transport_readings(transfer.id, leg)
    doubtful, reasons = [], set()
    for u in transfer.units:
        verdict = judge_transport(u.component, leg, utc(transfer.dispatched_at), now)
        if verdict.doubtful and u.status == "in_transit":
            doubtful.append(u)
            reasons |= set(verdict.reasons)
    if not doubtful:
        return None
    temps = [r.celsius for r in leg]
    exc = Excursion(id=new_id(), site_id=transfer.to_site, kind="transport", transfer_id=transfer.id,
                    started_at=utc(transfer.dispatched_at), ended_at=now, min_c=min(temps) if temps else None,
                    max_c=max(temps) if temps else None, unit_ids=[u.id for u in doubtful],
                    reasons=sorted(reasons), status="open", detected_at=now)
    uow.cold_chain.add_excursion(exc)
    for u in doubtful:
        u.status, u.hold_ref = "quarantined", exc.id
    uow.publish(_detected(exc))
    return exc


def store_on_arrival(uow, transfer, location_id: str, now: datetime) -> None:
    """Put the received units into one of the receiving station's stores (inside receive_transfer's
    transaction): 404 for an unknown store, 403 for another site's, 422 when it does not keep a unit's component
    (the receipt is then refused whole)."""
    location = uow.cold_chain.locations([location_id]).get(location_id)
    if location is None:
        raise LocationNotFound()
    if location.site_id != transfer.to_site:
        raise NotYourSite("只能放入本站的储存设备")
    wrong = sorted({u.component for u in transfer.units if u.component not in HOLDS[location.kind]})
    if wrong:
        raise Unprocessable("该设备不储存这些血液成分", errors={"location_id": [f"{location.kind} 不储存 {c}" for c in wrong]})
    placed = [u for u in transfer.units if u.status in ("quarantined", "available")]
    for u in placed:
        u.location_id, u.located_at = location.id, now
    uow.units.record_movements([Movement(u.id, "stored", u.status, now, to_site=location.site_id, ref=location.id)
                                for u in placed])


# ---- decisions --------------------------------------------------------------------------------------------
def decide(uow, principal: Principal, *, excursion_id: str, decision: str, reason: str, now: datetime) -> Excursion:
    """Release the held units back to stock (expired ones expire), or discard them; once per excursion (409)."""
    if decision not in DECISIONS:
        raise Unprocessable("决定须为 release 或 discard", errors={"decision": list(DECISIONS)})
    with uow:
        exc = uow.cold_chain.get_excursion(excursion_id, lock=True)
        if exc is None:
            raise ExcursionNotFound()
        _own_site(principal, exc.site_id, "只能处理本站的温度偏离")
        if principal.role == "admin":
            raise NotYourSite("温度偏离由所在血站处理")
        exc.decide(decision, principal.sub, reason, now)
        held = [u for u in uow.cold_chain.held_by(exc.id) if u.site_id == exc.site_id]
        applied = []
        for u in held:
            u.hold_ref, u.updated_at = None, now
            if u.status != "quarantined":
                continue
            if decision == "discard":
                u.discard(DISCARD_REASON, now)
                uow.publish(UnitDiscarded(unit_id=u.id, din=u.din, site_id=u.site_id, component=u.component,
                                          reason=DISCARD_REASON, at=now))
                applied.append(u)
            elif exc.kind == "transport" or _was_stock(uow, u, exc.id):
                u.status = "expired" if u.is_expired(now) else "available"
                u.reason = "expired" if u.status == "expired" else u.reason
                applied.append(u)
        uow.units.record_movements([Movement(u.id, "discarded" if decision == "discard" else "cold_chain_released",
                                             u.status, now, to_site=u.site_id, ref=exc.id, note=reason[:200])
                                    for u in applied])
        uow.publish(ColdChainExcursionDecided(excursion_id=exc.id, site_id=exc.site_id, decision=decision,
                                              unit_ids=[u.id for u in applied], decided_by=principal.sub,
                                              reason=reason, decided_at=now))
        stock.refresh(uow, _keys(applied), now, {u.site_id: u.region for u in applied})
        uow.commit()
        return exc


def _was_stock(uow, unit: Unit, excursion_id: str) -> bool:
    """Whether the unit was in stock when the store's excursion held it (else it goes back to awaiting its
    test). A transport excursion's units were always stock (they were dispatched)."""
    return any(m.kind == "cold_chain_hold" and m.ref == excursion_id and m.note == f"{HELD_FROM}available"
               for m in uow.units.with_history(unit).history)


def list_excursions(uow, principal: Principal, *, site_id: str | None = None, status: str | None = None,
                    region: str | None = None) -> list[Excursion]:
    """A station sees its own site's; admin any site or region."""
    if principal.role == "station":
        if site_id not in (None, principal.site_id):
            raise NotYourSite("只能查看本站的温度偏离")
        site_id = principal.site_id
    with uow:
        return uow.cold_chain.list_excursions(site_id=site_id, region=region, status=status)


def get_excursion(uow, principal: Principal, excursion_id: str) -> Excursion:
    with uow:
        exc = uow.cold_chain.get_excursion(excursion_id)
        if exc is None or (principal.role == "station" and exc.site_id != principal.site_id):
            raise ExcursionNotFound()
        return exc


def statistics(uow, principal: Principal, *, region: str | None = None, since: datetime, until: datetime) -> dict:
    """Excursions by kind and outcome and discarded units by cause, over [since, until): a station its own site,
    admin a region or the network."""
    with uow:
        if principal.role == "station":
            site_ids, region = [principal.site_id], principal.region
        elif region:
            site_ids = [s.id for s in uow.sites.list(region=region)]
        else:
            site_ids = None
        counts = uow.cold_chain.excursion_counts(site_ids, since, until)
        by_kind: dict = {}
        by_status: dict = {}
        for (kind, status), n in counts.items():
            by_kind[kind] = by_kind.get(kind, 0) + n
            by_status[status] = by_status.get(status, 0) + n
        return {"region": region, "since": since, "until": until, "excursions": sum(counts.values()),
                "excursions_by_kind": by_kind, "excursions_by_status": by_status,
                "discards_by_cause": uow.cold_chain.discards_by_cause(site_ids, since, until)}
