"""The linear programs: one persistent HiGHS model (RestrictedLP) and the three-stage lexicographic LP per
commodity over it (CommodityLP), solved by column generation.

Column generation re-solves the same LP many times with a few more columns, then with another objective and
a few rows turned into equalities. Kept in one HiGHS instance, every re-solve starts from the previous optimal
basis, which stays primal feasible under all of these changes, so it takes a handful of simplex iterations
instead of a solve from scratch (what scipy's linprog does on every call).

HiGHS releases the GIL while it solves, so commodities solved in threads run side by side.
"""
from __future__ import annotations

import highspy
import numpy as np

from .problem import EPS
from .waste import fefo_prefix, fefo_waste

# The bare pybind class: highspy.Highs() also installs Python callbacks, and doing so prints HiGHS's banner on
# stdout before output can be switched off; nothing here uses callbacks.
_Highs = highspy._Highs
_INF = highspy.kHighsInf


class RestrictedLP:
    """min c·x subject to A x ≤ upper (rows turned into equalities on request), x ≥ 0; columns added as
    they enter. Row duals follow scipy's convention (∂objective/∂bound, so ≤ 0 on a binding ≤ row of a
    minimisation): reduced costs are c − Aᵀy."""

    def __init__(self, upper: np.ndarray):
        self.upper = np.asarray(upper, dtype=float)
        self.highs = _Highs()
        self.highs.setOptionValue("output_flag", False)
        # HiGHS's default is the dual simplex even from a primal feasible basis; every re-solve here starts
        # from one (new columns enter at zero, a new objective leaves the point feasible), where the primal
        # simplex is the faster (docs/performance.md, Rebalancing).
        self.highs.setOptionValue("simplex_strategy", 0)
        empty = np.zeros(0, dtype=np.int32)
        self.highs.addRows(len(self.upper), np.full(len(self.upper), -_INF), self.upper, 0, empty, empty,
                           np.zeros(0))
        self.n_cols = 0
        self.solves = 0

    def add_columns(self, cost: np.ndarray, starts: np.ndarray, rows: np.ndarray, values: np.ndarray) -> np.ndarray:
        """Columns in compressed form (column n has rows[starts[n]:starts[n + 1]]); returns their indices."""
        n = len(cost)
        self.highs.addCols(n, np.asarray(cost, dtype=float), np.zeros(n), np.full(n, _INF), len(rows),
                           np.asarray(starts[:n], dtype=np.int32), np.asarray(rows, dtype=np.int32),
                           np.asarray(values, dtype=float))
        self.n_cols += n
        return np.arange(self.n_cols - n, self.n_cols)

    def set_costs(self, cols: np.ndarray, cost: np.ndarray) -> None:
        if len(cols):
            self.highs.changeColsCost(len(cols), np.asarray(cols, dtype=np.int32), np.asarray(cost, dtype=float))

    def fix_at_zero(self, cols: np.ndarray) -> None:
        if len(cols):
            zero = np.zeros(len(cols))
            self.highs.changeColsBounds(len(cols), np.asarray(cols, dtype=np.int32), zero, zero)

    def make_equalities(self, rows: np.ndarray) -> None:
        if len(rows):
            bound = self.upper[rows]
            self.highs.changeRowsBounds(len(rows), np.asarray(rows, dtype=np.int32), bound, bound)

    def solve(self) -> tuple[np.ndarray, np.ndarray]:
        """(column values, row duals) at the optimum."""
        self.highs.run()
        self.solves += 1
        status = self.highs.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(f"rebalancing LP failed: {self.highs.modelStatusToString(status)}")
        solution = self.highs.getSolution()
        return np.asarray(solution.col_value), np.asarray(solution.row_dual)


class CommodityLP:
    """Three-stage lexicographic LP over arcs (source, bucket) → receiver, solved by column generation.

    Usage variables exist only for the sites whose waste a plan can change ("waste sites": sources that waste
    something now, receivers that could be sent more early-expiring stock than they can use in time). At every
    other site all stock is used whatever the plan does, so its use is its holding: a move adds 1 to total use
    when it lands at such a receiver and takes 1 away when it leaves such a source (`gain`). This keeps the LPs
    small without changing their optimum.
    """

    def __init__(self, h: np.ndarray, own: np.ndarray, d: np.ndarray, t: np.ndarray, target: np.ndarray,
                 dist: np.ndarray, allowed: np.ndarray, partners: int, floor: np.ndarray | None = None):
        self.h, self.d, self.t, self.dist, self.allowed = h, d, t, dist, allowed
        self.nb = h.shape[1]
        surplus = h.sum(1) - target
        # A source sends only what it holds above its floor: its target, or a larger reserve (Problem.keep).
        spare = surplus if floor is None else h.sum(1) - floor
        self.src = np.flatnonzero(spare > EPS)
        self.rcv = np.flatnonzero((surplus < -EPS) & (d > 0))
        self.delta = -surplus
        p = np.zeros_like(h)
        for i in self.src:
            p[i] = fefo_prefix(own[i], min(spare[i], own[i].sum()))       # only bags on its own shelf leave
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
            # on the core that the other commodity's thread needs (docs/performance.md, Rebalancing).
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
