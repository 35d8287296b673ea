"""The rebalancing optimiser against an independent LP, a greedy baseline, and hand-checked instances."""
import random

import numpy as np
import pytest
from scipy.optimize import linprog

from inventory.rebalancing import Problem, SitePoint, haversine_km, solve
from tests.bench.bench_inventory_rebalancing import generate


def _deficits_and_surpluses(problem: Problem, commodity):
    totals = {s.id: sum(u for u, _ in problem.stock.get(commodity, {}).get(s.id, [])) for s in problem.sites}
    target = {s.id: problem.target_days * problem.demand.get(commodity, {}).get(s.id, 0.0) for s in problem.sites}
    surplus = {k: totals[k] - target[k] for k in totals if totals[k] - target[k] > 1e-7}
    deficit = {k: target[k] - totals[k] for k in totals if target[k] - totals[k] > 1e-7}
    return surplus, deficit, totals, target


def _reachable(problem: Problem, a: str, b: str) -> bool:
    if problem.max_distance_km is None:
        return True
    pa = next(s for s in problem.sites if s.id == a)
    pb = next(s for s in problem.sites if s.id == b)
    return haversine_km(pa.lat, pa.lon, pb.lat, pb.lon) <= problem.max_distance_km


def independent_min_shortfall(problem: Problem) -> float:
    """Written apart from the solver: per commodity, minimise Σ slack_j subject to
    Σ_i y_ij + slack_j ≥ deficit_j, Σ_j y_ij ≤ surplus_i, y ≥ 0 on reachable pairs."""
    total = 0.0
    for commodity in set(problem.stock) | set(problem.demand):
        surplus, deficit, _, _ = _deficits_and_surpluses(problem, commodity)
        src, dst = sorted(surplus), sorted(deficit)
        pairs = [(i, j) for i in src for j in dst if _reachable(problem, i, j)]
        n = len(pairs) + len(dst)
        if not dst:
            continue
        c = np.r_[np.zeros(len(pairs)), np.ones(len(dst))]
        a_ub, b_ub = [], []
        for j_pos, j in enumerate(dst):            # -(Σ_i y_ij) - slack_j ≤ -deficit_j
            row = np.zeros(n)
            for k, (_, jj) in enumerate(pairs):
                if jj == j:
                    row[k] = -1
            row[len(pairs) + j_pos] = -1
            a_ub.append(row)
            b_ub.append(-deficit[j])
        for i in src:                             # Σ_j y_ij ≤ surplus_i
            row = np.zeros(n)
            for k, (ii, _) in enumerate(pairs):
                if ii == i:
                    row[k] = 1
            a_ub.append(row)
            b_ub.append(surplus[i])
        res = linprog(c, A_ub=np.array(a_ub), b_ub=np.array(b_ub), bounds=(0, None), method="highs-ipm")
        assert res.status == 0
        total += res.fun
    return total


def greedy_shortfall(problem: Problem) -> float:
    """Baseline: the largest deficit first, each from its nearest reachable surplus."""
    total = 0.0
    for commodity in set(problem.stock) | set(problem.demand):
        surplus, deficit, _, _ = _deficits_and_surpluses(problem, commodity)
        points = {s.id: s for s in problem.sites}
        for j in sorted(deficit, key=deficit.get, reverse=True):
            need = deficit[j]
            for i in sorted(surplus, key=lambda i: haversine_km(points[i].lat, points[i].lon, points[j].lat, points[j].lon)):
                if need <= 1e-9:
                    break
                if _reachable(problem, i, j):
                    take = min(need, surplus[i])
                    surplus[i] -= take
                    need -= take
            total += need
    return total


INSTANCES = [dict(n_sites=n, seed=seed, max_distance_km=km)
             for n, seed, km in [(20, 1, None), (25, 2, 120.0), (30, 3, 80.0), (40, 4, 150.0), (30, 5, 60.0),
                                 (35, 6, None)]]


@pytest.mark.parametrize("params", INSTANCES, ids=lambda p: f"n{p['n_sites']}-s{p['seed']}-{p['max_distance_km']}")
def test_the_plans_shortfall_is_the_lp_optimum_never_worse_than_greedy_and_no_source_drops_below_target(params):
    problem = generate(**params)
    result = solve(problem)
    optimum = independent_min_shortfall(problem)
    # moves are floored to 0.01 U, so the executed plan can only lose those hundredths
    assert result.after.shortfall_units == pytest.approx(optimum, abs=1e-4 + 0.01 * len(result.moves))
    assert result.after.shortfall_units <= greedy_shortfall(problem) + 1e-6
    assert result.after.shortfall_units <= result.before.shortfall_units + 1e-9
    for commodity in set(problem.stock) | set(problem.demand):
        _, _, totals, target = _deficits_and_surpluses(problem, commodity)
        out, inflow = {}, {}
        for m in result.moves:
            if (m.component, m.abo, m.rhd) == commodity:
                out[m.from_site] = out.get(m.from_site, 0) + m.units
                inflow[m.to_site] = inflow.get(m.to_site, 0) + m.units
                assert _reachable(problem, m.from_site, m.to_site)
        for site_id, sent in out.items():
            assert site_id not in inflow                                  # a source never also receives
            assert totals[site_id] - sent >= target[site_id] - 1e-6       # never below its own target
        for site_id, got in inflow.items():
            assert totals[site_id] + got <= target[site_id] + 1e-6        # receivers are filled up to target only


def _site(i, lat, lon):
    return SitePoint(f"S{i}", lat, lon)


def test_near_expiry_surplus_goes_where_it_will_be_used_even_if_farther():
    # A has 10 U expiring within a day that it cannot use; B (far) uses 20 U/day, C (near) 2 U/day.
    a, near, far = _site(0, 31.20, 121.40), _site(1, 31.25, 121.45), _site(2, 31.90, 121.40)
    red = ("red_cells", "O", "pos")
    problem = Problem(sites=[a, near, far], target_days=7,
                      demand={red: {"S0": 1.0, "S1": 2.0, "S2": 20.0}},
                      stock={red: {"S0": [(1.0, 0.6)] * 10 + [(1.0, 30.0)] * 7,
                                   "S1": [(1.0, 30.0)] * 4, "S2": [(1.0, 30.0)] * 130}})
    result = solve(problem)
    # C can use 1 of them within half a day (2 U/day × 0.5), B all 10: waste first, then the 1 U goes nearer
    assert [(m.from_site, m.to_site, m.units) for m in result.moves] == [("S0", "S1", 1.0), ("S0", "S2", 9.0)]
    assert result.before.expiring_units == pytest.approx(9.5) and result.after.expiring_units == 0
    assert result.after.shortfall_units == pytest.approx(10.0)      # only 10 U spare for 20 U short: equal either way


def test_with_shortfall_and_waste_equal_the_nearest_source_is_used():
    red = ("red_cells", "A", "pos")
    sites = [_site(0, 31.0, 121.0), _site(1, 31.1, 121.0), _site(2, 32.0, 121.0)]
    problem = Problem(sites=sites, target_days=7, demand={red: {"S0": 1.0, "S1": 1.0, "S2": 1.0}},
                      stock={red: {"S0": [(1.0, 20.0)] * 3, "S1": [(1.0, 20.0)] * 12, "S2": [(1.0, 20.0)] * 12}})
    [move] = solve(problem).moves
    assert (move.from_site, move.to_site, move.units) == ("S1", "S0", 4.0)
    assert move.distance_km == pytest.approx(11.1, abs=0.2)


def test_groups_never_mix_and_nothing_moves_without_a_shortfall_or_waste_to_fix():
    sites = [_site(0, 31.0, 121.0), _site(1, 31.1, 121.0)]
    o_pos, o_neg = ("red_cells", "O", "pos"), ("red_cells", "O", "neg")
    problem = Problem(sites=sites, target_days=7, demand={o_pos: {"S0": 1.0}, o_neg: {"S1": 1.0}},
                      stock={o_pos: {"S1": [(1.0, 20.0)] * 30}, o_neg: {"S0": [(1.0, 20.0)] * 30}})
    moves = solve(problem).moves
    assert {(m.abo, m.rhd, m.from_site, m.to_site) for m in moves} == {("O", "pos", "S1", "S0"), ("O", "neg", "S0", "S1")}
    balanced = Problem(sites=sites, target_days=7, demand={o_pos: {"S0": 1.0, "S1": 1.0}},
                       stock={o_pos: {"S0": [(1.0, 20.0)] * 7, "S1": [(1.0, 20.0)] * 7}})
    assert solve(balanced).moves == []


def test_an_empty_or_stockless_network_gives_an_empty_plan():
    assert solve(Problem(sites=[], target_days=7, demand={}, stock={})).moves == []
    lonely = Problem(sites=[_site(0, 31.0, 121.0)], target_days=7, demand={("plasma", "B", "pos"): {"S0": 2.0}},
                     stock={})
    result = solve(lonely)
    assert result.moves == [] and result.before.shortfall_units == pytest.approx(14.0)
    assert result.before.sites_below_target == 1 == result.after.sites_below_target


def test_random_bags_keep_the_metrics_consistent():
    rng = random.Random(11)
    problem = generate(n_sites=15, seed=rng.randint(0, 999))
    result = solve(problem)
    assert result.after.shortfall_units <= result.before.shortfall_units
    assert result.objective["shortfall_units"] == round(result.after.shortfall_units, 2)
