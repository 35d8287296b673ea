"""Donation points: a station registers the points it runs and a vehicle's stops; anyone finds the points
open near them on a day, with the places left in each slot."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from servicekit.auth import Principal
from servicekit.errors import Unprocessable

from ..errors import NotAVehicle, PointNotFound
from ..model import KINDS, SHANGHAI
from ..points import DonationPoint, Opening, PointStop, distance_km
from ..policy import BOOKING


def register_point(uow, principal: Principal, *, body: dict, now: datetime) -> DonationPoint:
    """A point run by the calling station, in its region."""
    if body["kind"] != "vehicle" and not any(body.get("hours", {}).values()):
        raise Unprocessable("献血屋和固定献血点须填写开放时间", errors={"hours": ["须填写开放时间"]})
    point = DonationPoint(id=str(uuid.uuid4()), name=body["name"], kind=body["kind"], station_id=principal.site_id,
                          region=principal.region, address=body["address"], lat=body["lat"], lon=body["lon"],
                          slot_minutes=body["slot_minutes"], capacity=body["capacity"],
                          hours=body.get("hours", {}) if body["kind"] != "vehicle" else {}, created_at=now)
    with uow:
        uow.points.add(point)
        uow.commit()
        return point


def own_point(uow, principal: Principal, point_id: str) -> DonationPoint:
    """A station's own point; another station's answers 404 like an unknown one."""
    point = uow.points.get(point_id)
    if point is None or point.station_id != principal.site_id:
        raise PointNotFound()
    return point


def add_stop(uow, principal: Principal, *, point_id: str, body: dict) -> PointStop:
    with uow:
        point = own_point(uow, principal, point_id)
        if point.kind != "vehicle":
            raise NotAVehicle("献血屋和固定献血点按每周开放时间开放")
        stop = PointStop(id=str(uuid.uuid4()), point_id=point.id, **body)
        uow.points.add(stop)
        uow.commit()
        return stop


@dataclass(frozen=True)
class SlotPlaces:
    starts_at: datetime
    kind: str
    capacity: int
    free: int


@dataclass(frozen=True)
class PointDay:
    """A point as a donor sees it on a day: where it is, when it is open, the places left, how far."""
    point: DonationPoint
    day: date
    opening: Opening | None
    slots: list[SlotPlaces]
    distance_km: float | None


def _days_slots(point: DonationPoint, day: date, stops, booked: dict) -> list[SlotPlaces]:
    out = []
    for starts in point.slots_on(day, stops):
        at = starts.astimezone(timezone.utc)
        for kind in KINDS:
            capacity = point.takes(kind)
            if capacity:
                out.append(SlotPlaces(at, kind, capacity, capacity - booked.get((point.id, kind, at), 0)))
    return out


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), SHANGHAI)
    return start.astimezone(timezone.utc), (start + timedelta(days=1)).astimezone(timezone.utc)


def points_open(uow, *, day: date, near: tuple[float, float] | None, kind: str | None = None,
                limit: int = BOOKING.nearby_points) -> list[PointDay]:
    """The points open on `day`, nearest first (where the donor is, if they said), with places left."""
    with uow:
        return open_on(uow, day=day, near=near, kind=kind, limit=limit)


def open_on(uow, *, day: date, near: tuple[float, float] | None, kind: str | None, limit: int,
            region: str | None = None) -> list[PointDay]:
    """points_open inside a unit of work the caller holds (a call-up looks for places in its own transaction)."""
    points = [p for p in uow.points.active() if region is None or p.region == region]
    stops = uow.points.stops([p.id for p in points if p.kind == "vehicle"], day, day)
    open_points = [(p, p.opening_on(day, stops.get(p.id, []))) for p in points]
    open_points = [(p, o) for p, o in open_points if o is not None and (kind is None or p.takes(kind))]
    ranked = sorted(((distance_km(*near, o.lat, o.lon) if near else None, p.name, p, o) for p, o in open_points),
                    key=lambda r: (r[0] if r[0] is not None else 0, r[1]))[:limit]
    start, end = day_bounds(day)
    booked = uow.points.booked([r[2].id for r in ranked], start, end)
    return [PointDay(p, day, o, [s for s in _days_slots(p, day, stops.get(p.id, []), booked)
                                 if kind is None or s.kind == kind],
                     round(d, 2) if d is not None else None) for d, _, p, o in ranked]


def point_day(uow, *, point_id: str, day: date) -> PointDay:
    with uow:
        point = uow.points.get(point_id)
        if point is None:
            raise PointNotFound()
        stops = uow.points.stops([point.id], day, day)[point.id]
        start, end = day_bounds(day)
        booked = uow.points.booked([point.id], start, end)
        return PointDay(point, day, point.opening_on(day, stops), _days_slots(point, day, stops, booked), None)
