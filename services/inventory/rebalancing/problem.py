"""What the optimiser is asked and answers: sites, stock and demand per commodity; moves, metrics, result."""
from __future__ import annotations

from dataclasses import dataclass, field

import highspy

EPS = 1e-7
Commodity = tuple[str, str, str]       # component, abo, rhd
SOLVER = (f"HiGHS {highspy.HIGHS_VERSION_MAJOR}.{highspy.HIGHS_VERSION_MINOR}.{highspy.HIGHS_VERSION_PATCH} "
          "via highspy (warm-started), lexicographic 3-stage LP with column generation")   # ≤ 100: plan column


@dataclass(frozen=True)
class SitePoint:
    id: str
    lat: float
    lon: float


@dataclass
class Problem:
    sites: list[SitePoint]
    target_days: float
    demand: dict[Commodity, dict[str, float]]                    # U per day
    stock: dict[Commodity, dict[str, list[tuple[float, float]]]]  # bags: (U, days left)
    max_distance_km: float | None = None
    initial_partners: int = 3
    # Bags on their way to a site (open transfers): they count towards its holding (target, waste) on arrival,
    # but are not the site's to send on until they have arrived.
    incoming: dict[Commodity, dict[str, list[tuple[float, float]]]] = field(default_factory=dict)
    sources: frozenset[str] | None = None    # only these sites may send (None: any site with surplus)
    # U a site keeps whatever its target (a reserve for a major event, services/reserves.py): it sends only
    # what it holds above the larger of its target and this.
    keep: dict[Commodity, dict[str, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class Move:
    from_site: str
    to_site: str
    component: str
    abo: str
    rhd: str
    units: float
    distance_km: float


@dataclass
class Metrics:
    sites_below_target: int = 0
    shortfall_units: float = 0.0
    expiring_units: float = 0.0

    def as_dict(self) -> dict:
        return {"sites_below_target": self.sites_below_target, "shortfall_units": round(self.shortfall_units, 2),
                "expiring_units": round(self.expiring_units, 2)}


@dataclass
class Result:
    moves: list[Move]
    before: Metrics
    after: Metrics
    objective: dict
    solver: str = SOLVER
    seconds: float = 0.0
    stages: dict = field(default_factory=dict)
