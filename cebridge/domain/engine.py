"""The compliance engine: a license, its completions and its board's rules in; a ComplianceReport out.

Order of evaluation (shared/docs/domain.md §2): resolve the cycle and the rule version; for each completion,
window, duplicates, activity, approver, units, carry-in; then caps in chronological order; then the exact
allocation of counted hours to category requirements; then the totals. Pure: no I/O, no clock.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from cebridge.domain.allocation import allocate
from cebridge.domain.base import ZERO, trusted
from cebridge.domain.completion import Completion
from cebridge.domain.cycles import derive_cycle, prorated
from cebridge.domain.license import Cycle, License
from cebridge.domain.report import (
    CompletionResult,
    ComplianceReport,
    NotApplicable,
    Reason,
    RequirementResult,
    Totals,
)
from cebridge.domain.rules import ANY_CATEGORY, ActivityRule, ApproverRule, Cap, Requirement, RulePack, RuleVersion
from cebridge.domain.units import board_hours
from cebridge.errors import InputError, MissingFact

_HUNDRED = Decimal(100)
_CENT = Decimal("0.01")
_COURSE_DEFAULT = ActivityRule(activity="course", source=["(default)"])


@dataclass(frozen=True)
class _Index:
    """Lookups derived once per rule version: approver rules by body, activity rules by activity."""

    approvers: dict[str, list[ApproverRule]]
    activities: dict[str, ActivityRule]
    accepted: str
    weak: frozenset[str]  # ids of requirements whose sources are all weak


_INDEXES: dict[int, tuple[RuleVersion, _Index]] = {}


def _index(version: RuleVersion) -> _Index:
    """The version's lookups, built once (rule versions are frozen, so the index never goes stale)."""
    hit = _INDEXES.get(id(version))
    if hit is not None and hit[0] is version:
        return hit[1]
    approvers: dict[str, list[ApproverRule]] = {}
    for rule in version.approvers:
        approvers.setdefault(rule.body, []).append(rule)
    activities: dict[str, ActivityRule] = {rule.activity: rule for rule in version.activities}
    activities.setdefault("course", _COURSE_DEFAULT)
    weak = frozenset(r.id for r in version.requirements if version.is_weak(r))
    index = _Index(approvers, activities, ", ".join(sorted(approvers)), weak)
    if len(_INDEXES) > 256:
        _INDEXES.clear()
    _INDEXES[id(version)] = (version, index)
    return index


@dataclass(slots=True)
class _Item:
    """Working state for one completion while it is evaluated."""

    completion: Completion
    hours: Decimal = ZERO  # board hours after conversion, fixed hours and multiplier
    counted: Decimal = ZERO
    categories: frozenset[str] = frozenset()
    reasons: list[Reason] = field(default_factory=list)
    passed: bool = False  # passed every filter (before caps)
    declared: Decimal | None = None
    limit: Decimal | None = None  # hours left after the carry-in limit, before caps
    serves: tuple[int, ...] = ()  # indexes of the applicable requirements this completion can serve


def evaluate(
    license: License, completions: Sequence[Completion], pack: RulePack, *, as_of: date | None = None
) -> ComplianceReport:
    """Evaluate ``license`` for one cycle under ``pack``.

    Raises:
        MissingFact: the pack needs a fact about the license that was not given.
        InputError: a completion names a category the board does not know, or no version covers the cycle.
    """
    if license.board != pack.id:
        raise InputError(f"license is for board {license.board!r}, rules given are {pack.id!r}")
    cycle = license.cycle or derive_cycle(pack.versions[-1].cycle, license, as_of, pack.id)
    version = pack.version_for(cycle.start, cycle.end)
    if version is None:
        raise InputError(f"no rules of board {pack.id} cover the cycle {cycle.start}..{cycle.end}")
    if license.cycle is None and version is not pack.versions[-1]:
        cycle = derive_cycle(version.cycle, license, as_of, pack.id)
    known = version.categories()
    for c in completions:
        unknown = [cat for cat in c.categories if cat not in known]
        if unknown:
            raise InputError(f"completion {c.id!r}: unknown category {unknown[0]!r} for board {pack.id}")

    first = _first_renewal(license, cycle, version, pack.id)
    required_total = _required_total(license, cycle, version, first, pack.id)
    applicable, not_applicable = _applicable(license, cycle, version, first, pack.id)

    items = [_Item(c) for c in sorted(completions, key=_order)]
    _filter(items, version, cycle, pack.id)
    _carry_in(items, version, license, pack.id)
    cap_use = _apply_caps(items, version, required_total, cycle)

    _mark_serves(items, applicable)
    counted_items = [it for it in items if it.counted > 0]
    alloc = _allocate(counted_items, applicable)
    return _report(
        pack,
        license,
        version,
        cycle,
        as_of,
        first,
        required_total,
        applicable,
        not_applicable,
        items,
        counted_items,
        alloc,
        cap_use,
    )


def _report(
    pack: RulePack,
    license: License,
    version: RuleVersion,
    cycle: Cycle,
    as_of: date | None,
    first: bool | None,
    required_total: Decimal,
    applicable: list[tuple[Requirement, Decimal]],
    not_applicable: list[NotApplicable],
    items: list[_Item],
    counted_items: list[_Item],
    alloc: list[dict[int, Decimal]],
    cap_use: dict[str, Decimal],
) -> ComplianceReport:
    """Assemble the report from what the passes computed (see :func:`cebridge.domain.base.trusted`)."""
    got = [ZERO] * len(applicable)
    done = [0] * len(applicable)
    for it in items:
        if it.passed:
            for j in it.serves:
                done[j] += 1
    by_item: dict[int, dict[str, Decimal]] = {}
    for it, a in zip(counted_items, alloc, strict=True):
        allocation = {}
        for j, v in a.items():
            if v > 0:
                got[j] += v
                allocation[applicable[j][0].id] = v
        by_item[id(it)] = allocation

    req_results = []
    for j, (req, hours) in enumerate(applicable):
        short = max(ZERO, hours - got[j])
        req_results.append(
            trusted(
                RequirementResult,
                {
                    "id": req.id,
                    "title": req.title,
                    "category": req.categories[0],
                    "categories": list(req.categories),
                    "required": hours,
                    "counted": got[j],
                    "short": short,
                    "satisfied": short == 0 and done[j] >= req.min_completions,
                    "completions_required": req.min_completions,
                    "completions_counted": done[j],
                    "weak_source": req.id in _index(version).weak,
                },
            )
        )

    results = [_result(it, by_item.get(id(it), {})) for it in items]
    counted_total = sum((it.counted for it in items), ZERO)
    total = trusted(
        Totals,
        {"required": required_total, "counted": counted_total, "short": max(ZERO, required_total - counted_total)},
    )
    return trusted(
        ComplianceReport,
        {
            "board": pack.id,
            "license_number": license.license_number,
            "rule_version": version.version,
            "cycle": cycle,
            "as_of": as_of,
            "first_renewal": first,
            "compliant": total.short == 0 and all(r.satisfied for r in req_results),
            "total": total,
            "requirements": req_results,
            "not_applicable": not_applicable,
            "completions": results,
            "caps": cap_use,
        },
    )


def _order(c: Completion) -> tuple[object, ...]:
    """Chronological, then by every field that can tell two completions apart: input order never matters."""
    return (c.completed_on, c.id, c.title, c.provider, c.credits.amount, c.credits.unit, c.format, c.activity)


def _first_renewal(license: License, cycle: Cycle, version: RuleVersion, board: str) -> bool | None:
    needed = version.total.first_renewal != "same" or any(r.skip_first_renewal for r in version.requirements)
    if license.renewal_number is not None:
        return license.renewal_number == 1
    if license.issued_on is not None:
        return license.issued_on >= cycle.start
    if needed:
        raise MissingFact(f"board {board} treats the first renewal differently: give renewal_number or issued_on")
    return None


def _required_total(license: License, cycle: Cycle, version: RuleVersion, first: bool | None, board: str) -> Decimal:
    rule = version.total
    hours = rule.hours
    if rule.by_degree:
        degree = license.attributes.get("degree_level")
        if degree is None:
            raise MissingFact(f"board {board} sets hours by degree: give attributes.degree_level")
        if degree not in rule.by_degree:
            raise InputError(f"board {board} has no hours for degree_level {degree!r}")
        hours = rule.by_degree[degree]
    if first:
        if rule.first_renewal == "exempt":
            return ZERO
        if rule.first_renewal == "hours" and rule.first_renewal_hours is not None:
            hours = rule.first_renewal_hours
    if version.cycle.prorate:
        hours = prorated(hours, cycle, version.cycle)
    return hours


def _applicable(
    license: License, cycle: Cycle, version: RuleVersion, first: bool | None, board: str
) -> tuple[list[tuple[Requirement, Decimal]], list[NotApplicable]]:
    out: list[tuple[Requirement, Decimal]] = []
    skipped: list[NotApplicable] = []
    exempt_first = bool(first) and version.total.first_renewal == "exempt"
    for req in version.requirements:
        why = _why_not(req, license, first, exempt_first, board)
        if why:
            skipped.append(NotApplicable(id=req.id, why=why))
            continue
        hours = prorated(req.hours, cycle, version.cycle) if req.prorate else req.hours
        out.append((req, hours))
    return out, skipped


def _why_not(req: Requirement, license: License, first: bool | None, exempt_first: bool, board: str) -> str | None:
    for attribute, expected in req.when.items():
        value = license.attributes.get(attribute)
        if value is None:
            raise MissingFact(
                f"board {board} requirement {req.id!r} depends on attributes.{attribute}: give it in the license"
            )
        if value != expected:
            return f"applies only when {attribute} is {str(expected).lower()}"
    if exempt_first and not req.at_exempt_first_renewal:
        return "the first renewal is exempt"
    if req.skip_first_renewal and first:
        return "does not apply at the first renewal"
    if req.scope == "one_time":
        done = set(license.history.one_time_completed)
        if done & set(req.categories):
            return "a one-time requirement already met in an earlier cycle"
    if req.scope == "every_n_renewals":
        assert req.n is not None
        if license.renewal_number is None:
            raise MissingFact(
                f"board {board} requirement {req.id!r} applies every {req.n} renewals: give renewal_number"
            )
        if (license.renewal_number - req.offset) % req.n:
            return f"applies every {req.n} renewals; renewal {license.renewal_number} is not one of them"
    return None


def _reject(it: _Item, code: str, message: str, rule: str | None = None) -> None:
    it.reasons.append(trusted(Reason, {"code": code, "message": message, "hours": it.hours, "rule": rule}))


def _filter(items: list[_Item], version: RuleVersion, cycle: Cycle, board: str) -> None:
    """Window, disciplinary, activity, approver and unit checks; then duplicates among what is left."""
    index = _index(version)
    conversions: dict[tuple[Decimal, str], Decimal | None] = {}
    start, end = cycle.start, cycle.end
    for it in items:
        c = it.completion
        key = (c.credits.amount, c.credits.unit)
        if key in conversions:
            converted = conversions[key]
        else:
            converted = conversions[key] = board_hours(c.credits, version.units)
        it.declared = converted
        it.hours = converted if converted is not None else c.credits.amount
        if c.activity != "carryover_in" and not start <= c.completed_on <= end:
            side = "before the cycle started" if c.completed_on < cycle.start else "after the cycle ended"
            edge = cycle.start if c.completed_on < cycle.start else cycle.end
            _reject(it, "outside_cycle", f"completed {c.completed_on}, {side} {edge}")
            continue
        if version.exclude_disciplinary and c.flags.get("disciplinary_order"):
            _reject(it, "disciplinary", "hours ordered as discipline do not count toward renewal")
            continue
        if c.activity == "carryover_in":
            it.categories = frozenset(c.categories)
            it.passed = it.hours > 0
            continue
        rule = index.activities.get(c.activity)
        if rule is None or not rule.eligible:
            _reject(it, "activity_not_eligible", f"board {board} gives no credit for {c.activity.replace('_', ' ')}")
            continue
        if rule.requires_flag and not c.flags.get(rule.requires_flag):
            _reject(
                it,
                "activity_not_eligible",
                f"{c.activity.replace('_', ' ')} counts only with {rule.requires_flag.replace('_', ' ')}",
            )
            continue
        if rule.approval_required and not _approved(c, version, index):
            given = ", ".join(c.approvals) or "no approval"
            _reject(it, "approver_not_accepted", f"approved by {given}; board {board} accepts {index.accepted}")
            continue
        if rule.fixed_hours is None and converted is None:
            _reject(it, "unit_unknown", f"board {board} gives no conversion for {c.credits.unit.replace('_', ' ')}")
            continue
        if rule.fixed_hours is not None or rule.multiplier != 1:
            hours = rule.fixed_hours if rule.fixed_hours is not None else it.hours
            it.hours = (hours * rule.multiplier).quantize(_CENT)
            it.declared = it.hours
        it.categories = (
            frozenset(c.categories).union(rule.adds_categories) if rule.adds_categories else frozenset(c.categories)
        )
        it.passed = True


def _approved(c: Completion, version: RuleVersion, index: _Index) -> bool:
    if c.flags.get("board_post_approval") and version.accept_board_post_approval:
        return True
    for body in c.approvals:
        for rule in index.approvers.get(body, ()):
            if rule.accepts(body, c.completed_on, c.format):
                return True
    return False


def _carry_in(items: list[_Item], version: RuleVersion, license: License, board: str) -> None:
    carried = [it for it in items if it.passed and it.completion.activity == "carryover_in"]
    if not carried:
        return
    rule = version.carry_over
    if rule is None:
        for it in carried:
            it.passed = False
            _reject(it, "carry_in_limit", f"board {board} does not allow hours carried in from a prior cycle")
        return
    allowed = rule.max_hours
    why = f"at most {rule.max_hours} hours may be carried in"
    prior = license.history.prior_cycle_hours
    if rule.requires_prior_over is not None or rule.limit_to_prior_excess:
        if prior is None:
            raise MissingFact(
                f"board {board} limits carried-in hours by the prior cycle: give history.prior_cycle_hours"
            )
        if rule.requires_prior_over is not None and prior <= rule.requires_prior_over:
            allowed = ZERO
            why = f"the prior cycle earned {prior} hours, not more than {rule.requires_prior_over}"
        if rule.limit_to_prior_excess:
            excess = max(ZERO, prior - version.total.hours)
            if excess < allowed:
                allowed = excess
                why = f"only the {excess} hours the prior cycle did not need may be carried in"
    for it in carried:
        take = min(it.hours, allowed)
        allowed -= take
        if take < it.hours:
            it.reasons.append(
                trusted(Reason, {"code": "carry_in_limit", "message": why, "hours": it.hours - take, "rule": None})
            )
        if take == 0:
            it.passed = False
        it.limit = take


def _cap_limit(cap: Cap, required_total: Decimal, version: RuleVersion, cycle: Cycle) -> Decimal:
    if cap.max_hours is not None:
        return prorated(cap.max_hours, cycle, version.cycle) if cap.prorate else cap.max_hours
    base = required_total if required_total > 0 else version.total.hours
    assert cap.max_fraction is not None
    return (base * cap.max_fraction).quantize(Decimal("0.01"))


def _cap_matches(cap: Cap, it: _Item) -> bool:
    c = it.completion
    m = cap.match
    if cap.applies_from and c.completed_on < cap.applies_from:
        return False
    if m.formats is not None and c.format not in m.formats:
        return False
    if m.activities is not None and c.activity not in m.activities:
        return False
    if m.categories is not None and not (it.categories & set(m.categories)):
        return False
    if m.flag_true is not None and not c.flags.get(m.flag_true):
        return False
    return not (m.flag_false is not None and c.flags.get(m.flag_false))


def _duplicate_groups(items: list[_Item]) -> list[list[_Item]]:
    """Completions that are the same course (same id, or same title from the same provider), in groups of two
    or more, each ordered by preference: most hours, then earliest, then id."""
    seen: set[tuple[str, ...]] = set()
    clash = False
    for it in items:
        if it.passed and it.completion.activity != "carryover_in":
            c = it.completion
            id_key = ("id", c.id)
            course_key = ("course", c.title.casefold(), c.provider.casefold()) if c.title else id_key
            if id_key in seen or course_key in seen:
                clash = True
                break
            seen.add(id_key)
            seen.add(course_key)
    if not clash:
        return []
    parent = list(range(len(items)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first: dict[tuple[str, ...], int] = {}
    for i, it in enumerate(items):
        if not it.passed or it.completion.activity == "carryover_in":
            continue
        c = it.completion
        keys: list[tuple[str, ...]] = [("id", c.id)]
        if c.title:
            keys.append(("course", c.title.casefold(), c.provider.casefold()))
        for key in keys:
            if key in first:
                parent[root(i)] = root(first[key])
            else:
                first[key] = i
    groups: dict[int, list[_Item]] = {}
    for i in first.values():
        groups.setdefault(root(i), [])
    for i, it in enumerate(items):
        if it.passed and it.completion.activity != "carryover_in" and root(i) in groups:
            groups[root(i)].append(it)
    out = [sorted(g, key=lambda it: (-it.hours, it.completion.completed_on)) for g in groups.values() if len(g) > 1]
    return sorted(out, key=lambda g: (g[0].completion.completed_on, g[0].completion.id))


_MAX_CHOICES = 64


def _apply_caps(items: list[_Item], version: RuleVersion, required_total: Decimal, cycle: Cycle) -> dict[str, Decimal]:
    """Keep one completion of each duplicate group, then apply the caps in chronological order.

    Caps are chronological: the earliest hours count and a later completion is cut. Which member of a duplicate
    group counts is chosen to count the most hours in total (every combination is tried, up to 64), so adding
    a repeat of a course never lowers what counts; past 64 the preferred member (most hours) is kept.
    """
    limits = {cap.id: _cap_limit(cap, required_total, version, cycle) for cap in version.caps}
    groups = _duplicate_groups(items)
    if groups:
        size = 1
        for g in groups:
            size *= len(g)
        choices = itertools.product(*groups) if size <= _MAX_CHOICES else iter([tuple(g[0] for g in groups)])
        best: tuple[_Item, ...] | None = None
        best_total = Decimal(-1)
        for choice in choices:
            keep = {id(k) for k in choice}
            skip = {id(m) for g in groups for m in g if id(m) not in keep}
            total = sum(_cap_pass(items, version, limits, skip)[0], ZERO)
            if total > best_total:
                best, best_total = choice, total
        assert best is not None
        for g, kept in zip(groups, best, strict=True):
            for it in g:
                if it is not kept:
                    it.passed = False
                    _reject(
                        it,
                        "duplicate",
                        f"same course as {kept.completion.id!r} completed {kept.completion.completed_on}; "
                        "a course counts once per cycle",
                    )
    counted, used, binding = _cap_pass(items, version, limits, set())
    for it, take, cap in zip(items, counted, binding, strict=True):
        if not it.passed:
            continue
        before = it.hours if it.limit is None else it.limit
        if cap is not None and take < before:
            it.reasons.append(
                trusted(
                    Reason,
                    {
                        "code": "over_cap",
                        "message": f"over the cap: {cap.title}, at most {limits[cap.id]} hours",
                        "hours": before - take,
                        "rule": cap.id,
                    },
                )
            )
        it.counted = take
    return used


def _cap_pass(
    items: list[_Item], version: RuleVersion, limits: dict[str, Decimal], skip: set[int]
) -> tuple[list[Decimal], dict[str, Decimal], list[Cap | None]]:
    """One chronological pass: hours each completion counts, hours each cap took, and the cap that cut each."""
    room = dict(limits)
    used = dict.fromkeys(limits, ZERO)
    counted: list[Decimal] = []
    binding: list[Cap | None] = []
    for it in items:
        if not it.passed or id(it) in skip:
            counted.append(ZERO)
            binding.append(None)
            continue
        take = it.hours if it.limit is None else it.limit
        cut: Cap | None = None
        matching = [cap for cap in version.caps if _cap_matches(cap, it)]
        for cap in matching:
            if room[cap.id] < take:
                take = room[cap.id]
                cut = cap
        for cap in matching:
            room[cap.id] -= take
            used[cap.id] += take
        counted.append(take)
        binding.append(cut)
    return counted, used, binding


def _mark_serves(items: list[_Item], applicable: list[tuple[Requirement, Decimal]]) -> None:
    """Which requirements each passed completion can serve, by category (or ``any``) and format."""
    by_category: dict[str, list[int]] = {}
    every: list[int] = []
    for j, (req, _) in enumerate(applicable):
        if ANY_CATEGORY in req.categories:
            every.append(j)
        for cat in req.categories:
            by_category.setdefault(cat, []).append(j)
    for it in items:
        if not it.passed or not (every or it.categories):
            continue
        found = set(every)
        for cat in it.categories:
            found.update(by_category.get(cat, ()))
        if not found:
            continue
        fmt = it.completion.format
        it.serves = tuple(
            j
            for j in sorted(found)
            if applicable[j][0].formats is None or fmt in applicable[j][0].formats  # type: ignore[operator]
        )


def _allocate(items: list[_Item], applicable: list[tuple[Requirement, Decimal]]) -> list[dict[int, Decimal]]:
    supply = [int(it.counted * _HUNDRED) for it in items]
    demand = [int(hours * _HUNDRED) for _, hours in applicable]
    edges = [[j for j in it.serves if applicable[j][1] > 0 and not applicable[j][0].independent] for it in items]
    flows = allocate(supply, demand, edges)
    out = [{j: Decimal(v) / _HUNDRED for j, v in f.items()} for f in flows]
    # Independent requirements take hours that already serve another requirement: earliest hours first.
    for j, (req, hours) in enumerate(applicable):
        if not req.independent:
            continue
        room = hours
        for it, a in zip(items, out, strict=True):
            if room <= 0:
                break
            if j in it.serves:
                take = min(room, it.counted)
                a[j] = take
                room -= take
    return out


def _result(it: _Item, allocation: dict[str, Decimal]) -> CompletionResult:
    c = it.completion
    declared = it.hours
    counted = it.counted
    if counted == 0:
        status = "rejected"
    elif counted < declared:
        status = "partially_accepted"
    else:
        status = "accepted"
    return trusted(
        CompletionResult,
        {
            "id": c.id,
            "title": c.title,
            "completed_on": c.completed_on,
            "status": status,
            "hours_declared": declared,
            "hours_counted": counted,
            "hours_rejected": declared - counted,
            "counts_toward": (["total", *allocation] if counted > 0 else []),
            "allocation": allocation,
            "reasons": it.reasons,
        },
    )
