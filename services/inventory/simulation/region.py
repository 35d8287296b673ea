"""The synthetic region the simulator runs: stations with coordinates, their hospitals' demand and their donors.

Every number here is a modelling assumption [U] unless it cites a rule; they are data so a run can change
them (SimulationParams). Group shares are the population's (reference_network: ABO_SHARE, RHD_NEG_SHARE,
docs/domain-reference.md §8), bag sizes the donor rules' whole-blood volumes (GB 18467: 200/300/400 ml).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from ..policy import GROUPS
from ..rebalancing import SitePoint
from ..reference_network import ABO_SHARE, RHD_NEG_SHARE

SIM_COMPONENTS = ("red_cells", "platelets")     # plasma keeps a year: its outdates are another question


def group_share(abo: str, rhd: str) -> float:
    return ABO_SHARE[abo] * (RHD_NEG_SHARE if rhd == "neg" else 1 - RHD_NEG_SHARE)


@dataclass(frozen=True)
class SimulationParams:
    start: date = date(2026, 1, 1)          # the reported year (China's 2026 calendar, with its 调休)
    days: int = 365
    warmup_days: int = 91                   # run before the year so there is issue history (not reported)
    # Hospitals' daily demand per station: red cells lognormal around a county station's, platelets a share.
    red_cells_median_u: float = 14.0
    red_cells_sigma: float = 0.7
    red_cells_range_u: tuple = (3.0, 80.0)
    platelets_share: float = 0.15           # doses per U of red cells
    trend_per_year: float = 0.04            # demand grows 4 % a year
    # Hospital demand by weekday (Mon..Sun): elective surgery on working days; holidays as a quiet Sunday.
    demand_weekday: tuple = (1.15, 1.15, 1.10, 1.10, 1.05, 0.75, 0.70)
    demand_holiday: float = 0.60
    demand_annual_amplitude: float = 0.05   # a mild yearly wave (more in winter)
    # Orders: U per patient order (red cells) and its probabilities; platelets one dose per order.
    order_sizes_u: tuple = (1.0, 2.0, 3.0, 4.0)
    order_size_p: tuple = (0.15, 0.55, 0.10, 0.20)
    emergency_share: float = 0.10
    # Donors: the donor potential per day relative to demand; half the whole-blood donors come on their own,
    # the rest by appointment; apheresis donors are a panel the station books by group, all by appointment.
    donor_potential: dict = field(default_factory=lambda: {"red_cells": 1.30, "platelets": 2.0})
    walk_in_share: float = 0.50
    donor_weekday: tuple = (0.85, 0.85, 0.85, 0.85, 0.90, 1.40, 1.40)
    donor_holiday: float = 1.10
    donor_spring_festival: float = 0.35     # the holiday around 春节: donors go home (the winter 血荒)
    donor_summer: float = 0.85              # July-August heat
    whole_blood_ml: tuple = (200, 300, 400)
    whole_blood_ml_p: tuple = (0.10, 0.20, 0.70)
    platelet_two_doses_p: float = 0.30
    test_failure_p: float = 0.015           # released or discarded the morning after collection
    # Call-ups (donor service: call_up_for_shortage): a group turning yellow or worse calls its donors; the
    # answer brings `call_up_yield_days` of that group's demand over the booking rules' call_up_days.
    call_up_yield_days: float = 2.0
    # The donor service's numbers (donor/policy.py: EligibilityRules.shortage_call_cooldown_days, BookingRules.
    # call_up_days), mirrored because a service imports no other; test_simulation checks they agree.
    call_up_cooldown_days: int = 14
    call_up_days: int = 3
    # Stock the stations aim at (days of supply) and what the region's dispatch plans to (rebalancing target):
    # red cells at the rebalancing target; platelets keep 5 days (4 on the shelf after testing), so 3.
    target_days: dict = field(default_factory=lambda: {"red_cells": 7.0, "platelets": 3.0})
    # Transfers: a move arrives the same evening within this distance, else the next morning.
    same_day_km: float = 150.0


@dataclass(frozen=True)
class Station:
    id: str
    lat: float
    lon: float
    demand: dict                            # component -> mean U/day (all groups)

    @property
    def point(self) -> SitePoint:
        return SitePoint(self.id, self.lat, self.lon)


def stations(n_sites: int, seed: int, params: SimulationParams) -> list[Station]:
    """Stations scattered over the Yangtze River Delta (as the rebalancing bench's region), demand per seed."""
    rng = np.random.default_rng([seed, 0])
    low, high = params.red_cells_range_u
    out = []
    for n in range(n_sites):
        lat, lon = rng.uniform(29.5, 33.0), rng.uniform(117.0, 122.0)
        rbc = float(np.clip(params.red_cells_median_u * math.exp(params.red_cells_sigma * rng.standard_normal()),
                            low, high))
        out.append(Station(f"ST{n:03d}", round(lat, 4), round(lon, 4),
                           {"red_cells": rbc, "platelets": rbc * params.platelets_share}))
    return out


def commodities() -> list[tuple[str, str, str]]:
    return [(c, abo, rhd) for c in SIM_COMPONENTS for abo, rhd in GROUPS]
