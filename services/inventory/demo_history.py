"""`make up` demo data for the stock history (#20): today's snapshot is the real one (the snapshot job's use case on
the demo stock); the 27 days before it are DEMO HISTORY, generated, since the demo has no past to snapshot.

Each cell's stock walks back from today's units around a plausible level for its component (mean-reverting,
seeded, a few bags kept however rare the group), so the trend chart moves through the warning bands. The levels of
those days are the stock view's own rules (model.raw_level, then model.sustained_level day after day: yellow only
after more than 3 days below). Today's stored level state says any dip below yellow's threshold began today, so such
a cell's invented past stays above it. A station that already has history is skipped: loading again adds nothing.
"""
from __future__ import annotations

import math
import random
from datetime import date, datetime, time, timedelta

from hemolink.calendar import SHANGHAI, shanghai_day

from .history import Snapshot
from .model import days_of_supply, raw_level, sustained_level
from .policy import NO_DATA
from .services import history, sites, stock

DAYS_BACK = 27                # with today: four weeks
KEPT_BAGS_U = 2.0             # what a station keeps of any group, however rare (demo.py's opening stock does too)


def _walk(rng: random.Random, today_u: float, centre_u: float, floor_u: float, n: int) -> list[float]:
    """U on the shelf on the n days before today, newest first."""
    out, u = [], today_u
    for _ in range(n):
        u = max(floor_u, u + 0.12 * (centre_u - u) + rng.gauss(0, centre_u * 0.08))
        out.append(float(round(u)))
    return out


def _evening(day: date) -> datetime:
    return datetime.combine(day, time(23, 45), SHANGHAI)


def _past(rng: random.Random, row, today: date, now: datetime) -> list[Snapshot]:
    days = [today - timedelta(days=k) for k in range(DAYS_BACK, 0, -1)]            # oldest first
    cell = (row.site_id, row.region, row.component, row.abo, row.rhd)
    if row.level == NO_DATA:           # nothing held and no demand today: nobody knew then either
        return [Snapshot(d, *cell, 0.0, None, NO_DATA) for d in days]
    if row.daily_demand <= 0:          # held, never used: the shelf as it is, green
        return [Snapshot(d, *cell, row.available_units, None, "green") for d in days]
    policy = stock.policy_for(row.region, now)
    yellow_below = policy.thresholds_for(row.component).yellow_below_days
    centre = max(yellow_below * rng.uniform(0.9, 1.8) * row.daily_demand, KEPT_BAGS_U)
    raw_today = raw_level(row.days_of_supply, row.component, policy)
    floor = math.ceil(yellow_below * row.daily_demand) if raw_today != "green" and row.level == "green" else 0.0
    walked = list(reversed(_walk(rng, row.available_units, centre, floor, DAYS_BACK)))
    out, since = [], {}
    for day, units in zip(days, walked):
        held = days_of_supply(units, row.daily_demand)
        level, since = sustained_level(raw_level(held, row.component, policy), since, _evening(day),
                                       policy.sustain_days, policy.escalation_sustain_days)
        out.append(Snapshot(day, *cell, units, round(held, 2), level))
    return out


def load(uow_factory, now: datetime, seed: int = 7) -> dict:
    written = history.take_snapshot(uow_factory(), now)          # today: the real computation
    today = shanghai_day(now)
    past = 0
    for station in sites.list_sites(uow_factory(), kind="station"):
        rng = random.Random(f"{seed}:history:{station.id}")

        def make(rows, rng=rng):             # each past day as if its last run was that evening
            return [(s, _evening(s.day)) for row in rows for s in _past(rng, row, today, now)]

        past += history.backfill(uow_factory(), site_id=station.id, region=station.region,
                                 first=today - timedelta(days=DAYS_BACK), now=now, make=make)
    return {"today": written, "past": past}
