"""Reserves for major events (进博会, holidays), plain Python: a site keeps at least `units` U of a group and
component from `starts_on` to `ends_on` (Asia/Shanghai dates, both included). Rebalancing never sends a site's
stock below its active reserve (services/plans.py), and the stock picture shows it in days of supply.

Two reserves of one site, group and component that overlap do not add up: the larger is kept (each says "keep at
least this many", as an event's planners set it; a holiday inside the 进博会 window does not double the shelf).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Iterable

Key = tuple[str, str, str, str]    # site_id, component, abo, rhd


@dataclass(eq=False)
class Reserve:
    id: str
    site_id: str
    component: str
    abo: str
    rhd: str
    units: float
    starts_on: date
    ends_on: date
    reason: str
    created_by: str | None
    created_at: datetime

    @property
    def key(self) -> Key:
        return (self.site_id, self.component, self.abo, self.rhd)

    def active_on(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


def active_floor(reserves: Iterable[Reserve], day: date) -> dict[Key, float]:
    """U each site keeps per group on `day`: the largest of its active reserves."""
    out: dict[Key, float] = {}
    for r in reserves:
        if r.active_on(day):
            out[r.key] = max(out.get(r.key, 0.0), r.units)
    return out
