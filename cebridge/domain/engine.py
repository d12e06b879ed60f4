"""The compliance engine: a license, its completions and its board's rules in; a ComplianceReport out.

Order of evaluation (shared/docs/domain.md §2): resolve the cycle and the rule version; for each completion,
window, duplicates, activity, approver, units, carry-in; then caps in chronological order; then the exact
allocation of counted hours to category requirements; then the totals. Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from cebridge.domain.allocation import allocate
from cebridge.domain.base import ZERO
from cebridge.domain.completion import Completion
from cebridge.domain.cycles import derive_cycle, prorated
from cebridge.domain.license import Cycle, License
from cebridge.domain.report import (
    CompletionResult,
    ComplianceReport,
    CreditAward,
    NotApplicable,
    Reason,
    RequirementResult,
    Totals,
)
from cebridge.domain.rules import ANY_CATEGORY, ActivityRule, Cap, Requirement, RulePack, RuleVersion
from cebridge.domain.units import board_hours
from cebridge.errors import InputError, MissingFact

_HUNDRED = Decimal(100)
_COURSE_DEFAULT = ActivityRule(activity="course", source=["(default)"])


@dataclass
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

    items = [_Item(c) for c in sorted(completions, key=lambda c: (c.completed_on, c.id))]
    _filter(items, version, cycle, pack.id)
    _carry_in(items, version, license, pack.id)
    cap_use = _apply_caps(items, version, required_total, cycle)

    counted_items = [it for it in items if it.counted > 0]
    alloc = _allocate(counted_items, applicable)

    req_results = []
    for j, (req, hours) in enumerate(applicable):
        got = sum((a.get(j, ZERO) for a in alloc), ZERO)
        done = sum(1 for it in items if it.passed and _serves(it, req))
        short = max(ZERO, hours - got)
        req_results.append(
            RequirementResult(
                id=req.id,
                title=req.title,
                category=req.categories[0],
                categories=list(req.categories),
                required=hours,
                counted=got,
                short=short,
                satisfied=short == 0 and done >= req.min_completions,
                completions_required=req.min_completions,
                completions_counted=done,
                weak_source=version.is_weak(req),
            )
        )

    results: list[CompletionResult] = []
    awards: list[CreditAward] = []
    by_id = {id(it): a for it, a in zip(counted_items, alloc, strict=True)}
    for it in items:
        allocation = {applicable[j][0].id: v for j, v in by_id.get(id(it), {}).items() if v > 0}
        results.append(_result(it, allocation))
        if it.counted > 0:
            awards.append(
                CreditAward(
                    completion_id=it.completion.id, requirement="total", hours=it.counted, rule_version=version.version
                )
            )
            awards += [
                CreditAward(completion_id=it.completion.id, requirement=r, hours=h, rule_version=version.version)
                for r, h in allocation.items()
            ]

    counted_total = sum((it.counted for it in items), ZERO)
    total = Totals(required=required_total, counted=counted_total, short=max(ZERO, required_total - counted_total))
    return ComplianceReport(
        board=pack.id,
        license_number=license.license_number,
        rule_version=version.version,
        cycle=cycle,
        as_of=as_of,
        first_renewal=first,
        compliant=total.short == 0 and all(r.satisfied for r in req_results),
        total=total,
        requirements=req_results,
        not_applicable=not_applicable,
        completions=results,
        caps=cap_use,
        awards=awards,
    )


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


def _activity_rule(version: RuleVersion, activity: str) -> ActivityRule | None:
    for rule in version.activities:
        if rule.activity == activity:
            return rule
    return _COURSE_DEFAULT if activity == "course" else None


def _reject(it: _Item, code: str, message: str, rule: str | None = None) -> None:
    it.reasons.append(Reason(code=code, message=message, hours=it.hours, rule=rule))


def _filter(items: list[_Item], version: RuleVersion, cycle: Cycle, board: str) -> None:
    """Window, disciplinary, activity, approver and unit checks; then duplicates among what is left."""
    for it in items:
        c = it.completion
        converted = board_hours(c.credits, version.units)
        it.declared = converted
        it.hours = converted if converted is not None else c.credits.amount
        if c.activity != "carryover_in" and not cycle.contains(c.completed_on):
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
        rule = _activity_rule(version, c.activity)
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
        if rule.approval_required and not _approved(c, version):
            given = ", ".join(c.approvals) or "no approval"
            _reject(
                it,
                "approver_not_accepted",
                f"approved by {given}; board {board} accepts {', '.join(_accepted(version))}",
            )
            continue
        if rule.fixed_hours is None and converted is None:
            _reject(it, "unit_unknown", f"board {board} gives no conversion for {c.credits.unit.replace('_', ' ')}")
            continue
        hours = rule.fixed_hours if rule.fixed_hours is not None else it.hours
        it.hours = (hours * rule.multiplier).quantize(Decimal("0.01"))
        it.declared = it.hours
        it.categories = frozenset(c.categories) | frozenset(rule.adds_categories)
        it.passed = True
    _dedupe(items)


def _dedupe(items: list[_Item]) -> None:
    """A course counts once per cycle: of the same id, or the same title from the same provider, keep the
    one worth most hours (then the earliest), so adding a repeat never lowers what counts."""
    groups: dict[tuple[str, ...], list[_Item]] = {}
    for it in items:
        if not it.passed or it.completion.activity == "carryover_in":
            continue
        c = it.completion
        keys: list[tuple[str, ...]] = [("id", c.id)]
        if c.title:
            keys.append(("course", c.title.casefold(), c.provider.casefold()))
        for key in keys:
            groups.setdefault(key, []).append(it)
    for group in groups.values():
        if len(group) < 2:
            continue
        keep = max(group, key=lambda it: (it.hours, -it.completion.completed_on.toordinal(), _neg(it.completion.id)))
        for it in group:
            if it is not keep and it.passed:
                it.passed = False
                _reject(
                    it,
                    "duplicate",
                    f"same course as {keep.completion.id!r} completed {keep.completion.completed_on}; "
                    "a course counts once per cycle",
                )


def _neg(text: str) -> tuple[int, ...]:
    return tuple(-ord(ch) for ch in text)


def _approved(c: Completion, version: RuleVersion) -> bool:
    if c.flags.get("board_post_approval") and version.accept_board_post_approval:
        return True
    return any(rule.accepts(body, c.completed_on, c.format) for body in c.approvals for rule in version.approvers)


def _accepted(version: RuleVersion) -> list[str]:
    return sorted({rule.body for rule in version.approvers})


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
            it.reasons.append(Reason(code="carry_in_limit", message=why, hours=it.hours - take))
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


def _apply_caps(items: list[_Item], version: RuleVersion, required_total: Decimal, cycle: Cycle) -> dict[str, Decimal]:
    """Caps in chronological order: the earliest hours count; the later completion is cut."""
    room = {cap.id: _cap_limit(cap, required_total, version, cycle) for cap in version.caps}
    used = {cap.id: ZERO for cap in version.caps}
    for it in items:
        if not it.passed:
            continue
        before = it.hours if it.limit is None else it.limit
        take = before
        binding: Cap | None = None
        for cap in version.caps:
            if _cap_matches(cap, it) and room[cap.id] < take:
                take = room[cap.id]
                binding = cap
        for cap in version.caps:
            if _cap_matches(cap, it):
                room[cap.id] -= take
                used[cap.id] += take
        if binding is not None and take < before:
            it.reasons.append(
                Reason(
                    code="over_cap",
                    message=f"over the cap: {binding.title}, at most "
                    f"{_cap_limit(binding, required_total, version, cycle)} hours",
                    hours=before - take,
                    rule=binding.id,
                )
            )
        it.counted = take
    return used


def _serves(it: _Item, req: Requirement) -> bool:
    if req.formats is not None and it.completion.format not in req.formats:
        return False
    return ANY_CATEGORY in req.categories or bool(it.categories & set(req.categories))


def _allocate(items: list[_Item], applicable: list[tuple[Requirement, Decimal]]) -> list[dict[int, Decimal]]:
    supply = [int(it.counted * _HUNDRED) for it in items]
    demand = [int(hours * _HUNDRED) for _, hours in applicable]
    edges = [[j for j, (req, hours) in enumerate(applicable) if hours > 0 and _serves(it, req)] for it in items]
    flows = allocate(supply, demand, edges)
    return [{j: Decimal(v) / _HUNDRED for j, v in f.items()} for f in flows]


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
    return CompletionResult(
        id=c.id,
        title=c.title,
        completed_on=c.completed_on,
        status=status,
        hours_declared=declared,
        hours_counted=counted,
        hours_rejected=declared - counted,
        counts_toward=(["total", *allocation] if counted > 0 else []),
        allocation=allocation,
        reasons=it.reasons,
    )
