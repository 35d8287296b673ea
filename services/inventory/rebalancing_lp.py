"""One persistent HiGHS model for rebalancing's column generation (see rebalancing._CommodityLP).

Column generation re-solves the same LP many times with a few more columns, then with another objective and
a few rows turned into equalities. Kept in one HiGHS instance, every re-solve starts from the previous optimal
basis, which stays primal feasible under all of these changes, so it takes a handful of simplex iterations
instead of a solve from scratch (what scipy's linprog does on every call).

HiGHS releases the GIL while it solves, so commodities solved in threads run side by side.
"""
from __future__ import annotations

import highspy
import numpy as np

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
        # from one (new columns enter at zero, a new objective leaves the point feasible), where "choose" takes
        # the primal simplex: on the bench about a third of the time.
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
