"""When each chosen course is taken: live ones at their session, on-demand ones in the earliest weeks with
room under the weekly limit, earliest deadline first.

Weeks run Monday to Sunday from the week of ``as_of``; every week holds ``hours_per_week`` clock hours (the
first and last partial weeks too). An on-demand course may spread over several weeks; it is complete on a day
of the week its last hour falls in. Completion days are kept apart where the week allows, because the engine
applies caps in date order and the planner chooses that order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from cebridge.domain.base import ZERO

from .candidates import Candidate, Pool, Slot, monday, week_index


@dataclass(frozen=True)
class Placement:
    """One chosen course on the calendar."""

    candidate: Candidate
    slot: Slot | None  # the session, for live courses
    first_week: int  # the week the course starts
    day: date  # the day it is complete
    due: date  # the deadline it must meet


@dataclass(frozen=True)
class Chosen:
    """A course the solver picked: its session (live) and the deadline it must be done by."""

    candidate: Candidate
    slot: Slot | None
    due: date
    rank: float = 0.0  # order among on-demand courses with the same deadline (lower first)

    @property
    def waits(self) -> bool:
        """A capped on-demand course the solver did not count in full (rank above -1)."""
        return self.slot is None and self.rank > -1 and any(f.accepted and f.caps for f in self.candidate.facts)


def place(pool: Pool, chosen: Sequence[Chosen], *, late: bool = True) -> list[Placement] | None:
    """Placements for ``chosen`` in the given on-demand order, or None when they do not fit before their
    deadlines under the weekly limit.

    With ``late``, capped on-demand courses the solver did not count in full wait until after the plan's live
    sessions: the engine applies caps in date order, and those courses should take only the room left over.
    """
    as_of = pool.as_of
    weekly = pool.request.options.hours_per_week
    out: list[Placement] = []
    load: dict[int, Decimal] = {}
    for ch in chosen:
        if ch.slot is not None:
            load[ch.slot.week] = load.get(ch.slot.week, ZERO) + ch.candidate.time
            out.append(Placement(ch.candidate, ch.slot, ch.slot.week, ch.slot.day, ch.due))
    if weekly is not None and any(v > weekly for v in load.values()):
        return None
    last_live = max((p.day for p in out), default=None)
    demand = [ch for ch in chosen if ch.slot is None]
    if late and last_live is not None:
        demand = [ch for ch in demand if not ch.waits] + [ch for ch in demand if ch.waits]
    if weekly is None:
        day = as_of - timedelta(days=1)
        for ch in demand:
            day = day + timedelta(days=1)
            if late and ch.waits and last_live is not None:
                day = max(day, last_live + timedelta(days=1))
            when = max(as_of, min(day, ch.due))
            out.append(Placement(ch.candidate, None, week_index(as_of, when), when, ch.due))
        return out
    week = 0
    left = weekly - load.get(0, ZERO)
    used_days: dict[int, int] = {}
    for ch in demand:
        after = last_live if late and ch.waits and last_live is not None else None
        if after is not None and week_index(as_of, after) > week:
            week = week_index(as_of, after)
            left = weekly - load.get(week, ZERO)
        need = ch.candidate.time
        while left <= 0 and need > 0:
            week += 1
            left = weekly - load.get(week, ZERO)
        first = week
        while need > 0:
            if left <= 0:
                week += 1
                left = weekly - load.get(week, ZERO)
                continue
            take = min(left, need)
            need -= take
            left -= take
        if week > week_index(as_of, ch.due):
            return None
        start = max(monday(as_of) + timedelta(weeks=week), as_of)
        if after is not None:
            start = max(start, after + timedelta(days=1))
        k = used_days.get(week, 0)
        used_days[week] = k + 1
        end = min(monday(as_of) + timedelta(weeks=week, days=6), ch.due)
        day = max(as_of, min(start + timedelta(days=k), end))
        out.append(Placement(ch.candidate, None, first, day, ch.due))
    return out


def ordered(chosen: Sequence[Chosen]) -> list[Chosen]:
    """Live courses as they are; on-demand ones earliest deadline first, then by rank, then catalog order."""
    live = [c for c in chosen if c.slot is not None]
    demand = sorted((c for c in chosen if c.slot is None), key=lambda c: (c.due, c.rank, c.candidate.index))
    return live + demand
