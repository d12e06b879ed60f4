"""The catalog as the planner sees it: for each offering its cost, clock hours, usable sessions and, per
license, what it would earn; offerings that can never help are set aside with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache

from cebridge.domain.base import ZERO
from cebridge.domain.completion import CreditOffering, Credits
from cebridge.domain.rules import UnitRule
from cebridge.domain.units import board_hours

from .facts import Fact, LicenseView
from .inputs import PlanRequest, offering_topics
from .numbers import Scale

#: Clock time of study: declared hours as 60-minute hours, a CEU as 10 hours, a day as 8 hours.
CLOCK = UnitRule(source=["clock"], day_hours=Decimal(8))


def clock_hours(credits: Credits) -> Decimal:
    """The clock hours a clinician spends on an offering (its declared credit as 60-minute hours)."""
    return _clock(credits.amount, credits.unit)


@lru_cache(maxsize=1024)
def _clock(amount: Decimal, unit: str) -> Decimal:
    return board_hours(Credits(amount=amount, unit=unit), CLOCK) or ZERO


def monday(day: date) -> date:
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


def week_index(start: date, day: date) -> int:
    """Weeks (Monday to Sunday) from ``start``'s week to ``day``'s week."""
    return (monday(day) - monday(start)).days // 7


@dataclass(frozen=True)
class Slot:
    """One usable session of a live offering and what each license makes of it."""

    start: datetime
    end: datetime
    week: int
    facts: tuple[Fact, ...]

    @property
    def day(self) -> date:
        """The day the course is complete: the session's last day."""
        return self.end.date()


@dataclass
class Candidate:
    """An offering that may go into a plan."""

    offering: CreditOffering
    index: int
    cost: Decimal
    time: Decimal
    live: bool
    facts: tuple[Fact, ...]  # on-demand: per license, taken right away
    slots: tuple[Slot, ...] = ()
    goals: frozenset[int] = frozenset()
    group: int | None = None  # shared by offerings that are the same course (title and provider)
    steady: bool = True  # on demand: every license sees it the same whenever it is taken before the deadline

    @property
    def id(self) -> str:
        """The offering id."""
        return self.offering.id

    def fact(self, lic: int, slot: int | None = None) -> Fact:
        """License ``lic``'s view of this offering (of session ``slot`` for live offerings)."""
        return self.slots[slot].facts[lic] if slot is not None else self.facts[lic]

    def best(self, lic: int) -> Fact | None:
        """An accepted fact for license ``lic`` (the first usable session's for live), or None."""
        if not self.live:
            return self.facts[lic] if self.facts[lic].accepted else None
        for slot in self.slots:
            if slot.facts[lic].accepted:
                return slot.facts[lic]
        return None

    def helps(self, licenses: int) -> bool:
        """Whether it counts for some license or covers a goal."""
        return bool(self.goals) or any(self.best(i) is not None for i in range(licenses))


@dataclass
class Pool:
    """The candidates, the license views and the week grid of one plan request."""

    request: PlanRequest
    views: list[LicenseView]
    candidates: list[Candidate]
    set_aside: dict[str, str] = field(default_factory=dict)  # offering id -> why it can never be used

    @property
    def as_of(self) -> date:
        """Today, for the plan."""
        return self.request.options.as_of

    @property
    def last_day(self) -> date:
        """The latest deadline among the licenses."""
        return max(v.deadline for v in self.views)

    def week_of(self, week: int) -> date:
        """The Monday of week ``week`` of the plan."""
        return monday(self.as_of) + timedelta(weeks=week)


def scale_for(pool: Pool) -> Scale:
    """Integer factors fine enough for every amount of money and hours the pool's program will hold."""
    opts = pool.request.options
    money = [c.cost for c in pool.candidates]
    money += [v for v in (opts.budget, opts.goal_budget) if v is not None]
    hours: list[Decimal] = []
    for view in pool.views:
        hours += [n.required for n in view.needs] + [s.hours for s in view.supplies] + [r.room for r in view.rooms]
        hours += [view.total_required, view.total_counted]
    for c in pool.candidates:
        hours += [f.hours for f in c.facts] + [f.hours for s in c.slots for f in s.facts]
    time = [c.time for c in pool.candidates] + ([opts.hours_per_week] if opts.hours_per_week else [])
    return Scale.of(money, hours, time)


def _usable_sessions(offering: CreditOffering, as_of: date, last: date) -> list[tuple[datetime, datetime]]:
    return sorted((s.start, s.end) for s in offering.sessions if s.start.date() >= as_of and s.end.date() <= last)


def build_pool(request: PlanRequest, views: list[LicenseView], *, within_budget: bool = True) -> Pool:
    """Candidates from the catalog; offerings that cannot be scheduled, help nobody or (``within_budget``)
    cost more than any budget allows are set aside with the reason."""
    opts = request.options
    as_of = opts.as_of
    last = max(v.deadline for v in views)
    goal_keys = opts.goal_keys
    ceiling: Decimal | None = None
    if opts.budget is not None and within_budget:
        ceiling = opts.budget + (opts.goal_budget or ZERO)
    pool = Pool(request, views, [])
    changes = {id(v): v.changes(as_of, v.deadline) for v in views}
    groups: dict[tuple[str, str], list[Candidate]] = {}
    for index, offering in enumerate(request.catalog):
        goals: frozenset[int] = frozenset()
        if goal_keys:
            topics = offering_topics(offering)
            goals = frozenset(i for i, g in enumerate(goal_keys) if g in topics)
        live = bool(offering.sessions) or offering.format != "self_study"
        slots: tuple[Slot, ...] = ()
        facts: tuple[Fact, ...] = ()
        if live:
            found = _usable_sessions(offering, as_of, last)
            if not found:
                pool.set_aside[offering.id] = "no_session"
                continue
            slots = _distinct_slots(offering, found, views, as_of, weekly=opts.hours_per_week is not None)
        else:
            facts = tuple(v.fact(offering, as_of) for v in views)
        steady = live or all(
            v.fact(offering, day) == f for v, f in zip(views, facts, strict=True) for day in changes[id(v)]
        )
        cand = Candidate(
            offering=offering,
            index=index,
            cost=offering.price.amount,
            time=clock_hours(offering.credits),
            live=live,
            facts=facts,
            slots=slots,
            goals=goals,
            steady=steady,
        )
        if not cand.helps(len(views)):
            pool.set_aside[offering.id] = "no_use"
            continue
        if ceiling is not None and cand.cost > ceiling:
            pool.set_aside[offering.id] = "over_budget"
            continue
        pool.candidates.append(cand)
        if offering.title:
            groups.setdefault((offering.title.casefold(), offering.provider.casefold()), []).append(cand)
    for gid, members in enumerate(g for g in groups.values() if len(g) > 1):
        for cand in members:
            cand.group = gid
    return pool


def _distinct_slots(
    offering: CreditOffering,
    sessions: list[tuple[datetime, datetime]],
    views: list[LicenseView],
    as_of: date,
    *,
    weekly: bool,
) -> tuple[Slot, ...]:
    """Sessions worth choosing between: the earliest of each week (with a weekly limit) or the earliest of
    each distinct outcome across licenses (without one, a later session with the same outcome never helps)."""
    out: list[Slot] = []
    seen: set[object] = set()
    for start, end in sessions:
        facts = tuple(v.fact(offering, end.date()) for v in views)
        week = week_index(as_of, start.date())
        ids = tuple(id(f) for f in facts)  # facts are shared objects: one per distinct answer
        key: object = (week, ids) if weekly else ids
        if key in seen:
            continue
        seen.add(key)
        out.append(Slot(start, end, week, facts))
    return tuple(out)
