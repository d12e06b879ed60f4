"""Exact search without the solver, for tiny catalogs: every subset, best first, checked by the engine.

Used when the solver is not available or fails, and as an independent second method in tests. The order is
the planner's objective order; within one (cost, hours, goals) the earliest finish wins.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

from .candidates import Candidate, Pool, week_index
from .numbers import Scale
from .optimise import Outcome
from .schedule import Chosen
from .verify import check

_Row = tuple[int, int, int, list[Candidate]]

#: The search refuses catalogs (after pruning) larger than this: 2**16 subsets.
MAX_SEARCH = 16


def _choices(pool: Pool, cands: list[Candidate]) -> Iterator[list[Chosen]]:
    """Every way to take ``cands``: a session per live course; on-demand ones due at the earliest deadline of
    the licenses that accept them."""
    views = pool.views
    last = max(v.deadline for v in views)
    options: list[list[Chosen]] = []
    for cand in cands:
        if cand.live:
            per = []
            for slot in cand.slots:
                dues = [v.deadline for j, v in enumerate(views) if slot.facts[j].accepted]
                per.append(Chosen(cand, slot, min(dues) if dues else last))
            options.append(per)
        else:
            dues = [v.deadline for j, v in enumerate(views) if cand.facts[j].accepted]
            options.append([Chosen(cand, None, min(dues) if dues else last)])
    for combo in itertools.product(*options):
        yield list(combo)


def search(pool: Pool, cands: list[Candidate], scale: Scale) -> Outcome | None:
    """The best plan by exhaustive search over subsets of ``cands`` (at most :data:`MAX_SEARCH`)."""
    if len(cands) > MAX_SEARCH:
        raise ValueError(f"exact search is for at most {MAX_SEARCH} offerings, not {len(cands)}")
    opts = pool.request.options
    n = len(cands)
    budget = scale.m(opts.budget) if opts.budget is not None else None
    rows: list[_Row] = []
    for mask in range(1 << n):
        picked = [cands[i] for i in range(n) if mask >> i & 1]
        groups = [c.group for c in picked if c.group is not None]
        if len(groups) != len(set(groups)):
            continue
        cost = sum(scale.m(c.cost) for c in picked)
        time = sum(scale.t(c.time) for c in picked)
        goals = len(frozenset().union(*(c.goals for c in picked))) if picked else 0
        rows.append((cost, time, goals, picked))

    def verified(picked: list[Candidate]) -> Outcome | None:
        best: Outcome | None = None
        best_week = -1
        for combo in _choices(pool, picked):
            got = check(pool, combo)
            if got is None:
                continue
            placements, reports = got
            week = max((week_index(pool.as_of, p.day) for p in placements), default=0)
            if best is None or week < best_week:
                best, best_week = Outcome(placements, reports, True, True), week
        return best

    def first(order: list[_Row], key: Callable[[_Row], tuple[int, ...]]) -> Outcome | None:
        found: Outcome | None = None
        found_key: tuple[int, ...] | None = None
        found_week = 0
        for row in order:
            k = key(row)
            if found is not None and k != found_key:
                break
            got = verified(row[3])
            if got is None:
                continue
            week = max((week_index(pool.as_of, p.day) for p in got.placements), default=0)
            if found is None or week < found_week:
                found, found_key, found_week = got, k, week
        return found

    affordable = [r for r in rows if budget is None or r[0] <= budget]
    by_cost = sorted(affordable, key=lambda r: (r[0], r[1], -r[2]))
    if opts.goal_budget and opts.goal_keys:
        cheapest = first(by_cost, lambda r: (r[0],))
        if cheapest is None:
            return None
        least = sum(scale.m(p.candidate.cost) for p in cheapest.placements)
        reach = least + scale.m(opts.goal_budget)
        wide = sorted((r for r in rows if r[0] <= reach), key=lambda r: (-r[2], r[0], r[1]))
        return first(wide, lambda r: (r[2], r[0], r[1]))
    return first(by_cost, lambda r: (r[0], r[1], r[2]))
