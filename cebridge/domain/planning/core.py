"""``make_plan``: licenses, their reports, the completions behind them and a catalog in; a :class:`Plan` out.

Steps: per-license views of what is open (:mod:`.facts`); the catalog's candidates (:mod:`.candidates`);
dominated offerings set aside (:mod:`.prune`); the integer program solved objective by objective and checked
by the engine (:mod:`.optimise`, :mod:`.verify`), or exhaustive search for tiny catalogs (:mod:`.search`);
when nothing closes every gap, the best partial plan and the reasons (:mod:`.diagnose`). Pure: the clock is
``as_of``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Literal

from cebridge.domain.base import ZERO
from cebridge.domain.completion import Completion, CreditOffering
from cebridge.domain.report import ComplianceReport

from .candidates import Pool, build_pool, scale_for
from .diagnose import diagnose
from .facts import FILTER_CODES, LicenseView, category_match
from .inputs import LicenseState, PlanOptions, PlanRequest, offering_topics
from .lp import SolverError
from .optimise import Outcome, solve
from .prune import prune
from .result import TOTAL, Closure, LicenseOutcome, Plan, PlannedCourse, Unmet
from .search import MAX_SEARCH, search

Method = Literal["auto", "milp", "search"]


def make_plan(
    licenses: Sequence[LicenseState],
    catalog: Sequence[CreditOffering],
    *,
    as_of: date,
    completions: Sequence[Completion] = (),
    budget: Decimal | None = None,
    hours_per_week: Decimal | None = None,
    goals: Sequence[str] = (),
    goal_budget: Decimal | None = None,
    method: Method = "auto",
    time_limit: float | None = None,
) -> Plan:
    """The cheapest (then shortest, then goal-richest, then earliest-finishing) set of catalog offerings that
    closes every open requirement of every license, checked by the engine.

    ``completions`` are the clinician's completions the reports were computed from (they may feed other
    requirements once new courses arrive). ``method``: ``milp`` (the integer program), ``search``
    (exhaustive, at most 16 offerings after pruning) or ``auto`` (the program; the search when the solver
    fails on a tiny catalog). ``time_limit`` bounds each solver call in seconds (the plan is then marked
    not proven optimal).
    """
    options = PlanOptions(
        as_of=as_of,
        budget=budget,
        hours_per_week=hours_per_week,
        goals=tuple(goals),
        goal_budget=goal_budget,
        time_limit=time_limit,
    )
    req = PlanRequest(tuple(licenses), tuple(catalog), tuple(completions), options)
    views = [LicenseView(s, req.completions) for s in req.licenses]
    pool = build_pool(req, views)
    scale = scale_for(pool)
    cands = prune(pool, scale)
    outcome: Outcome | None
    if method == "search":
        outcome = search(pool, cands, scale)
    else:
        try:
            outcome = solve(pool, cands, scale, time_limit)
        except SolverError:
            if method == "milp" or len(cands) > MAX_SEARCH:
                raise
            outcome = search(pool, cands, scale)
    unmet: list[Unmet] = []
    if outcome is None:
        outcome, unmet = diagnose(pool, cands, scale, time_limit)
    return assemble(pool, outcome, unmet)


def _counts(report: ComplianceReport, course: str) -> bool:
    for r in report.completions:
        if r.id == course:
            return r.hours_counted > 0 or not any(x.code in FILTER_CODES for x in r.reasons)
    return False


def assemble(pool: Pool, outcome: Outcome, unmet: list[Unmet]) -> Plan:
    """The :class:`Plan` for an outcome: courses by date, what they close, and each license after."""
    goal_names = list(dict.fromkeys(pool.request.options.goals))
    keys = pool.request.options.goal_keys
    courses = []
    for pl in sorted(outcome.placements, key=lambda p: (p.day, p.candidate.index)):
        o = pl.candidate.offering
        topics = offering_topics(o)
        courses.append(
            PlannedCourse(
                id=o.id,
                title=o.title,
                provider=o.provider,
                format=o.format,
                price=o.price.amount,
                hours=pl.candidate.time,
                week_of=pool.week_of(pl.first_week),
                completes_on=pl.day,
                starts_at=pl.slot.start if pl.slot else None,
                ends_at=pl.slot.end if pl.slot else None,
                counts_for=[v.board for v, r in zip(pool.views, outcome.reports, strict=True) if _counts(r, o.id)],
                goals=[g for g, k in zip(goal_names, keys, strict=False) if k in topics],
            )
        )
    ids = [c.id for c in courses]
    catalog = {o.id: o for o in pool.request.catalog}
    closes = []
    for view, after in zip(pool.views, outcome.reports, strict=True):
        closes += _closures(view, after, ids, catalog)
    covered = sorted({g for c in courses for g in c.goals}, key=goal_names.index)
    return Plan(
        as_of=pool.as_of,
        feasible=all(r.compliant for r in outcome.reports),
        optimal=outcome.optimal and outcome.complete,
        currency=(pool.request.catalog[0].price.currency if pool.request.catalog else "USD"),
        courses=courses,
        total_cost=sum((c.price for c in courses), ZERO),
        total_hours=sum((c.hours for c in courses), ZERO),
        closes=closes,
        unmet=unmet,
        goals_covered=covered,
        licenses=[
            LicenseOutcome(
                board=view.board,
                license_number=view.state.license.license_number,
                deadline=view.deadline,
                compliant_now=view.state.report.compliant,
                compliant_after=after.compliant,
                report_after=after,
            )
            for view, after in zip(pool.views, outcome.reports, strict=True)
        ],
    )


def _closures(
    view: LicenseView, after: ComplianceReport, ids: list[str], catalog: dict[str, CreditOffering]
) -> list[Closure]:
    """What the plan's courses add to each requirement that was open, by the engine's own report."""
    before = {r.id: r for r in view.state.report.requirements}
    needs = {n.id: n for n in view.needs}
    results = {r.id: r for r in after.completions if r.id in ids}
    passed = [i for i in ids if i in results and not any(x.code in FILTER_CODES for x in results[i].reasons)]
    out = []
    for r in after.requirements:
        b = before.get(r.id)
        if b is None or b.satisfied:
            continue
        gained = r.counted - b.counted
        done = r.completions_counted - b.completions_counted if r.completions_required > 0 else 0
        by = [i for i in ids if i in results and r.id in results[i].allocation]
        if done > 0 and r.id in needs:
            by += [i for i in passed if i not in by and category_match(view, needs[r.id], catalog[i])]
        if gained > 0 or done > 0:
            out.append(
                Closure(
                    board=view.board,
                    requirement=r.id,
                    hours=max(gained, ZERO),
                    completions=max(done, 0),
                    by=by,
                )
            )
    old = view.state.report.total
    if old.short > 0 and after.total.counted > old.counted:
        by = [i for i in ids if i in results and results[i].hours_counted > 0]
        out.append(Closure(board=view.board, requirement=TOTAL, hours=after.total.counted - old.counted, by=by))
    return out


__all__ = ["LicenseState", "Method", "PlanOptions", "make_plan"]
