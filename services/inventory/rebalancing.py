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
(rebalancing_lp.py): entering arcs are added to it, a stage's optimal face is imposed on it by bounds, the next
stage only changes its costs. Every re-solve so starts from the previous optimal basis and takes a few simplex
iterations, where scipy's linprog (used before) rebuilt and solved each of the ~140 LPs of the bench from
scratch. HiGHS also releases the GIL while it solves, so the commodities' threads overlap.

Transfers ship whole bags, so the LP's fractional flow is then turned into bags that dispatch really picks
(first-expiring-first, in the plan's order): each LP pair rounded to whole bags, a source's rounding shortfall
carried to its next pair, then receivers still short filled greedily from the nearest sources with bags to spare
(the greedy alone is kept for a commodity where it does better). No source goes below its target; a receiver
may pass its own by part of the last bag it needed. `after` is what these moves achieve; the relaxation's
shortfall, a lower bound for any whole-bag plan, is reported beside it.

Plain Python + numpy/highspy: no Flask, no database (plans.py feeds it from the inventory).
"""
from __future__ import annotations

import bisect
import itertools
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import highspy
import numpy as np

from .policy import COMPONENTS
from .rebalancing_lp import RestrictedLP

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


# ---- geometry and buckets -------------------------------------------------------------------------------------
def haversine_km(lat1, lon1, lat2, lon2):
    """Great-circle distance (works on numpy arrays too)."""
    lat1, lon1, lat2, lon2 = map(np.radians, (lat1, lon1, lat2, lon2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0088 * np.arcsin(np.sqrt(np.minimum(1.0, a)))


def distance_matrix(sites: list[SitePoint]) -> np.ndarray:
    lat = np.array([s.lat for s in sites], dtype=float)
    lon = np.array([s.lon for s in sites], dtype=float)
    return haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :])


def bucket_times(edges: tuple[float, ...], shelf_days: float) -> np.ndarray:
    """When each bucket's stock is taken to expire: the mid-point of its days-left range (the last bucket
    ends at the component's shelf life)."""
    lows, highs = (0.0, *edges), (*edges, max(shelf_days, edges[-1]))
    return np.array([(lo + hi) / 2 for lo, hi in zip(lows, highs)])


def bucketise(bags: list[tuple[float, float]], edges: tuple[float, ...]) -> np.ndarray:
    h = np.zeros(len(edges) + 1)
    for units, days_left in bags:
        h[bisect.bisect_right(edges, days_left)] += units
    return h


def fefo_waste(h: np.ndarray, daily: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Per site (a row of h), the U that first-expiring-first use at `daily` U/day cannot consume before expiry
    (greedy FEFO is optimal under nested caps, so this equals the LP's waste). All sites at once, bucket by
    bucket: per site the same arithmetic as one at a time, at a fraction of the Python calls."""
    used, waste = np.zeros(len(h)), np.zeros(len(h))
    for b, tb in enumerate(t):
        take = np.maximum(0.0, np.minimum(h[:, b], daily * tb - used))
        used += take
        waste += h[:, b] - take
    return waste


def fefo_prefix(h: np.ndarray, amount: float) -> np.ndarray:
    """The earliest-expiring `amount` U of a holding, per bucket."""
    out = np.zeros_like(h)
    for b, hb in enumerate(h):
        out[b] = min(hb, max(0.0, amount))
        amount -= out[b]
    return out


# ---- one commodity ----------------------------------------------------------------------------------------------
class _CommodityLP:
    """Three-stage lexicographic LP over arcs (source, bucket) → receiver, solved by column generation.

    Usage variables exist only for the sites whose waste a plan can change ("waste sites": sources that waste
    something now, receivers that could be sent more early-expiring stock than they can use in time). At every
    other site all stock is used whatever the plan does, so its use is its holding: a move adds 1 to total use
    when it lands at such a receiver and takes 1 away when it leaves such a source (`gain`). This keeps the LPs
    small without changing their optimum.
    """

    def __init__(self, h: np.ndarray, own: np.ndarray, d: np.ndarray, t: np.ndarray, target: np.ndarray,
                 dist: np.ndarray, allowed: np.ndarray, partners: int):
        self.h, self.d, self.t, self.dist, self.allowed = h, d, t, dist, allowed
        self.nb = h.shape[1]
        surplus = h.sum(1) - target
        self.src = np.flatnonzero(surplus > EPS)
        self.rcv = np.flatnonzero((surplus < -EPS) & (d > 0))
        self.delta = -surplus
        p = np.zeros_like(h)
        for i in self.src:
            p[i] = fefo_prefix(own[i], min(surplus[i], own[i].sum()))     # only bags on its own shelf leave
        sb_i, sb_b = np.nonzero(p > EPS)
        self.sb_b, self.sb_cap = sb_b, p[sb_i, sb_b]
        # every candidate arc: (source-bucket row, receiver row), within reach
        sb_idx, r_idx = (a.ravel() for a in np.meshgrid(np.arange(len(sb_i)), np.arange(len(self.rcv)), indexing="ij"))
        keep = allowed[sb_i[sb_idx], self.rcv[r_idx]]
        self.c_sb, self.c_r = sb_idx[keep], r_idx[keep]
        self.ci, self.cj, self.cb = sb_i[self.c_sb], self.rcv[self.c_r], sb_b[self.c_sb]
        self.c_dist = dist[self.ci, self.cj]
        self.waste_sites = self._waste_sites()
        pos = np.full(len(h), -1)                      # a waste site's row among the usage variables, else -1
        pos[self.waste_sites] = np.arange(len(self.waste_sites))
        in_w_src, in_w_rcv = pos[self.ci] >= 0, pos[self.cj] >= 0
        self.c_hold_src = np.where(in_w_src, pos[self.ci] * self.nb + self.cb, -1)
        self.c_hold_rcv = np.where(in_w_rcv, pos[self.cj] * self.nb + self.cb, -1)
        self.c_gain = (~in_w_rcv).astype(float) - (~in_w_src).astype(float)
        self.seed = self._initial(partners)         # the arcs the LP starts from

    @property
    def trivial(self) -> bool:
        return len(self.c_sb) == 0

    def _waste_sites(self) -> np.ndarray:
        offer = np.cumsum(np.bincount(self.sb_b, weights=self.sb_cap, minlength=self.nb))
        src, rcv = self.src, self.rcv
        wasting = fefo_waste(self.h[src], self.d[src], self.t) > EPS
        could_waste = np.any(np.cumsum(self.h[rcv], axis=1) + np.minimum(self.delta[rcv][:, None], offer)
                             > self.d[rcv][:, None] * self.t + EPS, axis=1)
        return np.union1d(src[wasting], rcv[could_waste]).astype(int)

    def _initial(self, k: int) -> np.ndarray:
        """Arcs between each receiver and its k nearest sources, and each source and its k nearest receivers."""
        if not len(self.c_sb):
            return np.zeros(0, dtype=bool)
        d = np.where(self.allowed[np.ix_(self.src, self.rcv)], self.dist[np.ix_(self.src, self.rcv)], np.inf)
        near = np.zeros(d.shape, dtype=bool)
        kk = min(k, d.shape[0])
        near[np.argpartition(d, kk - 1, axis=0)[:kk], np.arange(d.shape[1])[None, :]] = True
        kk = min(k, d.shape[1])
        near[np.arange(d.shape[0])[:, None], np.argpartition(d, kk - 1, axis=1)[:, :kk]] = True
        return near[np.searchsorted(self.src, self.ci), np.searchsorted(self.rcv, self.cj)] & np.isfinite(self.c_dist)

    # -- the restricted LP ------------------------------------------------------------------------------------
    def _build(self) -> None:
        """One HiGHS model for all three stages. Rows: source-bucket availability, receiver deficit, and with
        usage variables the waste sites' holdings (u[k,b] + out[k,b] − in[k,b] ≤ h[k,b]) and nested use caps.
        The u columns are in from stage 1 on at zero cost, which leaves its optimum as it is: so the model
        keeps one shape, and each stage's optimal face (below) is one of the same LP."""
        self.n_sb, self.row_c = len(self.sb_cap), len(self.sb_cap) + len(self.rcv)
        self.nu = len(self.waste_sites) * self.nb
        holdings, caps = self.h[self.waste_sites], self.d[self.waste_sites][:, None] * self.t[None, :]
        self.model = RestrictedLP(np.concatenate([self.sb_cap, self.delta[self.rcv], holdings.ravel(), caps.ravel()]))
        self.col = np.full(len(self.c_sb), -1)          # each candidate arc's column, −1 while not in the LP
        self.priced_out = np.zeros(len(self.c_sb), dtype=bool)
        self.arc_cost, self.u_cost = np.zeros(len(self.c_sb)), np.zeros(self.nu)
        # u[k, b] (column k·nb + b): its holding row, then every cumulative cap b' ≥ b
        counts = 1 + self.nb - np.arange(self.nu) % self.nb
        n = np.repeat(np.arange(self.nu), counts)
        nth = np.arange(len(n)) - np.repeat(np.cumsum(counts) - counts, counts)
        rows = np.where(nth == 0, self.row_c + n, self.row_c + self.nu + n + nth - 1)
        self.u_col = self.model.add_columns(self.u_cost, np.cumsum(counts) - counts, rows, np.ones(len(rows)))

    def _add_arcs(self, arcs: np.ndarray) -> None:
        """Arc columns: its source-bucket and receiver rows, +1 in its source's holding row and −1 in its
        receiver's, where those are waste sites."""
        rows = np.column_stack([self.c_sb[arcs], self.n_sb + self.c_r[arcs],
                                self.row_c + self.c_hold_src[arcs], self.row_c + self.c_hold_rcv[arcs]])
        keep = np.column_stack([np.ones((len(arcs), 2), dtype=bool), self.c_hold_src[arcs] >= 0,
                                self.c_hold_rcv[arcs] >= 0])
        values = np.broadcast_to([1.0, 1.0, 1.0, -1.0], rows.shape)
        starts = np.cumsum(keep.sum(1)) - keep.sum(1)
        self.col[arcs] = self.model.add_columns(self.arc_cost[arcs], starts, rows[keep], values[keep])

    def _set_goal(self, goal: str) -> None:
        self.arc_cost = {"flow": -np.ones(len(self.c_sb)), "use": -self.c_gain, "km": self.c_dist}[goal]
        self.u_cost = np.full(self.nu, -1.0 if goal == "use" else 0.0)
        inside = np.flatnonzero(self.col >= 0)
        self.model.set_costs(np.r_[self.col[inside], self.u_col], np.r_[self.arc_cost[inside], self.u_cost])

    def _solve(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Solve the LP restricted to the arcs in it, warm from the last basis; returns (x on every candidate
        arc, u, reduced costs of every candidate arc, reduced costs of u) and keeps the row duals in `self.y`."""
        col_value, y = self.model.solve()
        self.y = y
        inside = self.col >= 0
        x = np.zeros(len(self.c_sb))
        x[inside] = col_value[self.col[inside]]
        # reduced costs c − Aᵀy of every candidate arc (in the LP or not) and of every u
        dual = y[self.c_sb] + y[self.n_sb + self.c_r]
        rc_u = np.zeros(0)
        if self.nu:
            row_d = self.row_c + self.nu
            dual = dual + np.where(self.c_hold_src >= 0, y[self.row_c + np.maximum(self.c_hold_src, 0)], 0.0) \
                - np.where(self.c_hold_rcv >= 0, y[self.row_c + np.maximum(self.c_hold_rcv, 0)], 0.0)
            caps = y[row_d:].reshape(-1, self.nb)
            later = np.cumsum(caps[:, ::-1], axis=1)[:, ::-1]          # Σ_{b' ≥ b} y[cap k, b']
            rc_u = self.u_cost - (y[self.row_c:row_d] + later.ravel())
        return x, col_value[self.u_col], self.arc_cost - dual, rc_u

    def stage(self, goal: str) -> tuple[np.ndarray, float]:
        """Column generation to optimality, then restrict later stages to this stage's optimal face."""
        self._set_goal(goal)
        while True:
            x, u, rc, rc_u = self._solve()
            entering = np.flatnonzero((rc < -1e-9) & (self.col < 0) & ~self.priced_out)
            if len(entering):
                self._add_arcs(self._fewest(entering, rc))
                continue
            # Elementwise, not `@`: a BLAS dot on these long vectors wakes OpenBLAS's threads, which then spin
            # on the core that the other commodity's thread needs (measured: +0.7 s CPU per bench solve).
            cost = float(np.sum(self.arc_cost * x) + np.sum(self.u_cost * u))
            value = cost if goal == "km" else -cost                 # flow and use are maximised as −cost
            # Complementary slackness with this optimal dual: an optimum of this stage has zero on every arc
            # (and u) of positive reduced cost and meets every row of non-zero dual with equality.
            tol = 1e-7 * max(1.0, float(np.abs(rc).max(initial=0.0)))
            self.priced_out |= rc > tol
            self.model.fix_at_zero(self.col[self.priced_out & (self.col >= 0)])
            self.model.fix_at_zero(self.u_col[rc_u > tol])
            self.model.make_equalities(np.flatnonzero(np.abs(self.y) > tol))
            return x, value

    def _fewest(self, entering: np.ndarray, rc: np.ndarray, per_receiver: int = 8) -> np.ndarray:
        """The most attractive entering arcs per receiver (ties, common in these degenerate LPs, go to the
        nearest): keeps the restricted LP small, and small LPs are what makes column generation pay."""
        order = entering[np.lexsort((self.c_dist[entering], np.round(rc[entering], 9), self.cj[entering]))]
        receiver = self.cj[order]
        start = np.r_[0, np.flatnonzero(receiver[1:] != receiver[:-1]) + 1]
        rank = np.arange(len(order)) - np.repeat(start, np.diff(np.r_[start, len(order)]))
        return order[rank < per_receiver]

    def _complete_flow_stage(self) -> float:
        """Stage 1 without an LP when every source may serve every receiver: the most that can move is
        min(total surplus, total deficit), and the optimal face is "every receiver filled" and/or "every surplus
        sent". A greedy nearest-first flow reaches it and seeds the arcs, so stage 2 starts feasible."""
        supply, need = self.sb_cap.sum(), self.delta[self.rcv].sum()
        flow = min(supply, need)
        if need <= supply + EPS:
            self.model.make_equalities(np.arange(self.n_sb, self.row_c))
        if supply <= need + EPS:
            self.model.make_equalities(np.arange(self.n_sb))
        left_sb, left_r = self.sb_cap.copy(), self.delta[self.rcv].copy()
        order = np.lexsort((self.c_dist, self.c_r))
        bounds = np.searchsorted(self.c_r[order], np.arange(len(self.rcv) + 1))
        for r in range(len(self.rcv)):                   # each receiver from its nearest sources first
            for arc in order[bounds[r]:bounds[r + 1]]:
                if left_r[r] <= EPS:
                    break
                sb = self.c_sb[arc]
                if left_sb[sb] > EPS:
                    step = min(left_sb[sb], left_r[r])
                    left_sb[sb] -= step
                    left_r[r] -= step
                    self.seed[arc] = True
        if min(left_sb.sum(), left_r.sum()) > 1e-6:      # cannot happen on a complete graph; be safe
            self.seed[:] = True
        return float(flow)

    def solve(self) -> tuple[np.ndarray, dict]:
        self._build()
        if self.allowed[np.ix_(self.src, self.rcv)].all():
            flow = self._complete_flow_stage()
            self._add_arcs(np.flatnonzero(self.seed))
        else:
            self._add_arcs(np.flatnonzero(self.seed))
            _, flow = self.stage("flow")
        if self.nu:                         # otherwise every plan wastes the same: nothing to choose
            self.stage("use")
        x, km = self.stage("km")
        return x, {"flow": flow, "unit_km": km}


# ---- whole bags -------------------------------------------------------------------------------------------------
# Transfers ship whole bags: dispatch (allocation.take_bags) claims bags first-expiring-first, skipping a bag
# bigger than what is still wanted, never more than the line's U. So a move is only shippable as a sum of bags
# that this rule picks, and the LP's fractional flow has to be turned into such sums.
BAG_EPS = 1e-9      # allocation.take_bags' tolerance (model.EPS): the mirror below must decide exactly as it does


class _Shelf:
    """One source's bags of one commodity, first-expiring-first, as take_bags sees them when the plan's
    transfers from this site are dispatched in the plan's order."""

    def __init__(self, bags: list[tuple[float, float]]):
        self.bags = sorted(bags, key=lambda bag: bag[1])
        self.free = [True] * len(self.bags)
        # the smallest bag from each position on: once less than that is still wanted, no later bag can fit
        self.smallest = list(itertools.accumulate(reversed([u for u, _ in self.bags]), min))[::-1]

    def take(self, wanted: float) -> list[int]:
        """The bags take_bags claims for `wanted` U. Dispatching their sum claims exactly these bags again, so
        that sum is a quantity dispatch ships in full."""
        picked, taken = [], 0.0
        if wanted <= BAG_EPS:
            return picked
        for n, (u, _) in enumerate(self.bags):
            if wanted - taken + BAG_EPS < self.smallest[n]:
                break
            if not self.free[n] or u > wanted - taken + BAG_EPS:
                continue
            picked.append(n)
            taken += u
            if taken >= wanted - BAG_EPS:
                break
        return picked

    def nearest(self, flow: float, cap: float) -> list[int]:
        """Whole bags for an LP flow: the least take_bags ships that covers `flow`, else the most below it; never
        above `cap` (the source keeps its target, the receiver is not sent what it does not lack). Rounding only
        down would lose up to a bag on every move."""
        floor = self.take(min(flow, cap))
        got = self.units(floor)
        if got >= flow - BAG_EPS:
            return floor
        sizes = sorted({u for (u, _), free in zip(self.bags, self.free) if free})
        options = [floor] + [self.take(min(cap, got + size)) for size in sizes]
        covering = [p for p in options if self.units(p) >= flow - BAG_EPS]
        return min(covering, key=self.units) if covering else max(options, key=self.units)

    def fill(self, need: float, room: float) -> list[int]:
        """Bag after bag first-expiring-first while the receiver still lacks some, each that fits in what the
        source may still send: the last may take the receiver past its target, as a bag cannot be split.
        take_bags on the sum claims the same bags."""
        picked, taken = [], 0.0
        for n, (u, _) in enumerate(self.bags):
            if need - taken <= EPS or room - taken + BAG_EPS < self.smallest[n]:
                break
            if self.free[n] and u <= room - taken + BAG_EPS:
                picked.append(n)
                taken += u
        return picked

    def units(self, picked: list[int]) -> float:
        return sum(self.bags[n][0] for n in picked)

    def claim(self, picked: list[int]) -> list[tuple[float, float]]:
        for n in picked:
            self.free[n] = False
        return [self.bags[n] for n in picked]


class _Shipment:
    """Whole-bag moves of one commodity as they are built: bags per (source, receiver), in each source's
    dispatch order; what each source may still send (`room_out`, surplus over target) and each receiver
    still lacks (`room_in`)."""

    def __init__(self, bags: dict[int, list], room_out: np.ndarray, room_in: np.ndarray):
        self.bags, self.room_out, self.room_in = bags, room_out.copy(), room_in.copy()
        self.shelves: dict[int, _Shelf] = {}
        self.moves: dict[tuple[int, int], list] = {}

    def shelf(self, i: int) -> _Shelf:
        if i not in self.shelves:
            self.shelves[i] = _Shelf(self.bags.get(i, []))
        return self.shelves[i]

    def send(self, i: int, j: int, flow: float | None = None) -> float:
        """`flow` U rounded to whole bags within the receiver's need, or (None) greedy fill of that need."""
        shelf = self.shelf(i)
        if flow is None:
            picked = shelf.fill(self.room_in[j], self.room_out[i])
        else:
            picked = shelf.nearest(flow, min(self.room_out[i], self.room_in[j]))
        units = shelf.units(picked)
        if picked:
            self.room_out[i] -= units
            self.room_in[j] -= units
            self.moves.setdefault((i, j), []).extend(shelf.claim(picked))
        return units

    def fill_nearest(self, dist: np.ndarray, allowed: np.ndarray) -> None:
        """Greedy: each receiver still short, largest need first, from its nearest sources with bags to spare."""
        live = np.flatnonzero(self.room_out > EPS)
        for j in sorted(np.flatnonzero(self.room_in > EPS), key=lambda j: -self.room_in[j]):
            near = live[allowed[live, j]]
            for i in near[np.argsort(dist[near, j], kind="stable")]:
                if self.room_in[j] <= EPS:
                    break
                if self.send(int(i), int(j)) <= 0:
                    live = live[live != i]          # no bag of it fits what it may still send: it is spent

    def dispatched(self) -> dict[tuple[int, int], list]:
        """What dispatching the moves in the plan's order claims, each for the sum of its bags: the same bags,
        unless a move grew after a later move of its source was planned (then possibly fewer, never more)."""
        shelves: dict[int, _Shelf] = {}
        out = {}
        for (i, j), bags in sorted(self.moves.items(), key=lambda kv: kv[0][0]):    # stable: keeps each order
            shelf = shelves.setdefault(i, _Shelf(self.bags.get(i, [])))
            picked = shelf.take(sum(u for u, _ in bags))
            if picked:
                out[(i, j)] = shelf.claim(picked)
        return out


def _pair_flows(lp: _CommodityLP, x: np.ndarray) -> dict[tuple[int, int], list]:
    """LP flow per (source, receiver): [earliest bucket drawn on, U]."""
    pairs: dict[tuple[int, int], list] = {}
    on = np.flatnonzero(x > EPS)
    for i, j, b, amount in zip(lp.ci[on].tolist(), lp.cj[on].tolist(), lp.cb[on].tolist(), x[on].tolist()):
        pair = pairs.setdefault((i, j), [b, 0.0])
        pair[0], pair[1] = min(pair[0], b), pair[1] + amount
    return pairs


def _round_lp(pairs: dict, bags: dict[int, list], room_out: np.ndarray, room_in: np.ndarray, dist: np.ndarray,
              allowed: np.ndarray) -> dict[tuple[int, int], list]:
    """The LP flow as whole bags.

    1. Each LP pair; a source's pairs in the order its near-expiry stock was meant to leave (earliest bucket
       first), so first-expiring-first dispatch in that order sends the bags the LP meant for each receiver.
       What a pair's rounding falls short of the LP is added to the source's next pair, so a source sends about
       what the LP sends.
    2. Rounding leaves receivers short by parts of bags while sources still hold bags to spare: greedy fill."""
    plan = _Shipment(bags, room_out, room_in)
    carry: dict[int, float] = {}
    for (i, j), (_, flow) in sorted(pairs.items(), key=lambda kv: (kv[0][0], kv[1][0], kv[0][1])):
        wanted = flow + carry.get(i, 0.0)
        carry[i] = max(0.0, wanted - plan.send(i, j, wanted))
    plan.fill_nearest(dist, allowed)
    return plan.dispatched()


def _greedy(bags: dict[int, list], room_out: np.ndarray, room_in: np.ndarray, dist: np.ndarray,
            allowed: np.ndarray) -> dict[tuple[int, int], list]:
    """The baseline: largest need first, each from its nearest sources, whole bags."""
    plan = _Shipment(bags, room_out, room_in)
    plan.fill_nearest(dist, allowed)
    return plan.dispatched()


def _apply(h: np.ndarray, shipped: dict[tuple[int, int], list], edges: tuple[float, ...]) -> np.ndarray:
    after = h.copy()
    for (i, j), sent in shipped.items():
        for u, days_left in sent:
            b = bisect.bisect_right(edges, days_left)
            after[i, b] -= u
            after[j, b] += u
    return after


# ---- whole problem ----------------------------------------------------------------------------------------------
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
    return h, own, d, bucket_times(edges, spec.shelf_life.total_seconds() / 86400), bags, edges


def _metrics(per_site_short: dict[str, float], waste: float) -> Metrics:
    return Metrics(sites_below_target=sum(1 for v in per_site_short.values() if v > 1e-6),
                   shortfall_units=sum(per_site_short.values()), expiring_units=waste)


def _ship(lp: _CommodityLP, x: np.ndarray, h, own, d, t, target, bags, edges, dist, allowed):
    """Whole-bag moves for one commodity: the rounded LP flow, or the greedy baseline where that does better
    on the same lexicographic objective (bag granularity can make it so: on the bench, for about a third of
    the commodities, each by less than a bag); returns (moves, holdings after, LP pairs)."""
    room = h.sum(1) - target
    room_out = np.where(room > EPS, np.minimum(room, own.sum(1)), 0.0)     # bags still on the road stay put
    room_in = np.where(room < -EPS, -room, 0.0)
    pairs = _pair_flows(lp, x)
    best = None
    for shipped in (_round_lp(pairs, bags, room_out, room_in, dist, allowed),
                    _greedy(bags, room_out, room_in, dist, allowed)):
        after = _apply(h, shipped, edges)
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
    h, own, d, t, bags, edges = _commodity_arrays(problem, commodity, index)
    if not h.any() and not d.any():
        return None
    target = problem.target_days * d
    lp = _CommodityLP(h, own, d, t, target, dist, allowed, problem.initial_partners)
    after, moves, stages = h, [], {"flow": 0.0, "unit_km": 0.0, "lp_pairs": 0, "lp_solves": 0}
    if not lp.trivial:
        x, values = lp.solve()
        stages.update(flow=values["flow"], unit_km=values["unit_km"], lp_solves=lp.model.solves)
        shipped, after, stages["lp_pairs"] = _ship(lp, x, h, own, d, t, target, bags, edges, dist, allowed)
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
    solves, so one commodity's LP runs beside another's numpy and Python (measured on the 250 km bench, 2 cores:
    0.97 s serial, 0.66 s threaded). Results are merged in commodity order, so a plan does not depend on which
    thread finished first.
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
