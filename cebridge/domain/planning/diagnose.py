"""When no plan closes every gap: the best partial plan, and for each requirement left short, why.

Reasons, checked in this order for each requirement the best partial plan leaves short:

- ``deadline_passed``: the cycle ended before ``as_of``.
- ``no_accepted_offering``: no offering in the catalog with an approval (and activity and unit) the board
  accepts serves the requirement's categories (or format).
- ``no_session_before_deadline``: accepted offerings exist, but every one is live and meets only before
  ``as_of`` or after the deadline.
- ``over_budget``: without the budget it would close; the message gives the cheapest cost.
- ``weekly_hours_too_low``: without the weekly limit it would close.
- ``over_budget_and_weekly_hours``: only dropping both limits closes it.
- ``not_enough_hours``: even without budget and weekly limit the accepted offerings that can be done in time
  (after caps) do not supply the hours or completions needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from cebridge.domain.base import ZERO, json_number
from cebridge.domain.report import ComplianceReport

from .candidates import Candidate, Pool, build_pool, scale_for, week_index
from .facts import LicenseView, Need, category_match
from .lp import Solution
from .numbers import Scale
from .optimise import Outcome, best_effort, best_partial, lexicographic, shortfalls
from .program import PlanProgram, Relax
from .prune import prune
from .result import TOTAL, Unmet, money


@dataclass(frozen=True)
class Gap:
    """A requirement (or the total) of one license that stays short after the best partial plan."""

    lic: int
    requirement: str
    short: Decimal
    completions_short: int


def gaps(reports: list[ComplianceReport]) -> list[Gap]:
    """What the engine still finds short, per license."""
    out = []
    for lic, report in enumerate(reports):
        for r in report.requirements:
            missing = max(0, r.completions_required - r.completions_counted)
            if r.short > 0 or missing > 0:
                out.append(Gap(lic, r.id, r.short, missing))
        if report.total.short > 0:
            out.append(Gap(lic, TOTAL, report.total.short, 0))
    return out


def diagnose(pool: Pool, cands: list[Candidate], scale: Scale, time_limit: float | None) -> tuple[Outcome, list[Unmet]]:
    """The best partial plan under every limit and the reasons for what it leaves open."""
    outcome = best_partial(pool, cands, scale, time_limit)
    relaxed: dict[Relax, tuple[PlanProgram, Solution] | None] = {}
    opts = pool.request.options
    if opts.budget is not None:
        # Without the budget, offerings set aside for costing more than it are candidates again.
        free_pool = build_pool(pool.request, pool.views, within_budget=False)
        free_scale = scale_for(free_pool)
        free_cands = prune(free_pool, free_scale)
    else:
        free_pool, free_scale, free_cands = pool, scale, cands

    def closes(relax: Relax, lic: int, key: str) -> bool:
        if relax not in relaxed:
            if relax.budget:
                relaxed[relax] = best_effort(free_pool, free_cands, free_scale, relax, time_limit)
            else:
                relaxed[relax] = best_effort(pool, cands, scale, relax, time_limit)
        got = relaxed[relax]
        if got is None:
            return False
        left = shortfalls(*got)
        return (lic, key) not in left and (lic, key + "#completions") not in left

    unmet: list[Unmet] = []
    for gap in gaps(outcome.reports):
        view = pool.views[gap.lic]
        code, why = _structural(pool, view, gap)
        if code is None:
            budget = opts.budget is not None
            weekly = opts.hours_per_week is not None
            if budget and closes(Relax(budget=True), gap.lic, gap.requirement):
                code, why = "over_budget", _over_budget(free_pool, free_cands, free_scale, time_limit)
                if weekly and closes(Relax(weekly=True), gap.lic, gap.requirement):
                    why += f"; or, with more than {json_number(opts.hours_per_week or ZERO)} hours a week, within it"
            elif weekly and closes(Relax(weekly=True), gap.lic, gap.requirement):
                code, why = "weekly_hours_too_low", _weekly(pool, view, relaxed.get(Relax(weekly=True)))
            elif budget and weekly and closes(Relax(budget=True, weekly=True), gap.lic, gap.requirement):
                code = "over_budget_and_weekly_hours"
                why = "it closes only with both more money and more hours a week than given"
            else:
                code, why = "not_enough_hours", _not_enough(view, gap)
        unmet.append(
            Unmet(
                board=view.board,
                requirement=gap.requirement,
                short=gap.short,
                completions_short=gap.completions_short,
                code=code,
                why=why,
            )
        )
    return outcome, unmet


def _need(view: LicenseView, key: str) -> Need | None:
    return next((n for n in view.needs if n.id == key), None)


def _day(view: LicenseView, as_of: date) -> date:
    return min(max(as_of, view.cycle.start), view.cycle.end)


def _structural(pool: Pool, view: LicenseView, gap: Gap) -> tuple[str | None, str]:
    as_of = pool.as_of
    if as_of > view.deadline:
        return "deadline_passed", f"the cycle ended {view.deadline}, before {as_of}"
    need = _need(view, gap.requirement)
    what = need.title if need else "the total hours"
    day = _day(view, as_of)
    serving = [o for o in pool.request.catalog if need is None or category_match(view, need, o)]
    accepted = []
    for o in serving:
        f = view.fact(o, day)
        if f.accepted and (need is None or f.hours > 0 or need.requirement.min_completions > 0):
            accepted.append(o)
    if not accepted:
        bodies = sorted({r.body for r in view.version.approvers})
        if serving:
            given = sorted({b for o in serving for b in o.approvals}) or ["no approval"]
            return (
                "no_accepted_offering",
                f"{len(serving)} offering(s) cover {what} but are approved only by {', '.join(given)}; "
                f"{view.board} accepts {', '.join(bodies)}",
            )
        return "no_accepted_offering", f"no offering in the catalog covers {what}"
    timely = [
        o
        for o in accepted
        if (not o.sessions and o.format == "self_study")
        or any(as_of <= s.start.date() and s.end.date() <= view.deadline for s in o.sessions)
    ]
    if not timely:
        return (
            "no_session_before_deadline",
            f"every accepted offering for {what} is live and meets only before {as_of} or after the "
            f"deadline {view.deadline}",
        )
    return None, ""


def _over_budget(pool: Pool, cands: list[Candidate], scale: Scale, time_limit: float | None) -> str:
    opts = pool.request.options
    assert opts.budget is not None
    prog = PlanProgram(pool, cands, scale, Relax(budget=True))
    sol = lexicographic(prog, time_limit)
    if sol is not None:
        cost = sum((c.cost for i, c in enumerate(cands) if sol.on(prog.x[i])), ZERO)
        return f"the cheapest way to close every requirement costs {money(cost)} > budget {money(opts.budget)}"
    return f"closing it costs more than the budget of {money(opts.budget)}"


def _weekly(pool: Pool, view: LicenseView, relaxed: tuple[PlanProgram, Solution] | None) -> str:
    opts = pool.request.options
    assert opts.hours_per_week is not None
    weekly = opts.hours_per_week
    weeks = max(0, week_index(pool.as_of, view.deadline)) + 1
    if relaxed is not None:
        prog, sol = relaxed
        picked = [c for i, c in enumerate(prog.cands) if sol.on(prog.x[i])]
        need = sum((c.time for c in picked), ZERO)
        longest = max((c for c in picked if c.live), key=lambda c: c.time, default=None)
        if longest is not None and longest.time > weekly:
            return (
                f"{longest.id!r} meets for {json_number(longest.time)} hours in one week, more than "
                f"{json_number(weekly)} hours a week"
            )
        return (
            f"closing it needs about {json_number(need)} hours of study by {view.deadline}; "
            f"{json_number(weekly)} hours a week for {weeks} week(s) allow {json_number(weekly * weeks)}"
        )
    return f"{json_number(weekly)} hours a week for {weeks} week(s) is not enough"


def _not_enough(view: LicenseView, gap: Gap) -> str:
    need = _need(view, gap.requirement)
    what = need.title if need else "the total"
    capped = [r.cap.title for r in view.rooms if r.room <= 0]
    tail = f" (no room left under: {', '.join(capped)})" if capped else ""
    if gap.completions_short and not gap.short:
        return f"the catalog has too few accepted offerings that count toward {what} in time{tail}"
    return (
        f"the accepted offerings that can be done by {view.deadline} do not supply the "
        f"{json_number(gap.short)} hours still needed for {what}{tail}"
    )
