"""Rebalancing solve time: 200 sites × 8 ABO/RhD groups × 3 components (goal ≤ 2 s).

`python -m tests.bench.bench_inventory_rebalancing`; `make bench` picks up run() -> dict.
"""
from __future__ import annotations

import random
import time

from inventory.policy import COMPONENTS, GROUPS
from inventory.rebalancing import Problem, SitePoint, solve

ABO_SHARE = {"O": 0.342, "A": 0.287, "B": 0.282, "AB": 0.089}
RHD_SHARE = {"pos": 0.9965, "neg": 0.0035}
COMPONENT_SHARE = {"red_cells": 1.0, "plasma": 0.6, "platelets": 0.2}


def generate(n_sites: int = 200, seed: int = 7, max_distance_km: float | None = None,
             integral: bool = False) -> Problem:
    """Sites scattered over the Yangtze River Delta, demand by ABO/RhD frequency, stock between 0 and 14 days
    of supply with a spread of expiry dates (so some sites are short, some long, some hold near-expiry stock)."""
    rng = random.Random(seed)
    sites = [SitePoint(f"S{i:03d}", rng.uniform(29.5, 33.5), rng.uniform(116.5, 122.0)) for i in range(n_sites)]
    demand, stock = {}, {}
    for component, share in COMPONENT_SHARE.items():
        shelf_days = COMPONENTS[component].shelf_life.days
        for abo, rhd in GROUPS:
            commodity = (component, abo, rhd)
            demand[commodity], stock[commodity] = {}, {}
            for site in sites:
                daily = rng.uniform(2, 40) * share * ABO_SHARE[abo] * RHD_SHARE[rhd]
                if integral:
                    daily = float(max(0, round(daily)))
                demand[commodity][site.id] = daily
                days_held = rng.uniform(0, 14)
                total = daily * days_held if not integral else float(round(daily * days_held))
                bags, left = [], total
                while left > 1e-9:
                    size = min(left, rng.choice((1.0, 1.5, 2.0)) if not integral else 1.0)
                    bags.append((size, rng.uniform(0.2, shelf_days)))
                    left -= size
                if rng.random() < 0.05 and daily > 0:          # a site with surplus that will not keep
                    bags += [(1.0, rng.uniform(0.2, 3.0)) for _ in range(int(daily * 5) + 1)]
                stock[commodity][site.id] = bags
    return Problem(sites=sites, target_days=7, demand=demand, stock=stock, max_distance_km=max_distance_km)


def run() -> dict:
    problem = generate()
    started = time.perf_counter()
    result = solve(problem)
    seconds = time.perf_counter() - started
    limited = generate(max_distance_km=250)
    started = time.perf_counter()
    result_limited = solve(limited)
    seconds_limited = time.perf_counter() - started
    return {
        "instance": "200 sites x 8 groups x 3 components",
        "solve_seconds": round(seconds, 3),
        "goal_seconds": 2.0,
        "moves": len(result.moves),
        "shortfall_before_u": round(float(result.before.shortfall_units), 1),
        "shortfall_after_u": round(float(result.after.shortfall_units), 1),       # whole bags, as shipped
        "shortfall_lp_relaxation_u": round(float(result.before.shortfall_units - result.stages["flow"]), 1),
        "expiring_before_u": round(float(result.before.expiring_units), 1),
        "expiring_after_u": round(float(result.after.expiring_units), 1),
        "lp_solves": result.stages["lp_solves"],
        "solve_seconds_within_250km": round(seconds_limited, 3),
        "lp_solves_within_250km": result_limited.stages["lp_solves"],
        "shortfall_after_within_250km_u": round(float(result_limited.after.shortfall_units), 1),
    }


if __name__ == "__main__":
    for key, value in run().items():
        print(f"{key:<40} {value}")
