"""Every plan is checked by the compliance engine itself before it is offered.

The program predicts what the engine will count; the engine decides. A chosen set of courses is placed on
the calendar, turned into completions on their planned days and evaluated with the clinician's existing
completions for every license. Caps are applied in date order by the engine, so when a capped on-demand
course makes the check fail, other orders of the capped courses are tried before the set is given up.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence

from cebridge.domain.completion import Completion
from cebridge.domain.engine import evaluate
from cebridge.domain.report import ComplianceReport

from .candidates import Pool
from .facts import LicenseView
from .schedule import Chosen, Placement, ordered, place

#: At most this many orders of capped on-demand courses are tried for one set.
MAX_ORDERS = 120


def planned(view: LicenseView, placements: Sequence[Placement]) -> list[Completion]:
    """The completions the placements become, with categories this board does not know left out."""
    known = view.version.categories()
    out = []
    for pl in placements:
        done = pl.candidate.offering.completed(pl.day)
        if any(c not in known for c in done.categories):
            done = done.model_copy(update={"categories": [c for c in done.categories if c in known]})
        out.append(done)
    return out


def evaluate_plan(pool: Pool, placements: Sequence[Placement]) -> list[ComplianceReport]:
    """Each license's report once the placed courses are done."""
    reports = []
    for view in pool.views:
        state = view.state
        lic = state.license.model_copy(update={"cycle": view.cycle})
        completions = [*pool.request.completions, *planned(view, placements)]
        reports.append(evaluate(lic, completions, state.pack, as_of=state.report.as_of))
    return reports


def _orders(pool: Pool, chosen: list[Chosen]) -> Iterator[list[Chosen]]:
    """The solver's order first (fully counted capped courses, then the partly counted one, then the rest).

    Under one cap that order gives every course at least the hours the solver counted, so other orders can only
    matter when the capped courses fall under several caps (of one license or of several)."""
    yield chosen
    capped = [
        n for n, ch in enumerate(chosen) if ch.slot is None and any(f.accepted and f.caps for f in ch.candidate.facts)
    ]
    caps = {(j, k) for n in capped for j, f in enumerate(chosen[n].candidate.facts) if f.accepted for k in f.caps}
    if len(capped) < 2 or len(caps) < 2:
        return
    first = tuple(chosen[n] for n in capped)
    for count, perm in enumerate(itertools.permutations(first)):
        if count >= MAX_ORDERS:
            return
        if perm == first:
            continue
        attempt = list(chosen)
        for n, ch in zip(capped, perm, strict=True):
            attempt[n] = ch
        yield attempt


def check(pool: Pool, chosen: Sequence[Chosen]) -> tuple[list[Placement], list[ComplianceReport]] | None:
    """Placements and the engine's reports for ``chosen`` when every license is then compliant, else None."""
    tried: set[tuple[tuple[str, object], ...]] = set()
    for attempt in _orders(pool, ordered(chosen)):
        for late in (True, False):
            placements = place(pool, attempt, late=late)
            if placements is None:
                continue
            key = tuple(sorted((p.candidate.id, p.day) for p in placements))
            if key in tried:
                continue
            tried.add(key)
            reports = evaluate_plan(pool, placements)
            if all(r.compliant for r in reports):
                return placements, reports
    return None
