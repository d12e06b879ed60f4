"""The plan as a mixed-integer program.

Variables (per kept candidate ``i``, license ``L``, requirement ``r``, session ``s``):

- ``x[i]`` binary: the offering is in the plan; ``z[i,s]`` binary: a live one is taken at session ``s``
  (``sum_s z[i,s] = x[i]``).
- ``u[i,L]``: the offering counts for ``L``. For a live one it is the sum of its sessions that ``L`` accepts
  and that end by ``L``'s deadline; on demand it is ``x[i]``, or its own binary when several deadlines share
  a weekly limit (then it also decides whether the course must be done before ``L``'s deadline).
- ``c[i,L]`` counted hours: ``h[i,L] * u[i,L]``, or a variable ``<= h * u`` when a cap of ``L`` applies.
- ``f[i,r]`` hours of ``i`` allocated to ``r`` (only when ``i`` may feed two or more requirements): each hour
  goes to at most one requirement, exactly the engine's max-flow; existing completions feed the same rows.
  An *independent* requirement (an in-person minimum) is outside the flow: every counted hour that serves it
  counts toward it as well as toward one other requirement, as the engine counts it.

Rows: every requirement's allocated hours reach its demand; counted hours reach the total; completion
minimums; each cap's room; one offering per same-course group; the budget; per week the live hours fit the
weekly limit, and for each deadline the hours that must be done by then fit the weeks before it (the exact
condition for on-demand study spread freely over weeks, earliest deadline first); goals covered; the finish
week. All coefficients are integers (see :mod:`.numbers`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cebridge.domain.base import ZERO

from .candidates import Candidate, Pool, week_index
from .facts import Fact
from .lp import Program, Row, Solution
from .numbers import Scale


@dataclass
class Slack:
    """Elastic variables: how short each requirement may stay (when no full plan exists)."""

    needs: dict[tuple[int, int], int] = field(default_factory=dict)  # (license, need) -> hours short
    completions: dict[tuple[int, int], int] = field(default_factory=dict)  # (license, need) -> completions
    total: dict[int, int] = field(default_factory=dict)  # license -> hours short of the total


@dataclass(frozen=True)
class Relax:
    """Which limits the program leaves out (to find out what stands in the way)."""

    budget: bool = False
    weekly: bool = False
    elastic: bool = False


class PlanProgram:
    """The program for one pool of candidates."""

    def __init__(
        self, pool: Pool, cands: list[Candidate], scale: Scale, relax: Relax = Relax(), *, in_order: bool = False
    ) -> None:
        self.pool = pool
        self.in_order = in_order
        self.orderable = False  # whether some cap has two or more courses only it limits
        self.cands = cands
        self.scale = scale
        self.relax = relax
        self.p = Program()
        self.x: list[int] = []
        self.z: list[list[int]] = []  # per candidate, a variable per slot (live only)
        self.u: list[list[Row | None]] = []
        self.capped: dict[tuple[int, int], int] = {}  # (candidate, license) -> counted-hours variable
        self.slack = Slack()
        self.goal_vars: list[int] = []
        self.finish: int | None = None
        opts = pool.request.options
        self.weekly = None if relax.weekly else opts.hours_per_week
        self.deadlines = sorted({v.deadline for v in pool.views})
        self._build()

    # --- objectives -------------------------------------------------------------------------------------
    def cost(self) -> Row:
        """Money spent."""
        return {self.x[i]: float(self.scale.m(c.cost)) for i, c in enumerate(self.cands)}

    def hours(self) -> Row:
        """Clock hours of study."""
        return {self.x[i]: float(self.scale.t(c.time)) for i, c in enumerate(self.cands)}

    def goals(self) -> Row:
        """Goal topics covered (negated: the solver minimises)."""
        return dict.fromkeys(self.goal_vars, -1.0)

    def finish_week(self) -> Row:
        """The week the last course is done."""
        return {self.finish: 1.0} if self.finish is not None else {}

    def shortfall(self) -> Row:
        """Hours still short (a missing completion weighs as one hour)."""
        row: Row = {}
        for var in [*self.slack.needs.values(), *self.slack.total.values()]:
            row[var] = 1.0
        for var in self.slack.completions.values():
            row[var] = float(self.scale.hours)
        return row

    def solve(self, objective: Row, time_limit: float | None = None) -> Solution | None:
        """Solve for one objective under the rows so far."""
        return self.p.solve(objective, time_limit=time_limit)

    # --- building ---------------------------------------------------------------------------------------
    def _build(self) -> None:
        p = self.p
        views = self.pool.views
        multi = self.weekly is not None and len(self.deadlines) > 1
        for cand in self.cands:
            x = p.var()
            self.x.append(x)
            if cand.live and len(cand.slots) > 1:
                zs = [p.var() for _ in cand.slots]
                p.row({**dict.fromkeys(zs, 1.0), x: -1.0}, 0.0, 0.0)
            elif cand.live:
                zs = [x]
            else:
                zs = []
            self.z.append(zs)
            us: list[Row | None] = []
            for j in range(len(views)):
                us.append(self._u(cand, j, x, zs, multi))
            self.u.append(us)
        for j in range(len(views)):
            self._license(j)
        self._groups()
        self._budget()
        self._time()
        self._goals()

    def _u(self, cand: Candidate, lic: int, x: int, zs: list[int], multi: bool) -> Row | None:
        if cand.live:
            row = {z: 1.0 for z, s in zip(zs, cand.slots, strict=True) if s.facts[lic].accepted}
            return row or None
        if not cand.facts[lic].accepted:
            return None
        if not multi:
            return {x: 1.0}
        u = self.p.var()
        self.p.row({u: 1.0, x: -1.0}, hi=0.0)
        return {u: 1.0}

    def _fact(self, cand: Candidate, lic: int) -> Fact | None:
        """The license's fact; for live offerings the caps every accepted session falls under."""
        if not cand.live:
            return cand.facts[lic] if cand.facts[lic].accepted else None
        got = [s.facts[lic] for s in cand.slots if s.facts[lic].accepted]
        if not got:
            return None
        caps = frozenset.intersection(*(f.caps for f in got))
        f = got[0]
        return Fact(True, None, f.hours, f.serves, f.completes, caps)

    def _license(self, lic: int) -> None:
        p = self.p
        s = self.scale
        view = self.pool.views[lic]
        need_rows: list[Row] = [{} for _ in view.needs]
        need_const = [0 for _ in view.needs]
        comp_rows: list[Row] = [{} for _ in view.needs]
        total: Row = {}
        cap_rows: list[Row] = [{} for _ in view.rooms]
        members: list[list[tuple[int, float, Row, bool]]] = [[] for _ in view.rooms]  # (c, h, u, only cap)
        facts = [self._fact(cand, lic) if self.u[i][lic] is not None else None for i, cand in enumerate(self.cands)]
        binding = self._binding(lic, facts)
        for i, fact in enumerate(facts):
            u = self.u[i][lic]
            if u is None or fact is None:
                continue
            h = float(s.h(fact.hours))
            caps = fact.caps & binding
            if caps:
                c = p.var(0.0, h, integer=False)
                p.row({c: 1.0, **{k: -h * v for k, v in u.items()}}, hi=0.0)
                self.capped[(i, lic)] = c
                counted: Row = {c: 1.0}
                for k in caps:
                    cap_rows[k][c] = 1.0
                    members[k].append((c, h, u, len(caps) == 1))
            else:
                counted = {k: h * v for k, v in u.items()}
            _add(total, counted)
            serves = [r for r in sorted(fact.serves) if not view.needs[r].independent]
            for r in fact.serves:
                if view.needs[r].independent:
                    _add(need_rows[r], counted)
            if len(serves) == 1:
                _add(need_rows[serves[0]], counted)
            elif serves:
                fs = {r: p.var(0.0, h, integer=False) for r in serves}
                for r, f in fs.items():
                    need_rows[r][f] = 1.0
                p.row({**dict.fromkeys(fs.values(), 1.0), **{k: -v for k, v in counted.items()}}, hi=0.0)
            for r in fact.completes:
                _add(comp_rows[r], u)
        for sup in view.supplies:
            amount = s.h(sup.hours)
            targets = [r for r in sorted(sup.serves) if not view.needs[r].independent]
            for r in sup.serves:
                if view.needs[r].independent:
                    need_const[r] += amount
            if len(targets) == 1:
                need_const[targets[0]] += amount
            elif targets:
                sup_vars = [p.var(0.0, float(amount), integer=False) for _ in targets]
                for r, f in zip(targets, sup_vars, strict=True):
                    need_rows[r][f] = 1.0
                p.row(dict.fromkeys(sup_vars, 1.0), hi=float(amount))
        for r, need in enumerate(view.needs):
            if need.required > 0:
                demand = s.h(need.required, up=True) - need_const[r]
                if demand > 0:
                    self._at_least(need_rows[r], demand, self.slack.needs, (lic, r))
            if need.completions_short > 0:
                self._at_least(comp_rows[r], need.completions_short, self.slack.completions, (lic, r))
        missing = s.h(view.total_required - view.total_counted, up=True)
        if missing > 0:
            self._at_least(total, missing, self.slack.total, lic)
        for k, room in enumerate(view.rooms):
            if cap_rows[k]:
                p.row(cap_rows[k], hi=float(s.h(room.room)))
                if sum(1 for m in members[k] if m[3]) > 1:
                    self.orderable = True
                    if self.in_order:
                        self._in_date_order(members[k], cap_rows[k], float(s.h(room.room)))

    def _binding(self, lic: int, facts: list[Fact | None]) -> frozenset[int]:
        """Caps that may bind: those whose candidates together hold more hours than the room left."""
        view = self.pool.views[lic]
        out = set()
        for k, room in enumerate(view.rooms):
            held = sum((f.hours for f in facts if f is not None and k in f.caps), ZERO)
            if held > room.room:
                out.add(k)
        return frozenset(out)

    def _in_date_order(self, members: list[tuple[int, float, Row, bool]], used: Row, room: float) -> None:
        """What the engine's date-ordered caps allow, for courses under this cap only: at most one is counted
        in part, and one counted in part or not at all means the cap is used up (every order of taking them
        has these properties, so no plan the engine accepts is cut off)."""
        p = self.p
        partial: Row = {}
        for c, h, u, alone in members:
            if not alone:
                continue
            short = p.var()  # counted for less than its hours (or not counted)
            none = p.var()  # counted for nothing
            p.row({c: 1.0, **{k: -h * v for k, v in u.items()}, short: h}, lo=0.0)
            p.row({c: 1.0, none: h}, hi=h)
            p.row({short: 1.0, none: -1.0}, lo=0.0)
            p.row({**used, short: -room}, lo=0.0)
            partial[short] = 1.0
            partial[none] = -1.0
        if len(partial) > 2:
            p.row(partial, hi=1.0)

    def _at_least(self, row: Row, amount: int, slack: dict[Any, int], key: object) -> None:
        if self.relax.elastic:
            var = self.p.var(0.0, float(amount), integer=False)
            slack[key] = var
            row = {**row, var: 1.0}
        self.p.row(row, lo=float(amount))

    def _groups(self) -> None:
        groups: dict[int, Row] = {}
        for i, cand in enumerate(self.cands):
            if cand.group is not None:
                groups.setdefault(cand.group, {})[self.x[i]] = 1.0
        for row in groups.values():
            if len(row) > 1:
                self.p.row(row, hi=1.0)

    @property
    def goal_mode(self) -> bool:
        """Whether a goal budget may buy courses beyond the cheapest closing plan."""
        opts = self.pool.request.options
        return bool(opts.goal_budget) and not self.relax.elastic and any(c.goals for c in self.cands)

    def budget_row(self) -> Row | None:
        """The money limit for closing the gaps (``None`` when there is none)."""
        budget = self.pool.request.options.budget
        return None if budget is None or self.relax.budget else self.cost()

    def _budget(self) -> None:
        """The budget; with a goal budget, the two together (closing alone is held to the budget by
        :func:`.optimise.lexicographic`)."""
        opts = self.pool.request.options
        if self.budget_row() is None or opts.budget is None:
            return
        limit = opts.budget + (opts.goal_budget or 0) if self.goal_mode else opts.budget
        self.p.row(self.cost(), hi=float(self.scale.m(limit)))

    def _time(self) -> None:
        """Weekly limit (live hours per week; every deadline's work fits the weeks before it) and finish."""
        p = self.p
        s = self.scale
        pool = self.pool
        weeks = [max(0, week_index(pool.as_of, d)) for d in self.deadlines]
        last = weeks[-1] if weeks else 0
        live_slots = [
            (i, z, slot) for i, c in enumerate(self.cands) for z, slot in zip(self.z[i], c.slots, strict=False)
        ]
        if live_slots or self.weekly is not None:
            self.finish = p.var(0.0, float(last), integer=True)
            for _i, z, slot in live_slots:
                if slot.week > 0:
                    p.row({self.finish: 1.0, z: -float(slot.week)}, lo=0.0)
        if self.weekly is None:
            return
        cap = s.t(self.weekly)
        per_week: dict[int, Row] = {}
        for i, z, slot in live_slots:
            per_week.setdefault(slot.week, {})[z] = float(s.t(self.cands[i].time))
        for row in per_week.values():
            p.row(row, hi=float(cap))
        for k, (deadline, week) in enumerate(zip(self.deadlines, weeks, strict=True)):
            fit: Row = {}
            for i, z, slot in live_slots:
                if slot.week <= week:
                    fit[z] = float(s.t(self.cands[i].time))
            for i, cand in enumerate(self.cands):
                if cand.live:
                    continue
                t = float(s.t(cand.time))
                if k == len(self.deadlines) - 1:
                    fit[self.x[i]] = t
                    continue
                due = [self.u[i][j] for j, v in enumerate(pool.views) if v.deadline <= deadline and self.u[i][j]]
                if not due:
                    continue
                w = p.var(0.0, 1.0, integer=False)
                for u in due:
                    assert u is not None
                    p.row({w: 1.0, **{k2: -v for k2, v in u.items()}}, lo=0.0)
                fit[w] = t
            p.row(fit, hi=float(cap * (week + 1)))
        assert self.finish is not None
        p.row({**self.hours(), self.finish: -float(cap)}, hi=float(cap))

    def _goals(self) -> None:
        goals = self.pool.request.options.goal_keys
        for g in range(len(goals)):
            covering = {self.x[i]: -1.0 for i, c in enumerate(self.cands) if g in c.goals}
            if not covering:
                continue
            var = self.p.var(0.0, 1.0, integer=False)
            self.goal_vars.append(var)
            self.p.row({var: 1.0, **covering}, hi=0.0)

    def cut(self, sol: Solution) -> None:
        """Exclude this exact choice of offerings and sessions from later solutions."""
        binaries = [*self.x, *(z for zs in self.z for z in zs if z not in set(self.x))]
        ones = [b for b in dict.fromkeys(binaries) if sol.on(b)]
        zeros = [b for b in dict.fromkeys(binaries) if not sol.on(b)]
        self.p.row({**dict.fromkeys(zeros, 1.0), **dict.fromkeys(ones, -1.0)}, lo=1.0 - len(ones))

    def bound(self, objective: Row, value: float) -> None:
        """Add ``objective <= value`` (a budget for goals, a fixed optimum)."""
        self.p.row(objective, hi=value)


def _add(row: Row, more: Row) -> None:
    for k, v in more.items():
        row[k] = row.get(k, 0.0) + v
