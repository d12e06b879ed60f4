"""A small builder for mixed-integer programs solved by ``scipy.optimize.milp`` (HiGHS).

Variables and rows are added one at a time; objectives are solved in sequence, each optimum fixed as a row
before the next (a lexicographic objective without mixing magnitudes in one weighted sum). Every objective
the planner uses is integer-valued on integer solutions, so fixing ``obj <= best + 0.5`` is exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import inf

import numpy as np
import numpy.typing as npt
from scipy.optimize import LinearConstraint, milp
from scipy.sparse import coo_array

from cebridge.errors import CebridgeError

Row = dict[int, float]


class SolverError(CebridgeError):
    """The solver stopped without an answer (a numerical failure, not an infeasible plan)."""


@dataclass(frozen=True)
class Solution:
    """Variable values of a solved program, and whether the solver proved them optimal."""

    values: npt.NDArray[np.float64]
    optimal: bool

    def on(self, var: int) -> bool:
        """Whether a binary variable is set."""
        return bool(self.values[var] > 0.5)

    def value(self, var: int) -> float:
        """A variable's value."""
        return float(self.values[var])


class Program:
    """Variables with bounds and integrality, and linear rows ``lo <= sum(coef * var) <= hi``."""

    def __init__(self) -> None:
        self.lo: list[float] = []
        self.hi: list[float] = []
        self.integer: list[int] = []
        self.rows: list[Row] = []
        self.row_lo: list[float] = []
        self.row_hi: list[float] = []

    @property
    def size(self) -> int:
        """Number of variables."""
        return len(self.lo)

    def var(self, lo: float = 0.0, hi: float = 1.0, *, integer: bool = True) -> int:
        """A new variable; binary by default."""
        self.lo.append(lo)
        self.hi.append(hi)
        self.integer.append(1 if integer else 0)
        return len(self.lo) - 1

    def row(self, coef: Row, lo: float = -inf, hi: float = inf) -> None:
        """A new row; rows without coefficients are checked here and dropped."""
        coef = {k: v for k, v in coef.items() if v != 0}
        if not coef:
            if lo > 1e-9 or hi < -1e-9:
                self.rows.append({})  # an empty row that cannot hold: keep it so the program is infeasible
                self.row_lo.append(lo)
                self.row_hi.append(hi)
            return
        self.rows.append(coef)
        self.row_lo.append(lo)
        self.row_hi.append(hi)

    def solve(self, objective: Row, *, time_limit: float | None = None) -> Solution | None:
        """Minimise ``objective``; None when infeasible."""
        for r, lo, hi in zip(self.rows, self.row_lo, self.row_hi, strict=True):
            if not r and (lo > 1e-9 or hi < -1e-9):
                return None
        n = self.size
        if n == 0:
            return Solution(np.zeros(0), True)
        c = np.zeros(n)
        for k, v in objective.items():
            c[k] += v
        data: list[float] = []
        ri: list[int] = []
        ci: list[int] = []
        for i, r in enumerate(self.rows):
            for k, v in r.items():
                ri.append(i)
                ci.append(k)
                data.append(v)
        constraints = []
        if self.rows:
            a = coo_array((data, (ri, ci)), shape=(len(self.rows), n)).tocsr()
            constraints.append(LinearConstraint(a, np.array(self.row_lo), np.array(self.row_hi)))
        options: dict[str, object] = {"mip_rel_gap": 0.0, "presolve": True}
        if time_limit is not None:
            options["time_limit"] = max(0.01, time_limit)
        res = milp(
            c,
            integrality=np.array(self.integer),
            bounds=(np.array(self.lo), np.array(self.hi)),
            constraints=constraints,
            options=options,
        )
        if res.status == 2:
            return None
        if res.x is None:
            if res.status == 1:
                raise SolverError("the solver ran out of time before finding any plan")
            raise SolverError(f"the solver stopped: {res.message}")
        return Solution(np.asarray(res.x, dtype=np.float64), res.status == 0)

    def mark(self) -> int:
        """The number of rows now, to :meth:`reset` to later."""
        return len(self.rows)

    def reset(self, mark: int) -> None:
        """Drop rows added after ``mark`` (variables stay; unused ones are free and cost nothing)."""
        del self.rows[mark:]
        del self.row_lo[mark:]
        del self.row_hi[mark:]

    def fix(self, objective: Row, best: float) -> None:
        """Keep later solutions at least as good as ``best`` on ``objective`` (integer-valued)."""
        self.row(objective, hi=round(best) + 0.5)
