"""A brute-force planner for tiny catalogs, independent of the planner's code: every subset, every session
choice and every order of capped on-demand courses, each checked by the compliance engine.

On-demand courses are done one a day from ``as_of`` (the planner's rule without a weekly limit); live ones
on a session's last day. The answer is the least (cost, clock hours) among subsets the engine finds
compliant for every license, or None.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from decimal import Decimal

from cebridge.domain import Completion, CreditOffering
from cebridge.domain.engine import evaluate
from cebridge.domain.planner import LicenseState
from cebridge.domain.rules import UnitRule
from cebridge.domain.units import board_hours

CLOCK = UnitRule(source=["clock"], day_hours=Decimal(8))


def clock(o: CreditOffering) -> Decimal:
    return board_hours(o.credits, CLOCK) or Decimal(0)


def _capped(o: CreditOffering, states: Sequence[LicenseState]) -> bool:
    """Whether any cap of any license could match ``o`` (then its date among capped ones matters)."""
    for s in states:
        for v in s.pack.versions:
            for c in v.caps:
                m = c.match
                if m.formats is not None and o.format not in m.formats:
                    continue
                if m.activities is not None and o.activity not in m.activities:
                    continue
                if m.categories is not None and not set(m.categories) & set(o.categories):
                    continue
                if m.flag_true is not None and not o.flags.get(m.flag_true):
                    continue
                if m.flag_false is not None and o.flags.get(m.flag_false):
                    continue
                return True
    return False


def _due(o: CreditOffering, states: Sequence[LicenseState], as_of: date) -> date:
    """The earliest deadline among the licenses whose engine counts ``o`` taken on ``as_of``."""
    dues = []
    for s in states:
        lic = s.license.model_copy(update={"cycle": s.report.cycle})
        known = s.version().categories()
        c = o.completed(as_of)
        c = c.model_copy(update={"categories": sorted(set(c.categories) & known)})
        result = evaluate(lic, [c], s.pack, as_of=s.report.as_of).completions[0]
        if not any(r.code != "over_cap" for r in result.reasons):
            dues.append(s.report.cycle.end)
    return min(dues) if dues else max(s.report.cycle.end for s in states)


def _schedules(
    subset: Sequence[CreditOffering], states: Sequence[LicenseState], as_of: date
) -> Iterator[list[Completion]]:
    """Every session choice; every order of the capped on-demand courses, each split into those done right
    away (one a day from ``as_of``, after the uncapped ones) and those done after the last live session."""
    last = max(s.report.cycle.end for s in states)
    live = [o for o in subset if o.sessions or o.format != "self_study"]
    demand = [o for o in subset if not (o.sessions or o.format != "self_study")]
    session_choices = []
    for o in live:
        days = sorted({s.end.date() for s in o.sessions if s.start.date() >= as_of and s.end.date() <= last})
        if not days:
            return
        session_choices.append(days)
    plain = [o for o in demand if not _capped(o, states)]
    capped = [o for o in demand if _capped(o, states)]
    dues = {o.id: _due(o, states, as_of) for o in capped}
    for days in itertools.product(*session_choices):
        fixed = [o.completed(d) for o, d in zip(live, days, strict=True)]
        last_live = max(days, default=None)
        for order in itertools.permutations(capped):
            for split in range(len(order) + 1):
                early = plain + list(order[:split])
                done = [o.completed(as_of + timedelta(days=n)) for n, o in enumerate(early)]
                day = as_of + timedelta(days=len(early) - 1)
                for o in order[split:]:
                    day = day + timedelta(days=1)
                    if last_live is not None:
                        day = max(day, last_live + timedelta(days=1))
                    done.append(o.completed(max(as_of, min(day, dues[o.id]))))
                yield fixed + done
                if last_live is None:
                    break  # without live sessions every split gives the same days


def compliant(states: Sequence[LicenseState], existing: Sequence[Completion], new: Sequence[Completion]) -> bool:
    for s in states:
        lic = s.license.model_copy(update={"cycle": s.report.cycle})
        known = s.version().categories()
        mine = [
            c if set(c.categories) <= known else c.model_copy(update={"categories": sorted(set(c.categories) & known)})
            for c in new
        ]
        if not evaluate(lic, [*existing, *mine], s.pack, as_of=s.report.as_of).compliant:
            return False
    return True


def brute_force(
    states: Sequence[LicenseState],
    catalog: Sequence[CreditOffering],
    existing: Sequence[Completion],
    as_of: date,
    budget: Decimal | None = None,
) -> tuple[Decimal, Decimal] | None:
    """The least (cost, clock hours) of a subset that makes every license compliant, or None."""
    rows = []
    for k in range(len(catalog) + 1):
        for subset in itertools.combinations(catalog, k):
            cost = sum((o.price.amount for o in subset), Decimal(0))
            if budget is not None and cost > budget:
                continue
            rows.append((cost, sum((clock(o) for o in subset), Decimal(0)), subset))
    rows.sort(key=lambda r: (r[0], r[1]))
    for cost, hours, subset in rows:
        if any(compliant(states, existing, plan) for plan in _schedules(subset, states, as_of)):
            return cost, hours
    return None
