"""Donation points (献血屋, fixed points, collection vehicles 采血车), when they are open and their slots. Plain Python.

A house or fixed point opens by its weekly hours; a vehicle only where its schedule puts it on a day (a stop:
address, coordinates, hours). Each open window is cut into slots of `slot_minutes`; each slot takes up to
`capacity[kind]` donors of each collection kind (whole blood chairs and apheresis machines are different
resources). Days and hours are Asia/Shanghai wall-clock.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from .model import KINDS, SHANGHAI

POINT_KINDS = ("house", "fixed", "vehicle")          # 献血屋, 固定献血点, 采血车
POINT_KIND_WORDS = {"house": "献血屋", "fixed": "固定献血点", "vehicle": "采血车"}
WEEKDAYS = ("1", "2", "3", "4", "5", "6", "7")        # ISO weekday, Monday = 1


def parse_hhmm(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


@dataclass(frozen=True)
class Opening:
    """Where a point is on a day and its open windows [(opens, closes)] in Shanghai wall-clock time."""
    address: str
    lat: float
    lon: float
    windows: tuple[tuple[time, time], ...]


@dataclass(eq=False)
class PointStop:
    """A vehicle's stop: where it stands on one day, and when it collects there."""
    id: str
    point_id: str
    day: date
    address: str
    lat: float
    lon: float
    opens: str          # "HH:MM"
    closes: str


@dataclass(eq=False)
class DonationPoint:
    id: str
    name: str
    kind: str                       # POINT_KINDS
    station_id: str                 # the blood station that runs it (a site id)
    region: str
    address: str
    lat: float
    lon: float
    slot_minutes: int
    capacity: dict                  # {"whole_blood": n, "platelets": m}: donors per slot and kind
    created_at: datetime
    hours: dict = field(default_factory=dict)     # {"1": [["09:00", "17:00"]], ...}; none for a vehicle
    active: bool = True

    def opening_on(self, day: date, stops: list[PointStop] = ()) -> Opening | None:
        if not self.active:
            return None
        if self.kind == "vehicle":
            stop = next((s for s in stops if s.day == day), None)
            if stop is None:
                return None
            return Opening(stop.address, stop.lat, stop.lon, ((parse_hhmm(stop.opens), parse_hhmm(stop.closes)),))
        windows = tuple((parse_hhmm(a), parse_hhmm(b)) for a, b in self.hours.get(str(day.isoweekday()), ()))
        return Opening(self.address, self.lat, self.lon, windows) if windows else None

    def slots_on(self, day: date, stops: list[PointStop] = ()) -> list[datetime]:
        """The slots' start instants (aware, Shanghai) of the day; a slot must end by closing time."""
        opening = self.opening_on(day, stops)
        if opening is None:
            return []
        step = timedelta(minutes=self.slot_minutes)
        starts = []
        for opens, closes in opening.windows:
            at, end = datetime.combine(day, opens, SHANGHAI), datetime.combine(day, closes, SHANGHAI)
            while at + step <= end:
                starts.append(at)
                at += step
        return starts

    def takes(self, kind: str) -> int:
        return int(self.capacity.get(kind, 0)) if kind in KINDS else 0


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine, mean Earth radius): a ranking, not a route."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(a))
