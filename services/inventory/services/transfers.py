"""Transfers between stations: requested → in_transit → received, or cancelled before dispatch."""
from __future__ import annotations

from datetime import datetime

from servicekit.errors import Unprocessable

from ..allocation import take_bags
from ..events import TransferCancelled, TransferDispatched, TransferReceived, TransferRequested, UnitExpired
from ..errors import InsufficientStock, NotYourSite, SiteNotFound, TransferNotFound
from ..model import EPS, Movement, Transfer, new_id
from . import cold_chain, stock


def _event(cls, t: Transfer, at: datetime):
    return cls(transfer_id=t.id, from_site=t.from_site, to_site=t.to_site, inter_region=t.inter_region,
               lines=t.lines, unit_ids=list(t.unit_ids), at=at)


def new_transfer(uow, *, from_site: str, to_site: str, lines: list[dict], reason: str, now: datetime,
                 requested_by: str | None = None, plan_id: str | None = None) -> Transfer:
    """Create a requested transfer inside the caller's transaction (API request or plan approval)."""
    if from_site == to_site:
        raise Unprocessable("调出与调入站点不能相同", errors={"to_site": ["调入站点不能与调出站点相同"]})
    found = uow.sites.get_many([from_site, to_site])
    for field_, site_id in (("from_site", from_site), ("to_site", to_site)):
        if site_id not in found:
            raise SiteNotFound(f"站点 {site_id} 不存在")
        if found[site_id].kind != "station":
            raise Unprocessable("调拨只在血站之间进行", errors={field_: ["必须是血站"]})
    transfer = Transfer(id=new_id(), from_site=from_site, to_site=to_site,
                        inter_region=found[from_site].region != found[to_site].region,
                        lines=[dict(component=ln["component"], abo=ln["abo"], rhd=ln["rhd"], units=float(ln["units"]))
                               for ln in lines],
                        reason=reason, status="requested", requested_at=now, requested_by=requested_by,
                        plan_id=plan_id, unit_ids=[])
    uow.transfers.add(transfer)
    uow.sites.bump_transfer_versions([from_site, to_site])
    uow.publish(_event(TransferRequested, transfer, now))
    return transfer


def request_transfer(uow, *, station_id: str | None, requested_by: str, from_site: str, to_site: str, lines: list,
                     reason: str, now: datetime) -> Transfer:
    if station_id not in (from_site, to_site):
        raise NotYourSite("只能为本站发起调拨")
    with uow:
        transfer = new_transfer(uow, from_site=from_site, to_site=to_site, lines=lines, reason=reason, now=now,
                                requested_by=requested_by)
        uow.commit()
        return transfer


def _get(uow, transfer_id: str) -> Transfer:
    transfer = uow.transfers.get_for_update(transfer_id)
    if transfer is None:
        raise TransferNotFound()
    return transfer


def dispatch_transfer(uow, *, station_id: str | None, transfer_id: str, now: datetime) -> Transfer:
    """The sending station picks whole bags first-expiring-first; 409 insufficient_stock (nothing changed) when
    a group has fewer U available than requested, or when no bag at all fits the lines (every bag is bigger than
    its line asks for)."""
    with uow:
        t = _get(uow, transfer_id)
        if station_id != t.from_site:
            raise NotYourSite("只有调出血站可以发出")
        t.dispatch([], t.lines, now)      # state check first (409 before any stock question)
        uow.sites.bump_transfer_versions([t.from_site, t.to_site])
        wanted: dict[tuple, float] = {}
        for ln in t.lines:
            key = (t.from_site, ln["component"], ln["abo"], ln["rhd"])
            wanted[key] = wanted.get(key, 0.0) + ln["units"]
        # Lock the groups' bags first: an order racing this dispatch waits instead of taking bags counted here.
        bags = {key: [r.units for r in uow.units.available_candidates(*key, now, lock=True)] for key in sorted(wanted)}
        short = [dict(component=k[1], abo=k[2], rhd=k[3], requested_units=w, available_units=sum(bags[k]))
                 for k, w in wanted.items() if sum(bags[k]) < w - EPS]
        if short:
            raise InsufficientStock("调出血站库存不足", lines=short)
        unit_ids, lines = [], []
        for ln in t.lines:
            taken = take_bags(uow, from_site=t.from_site, component=ln["component"], abo=ln["abo"], rhd=ln["rhd"],
                              wanted_u=ln["units"], now=now, claim={"status": "in_transit", "transfer_id": t.id})
            unit_ids += taken.unit_ids
            lines.append(dict(ln, dispatched_units=taken.units))
        if not unit_ids:     # going in transit with nothing on the road would report a transfer that moves nothing
            raise InsufficientStock("调出血站没有不超过调拨数量的整袋血液", lines=[
                dict(component=k[1], abo=k[2], rhd=k[3], requested_units=w, available_units=sum(bags[k]),
                     smallest_bag_units=min(bags[k])) for k, w in wanted.items()])
        t.unit_ids, t.lines = unit_ids, lines
        uow.units.record_movements([Movement(uid, "dispatched", "in_transit", now, from_site=t.from_site,
                                             to_site=t.to_site, ref=t.id) for uid in unit_ids])
        uow.publish(_event(TransferDispatched, t, now))
        stock.refresh(uow, wanted, now)
        t.units = uow.units.by_ids(unit_ids)
        uow.commit()
        return t


def receive_transfer(uow, *, station_id: str | None, transfer_id: str, now: datetime,
                     transport_readings: list[dict] | None = None, location_id: str | None = None) -> Transfer:
    """The units join the receiving station's stock, except what the road put in doubt: red cells whose leg
    readings left 2–10 °C, or that were more than 24 h on the road, arrive quarantined (cold_chain.judge_arrival)."""
    with uow:
        t = _get(uow, transfer_id)
        if station_id != t.to_site:
            raise NotYourSite("只有调入血站可以接收")
        t.receive(now)
        uow.sites.bump_transfer_versions([t.from_site, t.to_site])
        to = uow.sites.get(t.to_site)
        t.units = uow.units.by_ids(t.unit_ids)
        cold_chain.judge_arrival(uow, t, transport_readings, now)
        for u in t.units:
            u.site_id, u.region, u.updated_at = t.to_site, to.region, now
            if u.is_expired(now):     # time ran out on the road: it arrives as waste, not stock
                u.expire(now)
                uow.publish(UnitExpired(unit_id=u.id, din=u.din, site_id=u.site_id, component=u.component,
                                        reason="expired_in_transit", at=now))
            elif u.on_recall_hold:     # a bag a lookback recall caught on the road arrives held (recall.py)
                u.status = "quarantined"
            elif u.status != "quarantined":     # quarantined: held by a transport excursion
                u.status = "available"
        uow.units.record_movements([Movement(u.id, "received", u.status, now, from_site=t.from_site, to_site=t.to_site,
                                             ref=t.id) for u in t.units])
        if location_id is not None:
            cold_chain.store_on_arrival(uow, t, location_id, now)
        uow.publish(_event(TransferReceived, t, now))
        stock.refresh(uow, {(t.to_site, u.component, u.abo, u.rhd) for u in t.units}, now)
        uow.commit()
        return t


def cancel_transfer(uow, *, station_id: str | None, transfer_id: str, now: datetime) -> Transfer:
    with uow:
        t = _get(uow, transfer_id)
        if station_id not in (t.from_site, t.to_site):
            raise NotYourSite("只有调出或调入血站可以取消")
        t.cancel(now)
        uow.sites.bump_transfer_versions([t.from_site, t.to_site])
        uow.publish(_event(TransferCancelled, t, now))
        uow.commit()
        return t                          # before dispatch: no bags


def list_transfers(uow, *, site_id: str | None = None, status: str | None = None) -> list[Transfer]:
    with uow:
        return uow.transfers.with_units(uow.transfers.list(site_id=site_id, status=status))

