"""Solve the program objective by objective, check the answer with the engine, and cut it off if the engine
disagrees.

Objective order (each optimum is fixed before the next is solved):

- closing every gap: least cost, then least clock hours, then most goal topics covered, then earliest finish;
- with a goal budget: least cost ``C``; then most goal topics covered for at most ``C + goal budget``; then
  least cost, least hours and earliest finish at that coverage;
- when no plan closes every gap: least shortfall first, then the same order.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from cebridge.domain.report import ComplianceReport

from .candidates import Candidate, Pool
from .lp import Row, Solution, SolverError
from .numbers import Scale
from .program import PlanProgram, Relax
from .schedule import Chosen, Placement, ordered, place
from .verify import check, evaluate_plan

#: How many engine-rejected answers are cut off before the search gives up.
MAX_CUTS = 40


@dataclass
class Outcome:
    """A chosen set of courses with its calendar and the engine's reports once they are done."""

    placements: list[Placement]
    reports: list[ComplianceReport]
    optimal: bool
    complete: bool  # every license compliant


def _value(objective: Row, sol: Solution) -> float:
    return sum(v * sol.value(k) for k, v in objective.items())


def lexicographic(prog: PlanProgram, time_limit: float | None = None) -> Solution | None:
    """The best solution under the objective order; the program's rows are restored afterwards."""
    opts = prog.pool.request.options
    mark = prog.p.mark()
    optimal = True
    try:
        stages: list[Row] = []
        if prog.relax.elastic:
            stages.append(prog.shortfall())
        if prog.goal_mode and opts.goal_budget is not None:
            held = prog.p.mark()
            if opts.budget is not None and prog.budget_row() is not None:
                prog.bound(prog.cost(), prog.scale.m(opts.budget) + 0.5)  # closing the gaps alone
            first = prog.solve(prog.cost(), time_limit)
            prog.p.reset(held)
            if first is None:
                return None
            optimal &= first.optimal
            prog.bound(prog.cost(), round(_value(prog.cost(), first)) + prog.scale.m(opts.goal_budget) + 0.5)
            stages += [prog.goals(), prog.cost(), prog.hours()]
        else:
            stages += [prog.cost(), prog.hours(), prog.goals()]
        stages.append(prog.finish_week())
        sol: Solution | None = None
        for objective in stages:
            if not objective:
                continue
            sol = prog.solve(objective, time_limit)
            if sol is None:
                return None
            optimal &= sol.optimal
            prog.p.fix(objective, _value(objective, sol))
        if sol is None:
            sol = prog.solve({}, time_limit)
        if sol is None:
            return None
        return Solution(sol.values, optimal)
    finally:
        prog.p.reset(mark)


def chosen(prog: PlanProgram, sol: Solution) -> list[Chosen]:
    """The courses a solution picks, each with its session, its deadline and its place among capped ones."""
    views = prog.pool.views
    out: list[Chosen] = []
    for i, cand in enumerate(prog.cands):
        if not sol.on(prog.x[i]):
            continue
        slot = None
        if cand.live:
            picked = [n for n, z in enumerate(prog.z[i]) if sol.on(z)]
            slot = cand.slots[picked[0] if picked else 0]
        dues = [
            views[j].deadline
            for j, u in enumerate(prog.u[i])
            if u is not None and sum(v * sol.value(k) for k, v in u.items()) > 0.5
        ]
        due = min(dues) if dues else max(v.deadline for v in views)
        rank = 0.0
        for j in range(len(views)):
            var = prog.capped.get((i, j))
            fact = cand.best(j)
            if var is not None and fact is not None and fact.hours > 0:
                rank = min(rank, -sol.value(var) / float(prog.scale.h(fact.hours)))
        out.append(Chosen(cand, slot, due, rank))
    return out


def solve(pool: Pool, cands: list[Candidate], scale: Scale, time_limit: float | None = None) -> Outcome | None:
    """The best plan that closes every gap and that the engine confirms, or None when there is none.

    Raises:
        SolverError: the engine rejected :data:`MAX_CUTS` answers in a row (the caller may search instead).
    """
    prog = PlanProgram(pool, cands, scale)
    for _ in range(MAX_CUTS):
        sol = lexicographic(prog, time_limit)
        if sol is None:
            return None
        picks = chosen(prog, sol)
        got = check(pool, picks)
        if got is not None:
            placements, reports = got
            return Outcome(placements, reports, sol.optimal, True)
        if prog.orderable and not prog.in_order:
            # The answer split a cap's room in a way no date order gives: add what date order implies.
            prog = PlanProgram(pool, cands, scale, in_order=True)
            continue
        prog.cut(sol)
    raise SolverError(f"the compliance engine rejected {MAX_CUTS} candidate plans in a row; no plan was confirmed")


def best_effort(
    pool: Pool, cands: list[Candidate], scale: Scale, relax: Relax, time_limit: float | None = None
) -> tuple[PlanProgram, Solution] | None:
    """The elastic program's best solution: as little left short as the limits allow (with the date-order
    rows for caps, so that what it predicts is what the engine will find)."""
    elastic = Relax(budget=relax.budget, weekly=relax.weekly, elastic=True)
    prog = PlanProgram(pool, cands, scale, elastic, in_order=True)
    sol = lexicographic(prog, time_limit)
    return None if sol is None else (prog, sol)


#: How many partial answers the engine may find worse than predicted before the least bad one is taken.
PARTIAL_TRIES = 10


def best_partial(pool: Pool, cands: list[Candidate], scale: Scale, time_limit: float | None = None) -> Outcome:
    """The best partial plan the engine confirms: one it finds no shorter than the program predicted (else
    that answer is cut off and the next tried; after :data:`PARTIAL_TRIES`, the least short one seen)."""
    got = best_effort(pool, cands, scale, Relax(), time_limit)
    if got is None:  # pragma: no cover - the empty plan always satisfies the elastic program
        raise SolverError("the elastic program has no solution")
    prog, sol = got
    best: tuple[Decimal, Outcome] | None = None
    for _ in range(PARTIAL_TRIES):
        outcome = partial(pool, prog, sol)
        predicted = shortfalls(prog, sol)
        actual = engine_shortfalls(outcome.reports)
        if all(v <= predicted.get(k, Decimal(0)) for k, v in actual.items()):
            return outcome
        missing = sum(actual.values(), Decimal(0))
        if best is None or missing < best[0]:
            best = (missing, outcome)
        prog.cut(sol)
        nxt = lexicographic(prog, time_limit)
        if nxt is None:
            break
        sol = nxt
    assert best is not None
    return best[1]


def engine_shortfalls(reports: list[ComplianceReport]) -> dict[tuple[int, str], Decimal]:
    """What the engine still finds short, keyed like :func:`shortfalls`."""
    out: dict[tuple[int, str], Decimal] = {}
    for lic, report in enumerate(reports):
        for r in report.requirements:
            if r.short > 0:
                out[(lic, r.id)] = r.short
            if r.completions_required > r.completions_counted:
                out[(lic, r.id + "#completions")] = Decimal(r.completions_required - r.completions_counted)
        if report.total.short > 0:
            out[(lic, "total")] = report.total.short
    return out


def partial(pool: Pool, prog: PlanProgram, sol: Solution) -> Outcome:
    """The engine's view of a best-effort solution (not every gap closed)."""
    picks = ordered(chosen(prog, sol))
    placements = place(pool, picks) or place(pool, picks, late=False)
    if placements is None:  # pragma: no cover - the program's week rows make the solution placeable
        raise SolverError("the best partial plan does not fit the weeks before its deadlines")
    return Outcome(placements, evaluate_plan(pool, placements), sol.optimal, False)


def shortfalls(prog: PlanProgram, sol: Solution) -> dict[tuple[int, str], Decimal]:
    """Per (license, requirement id or ``total``), what the elastic solution leaves short (in hours, or in
    completions for a completion minimum, keyed ``<id>#completions``); solver noise below a unit is none."""
    out: dict[tuple[int, str], Decimal] = {}
    views = prog.pool.views
    slack: list[tuple[tuple[int, str], int, int]] = []
    for (lic, r), var in prog.slack.needs.items():
        slack.append(((lic, views[lic].needs[r].id), var, prog.scale.hours))
    for (lic, r), var in prog.slack.completions.items():
        slack.append(((lic, views[lic].needs[r].id + "#completions"), var, 1))
    for lic, var in prog.slack.total.items():
        slack.append(((lic, "total"), var, prog.scale.hours))
    for key, var, per in slack:
        units = round(sol.value(var))
        if units > 0:
            out[key] = Decimal(units) / per
    return out
