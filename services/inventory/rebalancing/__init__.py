"""Rebalancing optimiser: moves between sites, per component × ABO × RhD (identical groups only).

Model (per commodity; commodities are independent because no move mixes groups):
- site k holds h[k, b] U in expiry bucket b (days left, edges from policy.COMPONENTS) and needs d[k] U/day;
  its target is T[k] = target_days × d[k].
- a site above target is a source; it may send at most its surplus S[k] − T[k] (never below its own target),
  taken from its earliest-expiring stock (dispatch is first-expiring-first), i.e. from the FEFO prefix p[k, b];
- a site below target is a receiver; it may receive at most its deficit (moves bring sites up to target);
- expected expiry waste at a site: stock that first-expiring-first use at d[k] U/day cannot consume before it
  expires; a bucket b is taken to expire at t[b], the mid-point of its days-left range, so use is bounded by
  the nested caps Σ_{b' ≤ b} u[k, b'] ≤ d[k] · t[b];
- transport distance: haversine km × U moved (optionally only pairs within max_distance_km);
- open transfers (`Problem.incoming`): bags on their way count towards the receiver's holding, but only bags on
  a site's own shelf may leave it; a plan may also be limited to some sources (`Problem.sources`).

Objective, lexicographic, solved exactly as three linear programs with HiGHS:
  1. minimise unmet shortfall Σ_receivers (deficit − inflow)   ⇔ maximise Σ x
  2. then minimise expected expiry waste                         ⇔ maximise Σ u, keeping stage 1's optimum
  3. then minimise Σ distance · x, keeping stages 1 and 2.
Each stage uses column generation over the arcs (source bucket → receiver): start from each site's nearest
partners, price every other arc with the duals, add those with negative reduced cost, re-solve until none is
left; the result is optimal for the full arc set, at a fraction of the size.

The solver is HiGHS through highspy, one model per commodity kept from the first solve to the last
(lp.py): entering arcs are added to it, a stage's optimal face is imposed on it by bounds, the next
stage only changes its costs. Every re-solve so starts from the previous optimal basis and takes a few simplex
iterations instead of a solve from scratch. HiGHS also releases the GIL while it solves, so the commodities'
threads overlap. What each of these choices bought is in docs/performance.md (Rebalancing).

Transfers ship whole bags, so the LP's fractional flow is then turned into bags that dispatch really picks
(first-expiring-first, in the plan's order): each LP pair rounded to whole bags, a source's rounding shortfall
carried to its next pair, then receivers still short filled greedily from the nearest sources with bags to spare
(the greedy alone is kept for a commodity where it does better). No source goes below its target; a receiver
may pass its own by part of the last bag it needed. `after` is what these moves achieve; the relaxation's
shortfall, a lower bound for any whole-bag plan, is reported beside it.

Plain Python + numpy/highspy: no Flask, no database (services/plans.py feeds it from the inventory).

The package, in the order a problem goes through it: problem.py (the types), waste.py (distance and waste maths),
lp.py (the linear programs), rounding.py (whole bags), solve.py (the whole problem, in threads).
"""
from .problem import SOLVER, Commodity, Metrics, Move, Problem, Result, SitePoint
from .solve import solve
from .waste import haversine_km

__all__ = ["SOLVER", "Commodity", "Metrics", "Move", "Problem", "Result", "SitePoint", "haversine_km", "solve"]
