"""The whole problem: each commodity's arrays, its LP and rounding, in threads; the merged result."""
from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from ..policy import COMPONENTS
from .lp import CommodityLP
from .problem import Commodity, EPS, Metrics, Move, Problem, Result
from .rounding import apply_shipments, greedy_fill, pair_flows, round_lp
from .waste import bucket_times, bucketise, distance_matrix, fefo_waste

def _commodity_arrays(problem: Problem, commodity: Commodity, index: dict[str, int]):
    spec = COMPONENTS[commodity[0]]
    edges = spec.bucket_edges_days
    n = len(index)
    h = np.zeros((n, len(edges) + 1))
    bags: dict[int, list] = {}
    for site_id, site_bags in problem.stock.get(commodity, {}).items():
        if site_id in index:
            h[index[site_id]] = bucketise(site_bags, edges)
            bags[index[site_id]] = site_bags
    own = h.copy()
    for site_id, site_bags in problem.incoming.get(commodity, {}).items():
        if site_id in index:
            h[index[site_id]] += bucketise(site_bags, edges)
    d = np.zeros(n)
    for site_id, daily in problem.demand.get(commodity, {}).items():
        if site_id in index:
            d[index[site_id]] = daily
    keep = np.zeros(n)
    for site_id, units in problem.keep.get(commodity, {}).items():
        if site_id in index:
            keep[index[site_id]] = units
    return h, own, d, keep, bucket_times(edges, spec.shelf_life.total_seconds() / 86400), bags, edges


def _metrics(per_site_short: dict[str, float], waste: float) -> Metrics:
    return Metrics(sites_below_target=sum(1 for v in per_site_short.values() if v > 1e-6),
                   shortfall_units=sum(per_site_short.values()), expiring_units=waste)


def _ship(lp: CommodityLP, x: np.ndarray, h, own, d, t, target, bags, edges, dist, allowed, floor):
    """Whole-bag moves for one commodity: the rounded LP flow, or the greedy baseline where that does better
    on the same lexicographic objective (bag granularity can make it so, each time by less than a bag);
    returns (moves, holdings after, LP pairs)."""
    room = h.sum(1) - target
    spare = h.sum(1) - floor                                                # a reserve stays on the shelf
    room_out = np.where(spare > EPS, np.minimum(spare, own.sum(1)), 0.0)    # bags still on the road stay put
    room_in = np.where(room < -EPS, -room, 0.0)
    pairs = pair_flows(lp, x)
    best = None
    for shipped in (round_lp(pairs, bags, room_out, room_in, dist, allowed),
                    greedy_fill(bags, room_out, room_in, dist, allowed)):
        after = apply_shipments(h, shipped, edges)
        touched = sorted({k for pair in shipped for k in pair})       # the other sites are as they were
        short = (np.maximum(target[touched] - after[touched].sum(1), 0.0)
                 - np.maximum(target[touched] - h[touched].sum(1), 0.0))
        waste = sum((fefo_waste(after[touched], d[touched], t) - fefo_waste(h[touched], d[touched], t)).tolist())
        key = (round(float(short.sum()), 6), round(waste, 6),
               sum(u * dist[i, j] for (i, j), sent in shipped.items() for u, _ in sent))
        if best is None or key < best[0]:
            best = (key, shipped, after)
    return best[1], best[2], len(pairs)


@dataclass
class _CommodityOutcome:
    moves: list
    short_before: np.ndarray
    short_after: np.ndarray
    waste_before: float
    waste_after: float
    stages: dict


def _solve_commodity(problem: Problem, commodity: Commodity, index: dict[str, int], dist: np.ndarray,
                     allowed: np.ndarray) -> _CommodityOutcome | None:
    """One ABO/RhD-identical commodity: its own LP (commodities share no capacity), shipped as whole bags."""
    sites = problem.sites
    h, own, d, keep, t, bags, edges = _commodity_arrays(problem, commodity, index)
    if not h.any() and not d.any():
        return None
    target = problem.target_days * d
    floor = np.maximum(target, keep)         # what a source never goes below
    lp = CommodityLP(h, own, d, t, target, dist, allowed, problem.initial_partners, floor=floor)
    after, moves, stages = h, [], {"flow": 0.0, "unit_km": 0.0, "lp_pairs": 0, "lp_solves": 0}
    if not lp.trivial:
        x, values = lp.solve()
        stages.update(flow=values["flow"], unit_km=values["unit_km"], lp_solves=lp.model.solves)
        shipped, after, stages["lp_pairs"] = _ship(lp, x, h, own, d, t, target, bags, edges, dist, allowed, floor)
        for (i, j), sent in shipped.items():
            units = round(sum(u for u, _ in sent), 9)     # float noise only: dispatch must get the whole sum
            moves.append(Move(sites[i].id, sites[j].id, *commodity, units, round(float(dist[i, j]), 1)))
    return _CommodityOutcome(
        moves=moves,
        short_before=np.maximum(0.0, target - h.sum(axis=1)), short_after=np.maximum(0.0, target - after.sum(axis=1)),
        waste_before=sum(fefo_waste(h, d, t).tolist()), waste_after=sum(fefo_waste(after, d, t).tolist()),
        stages=stages)


def solve(problem: Problem) -> Result:
    """The LP optimum per commodity, shipped as whole bags; `after` is what the proposed moves achieve. The
    relaxation's shortfall (`objective["lp_shortfall_units"]`) bounds every whole-bag plan from below.

    Commodities are independent, so they are solved side by side in threads: HiGHS releases the GIL while it
    solves, so one commodity's LP runs beside another's numpy and Python (figures: docs/performance.md,
    Rebalancing). Results are merged in commodity order, so a plan does not depend on which thread finished
    first.
    """
    started = time.perf_counter()
    sites = problem.sites
    index = {s.id: n for n, s in enumerate(sites)}
    dist = distance_matrix(sites) if sites else np.zeros((0, 0))
    allowed = np.ones_like(dist, dtype=bool) if problem.max_distance_km is None else dist <= problem.max_distance_km
    np.fill_diagonal(allowed, False)
    if problem.sources is not None:
        allowed[[s.id not in problem.sources for s in sites], :] = False
    commodities = sorted(set(problem.stock) | set(problem.demand) | set(problem.incoming))
    with ThreadPoolExecutor(max_workers=min(len(commodities), os.cpu_count() or 1) or 1) as pool:
        outcomes = [o for o in pool.map(lambda c: _solve_commodity(problem, c, index, dist, allowed), commodities) if o]
    moves = [m for o in outcomes for m in o.moves]
    short_before = {s.id: float(v) for s, v in zip(sites, sum((o.short_before for o in outcomes), np.zeros(len(sites))))}
    short_after = {s.id: float(v) for s, v in zip(sites, sum((o.short_after for o in outcomes), np.zeros(len(sites))))}
    waste_before = sum(o.waste_before for o in outcomes)
    waste_after = sum(o.waste_after for o in outcomes)
    stages = {key: sum(o.stages[key] for o in outcomes) for key in ("flow", "unit_km", "lp_pairs", "lp_solves")}
    before, after_m = _metrics(short_before, waste_before), _metrics(short_after, waste_after)
    objective = {"order": ["shortfall_units", "expiring_units", "distance_unit_km"],
                 "shortfall_units": round(after_m.shortfall_units, 2),
                 "expiring_units": round(after_m.expiring_units, 2),
                 "distance_unit_km": round(sum(m.units * m.distance_km for m in moves), 1),
                 "lp_shortfall_units": round(before.shortfall_units - stages["flow"], 2)}
    return Result(moves=moves, before=before, after=after_m, objective=objective,
                  seconds=time.perf_counter() - started, stages=stages)
