"""What each license makes of an offering, mirroring the engine's rules for one new completion.

The engine (``cebridge.domain.engine``) decides what a completion earns; the planner must predict it for
courses not yet taken. :meth:`LicenseView.fact` applies the same checks in the same order (cycle, disciplinary
hours, activity, approver on that day and format, units, fixed hours and multiplier) and
:class:`LicenseView` holds what the current report says is still open: requirement demands, hours that
existing completions supply, and the room left under each cap. Every plan is checked against the engine
afterwards, so a difference here shows up as a rejected candidate, never as a wrong plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import cached_property

from cebridge.domain.base import ZERO
from cebridge.domain.completion import Completion, CreditOffering
from cebridge.domain.cycles import prorated
from cebridge.domain.rules import ANY_CATEGORY, ActivityRule, Cap, Requirement, RuleVersion
from cebridge.domain.units import board_hours
from cebridge.domain.vocab import ACTIVITIES
from cebridge.errors import InputError

from .inputs import LicenseState

_CENT = Decimal("0.01")
#: Reason codes the engine gives when a completion fails a filter (as opposed to being cut by a cap).
FILTER_CODES = frozenset(
    {"outside_cycle", "disciplinary", "activity_not_eligible", "approver_not_accepted", "unit_unknown", "duplicate"}
)


@dataclass(frozen=True)
class Need:
    """One requirement of one license as the plan sees it."""

    id: str
    title: str
    requirement: Requirement
    required: Decimal
    counted: Decimal
    short: Decimal
    completions_short: int

    @property
    def independent(self) -> bool:
        """Counted alongside the others: its hours may also feed another requirement (engine semantics)."""
        return bool(getattr(self.requirement, "independent", False))

    @cached_property
    def _match(self) -> tuple[frozenset[str] | None, bool, frozenset[str]]:
        req = self.requirement
        formats = frozenset(req.formats) if req.formats is not None else None
        return formats, ANY_CATEGORY in req.categories, frozenset(req.categories)

    def serves(self, fmt: str, categories: frozenset[str]) -> bool:
        """Whether an hour of this format and these categories can count toward this requirement."""
        formats, anything, cats = self._match
        if formats is not None and fmt not in formats:
            return False
        return anything or not cats.isdisjoint(categories)


@dataclass(frozen=True)
class Supply:
    """Hours an existing completion already counts, and the requirements (indexes) they may feed."""

    id: str
    hours: Decimal
    serves: frozenset[int]


@dataclass(frozen=True)
class Room:
    """A cap and the hours still allowed under it."""

    cap: Cap
    room: Decimal


@dataclass(frozen=True)
class Fact:
    """What one license makes of one offering completed on one day."""

    accepted: bool
    code: str | None  # the engine's reason code when not accepted
    hours: Decimal  # board hours after conversion, fixed hours and multiplier
    serves: frozenset[int]  # requirements with hours > 0 its hours may feed (independent ones too)
    completes: frozenset[int]  # requirements with a completion minimum it counts toward
    caps: frozenset[int]  # caps (index into LicenseView.rooms) it falls under


REJECTED = Fact(False, None, ZERO, frozenset(), frozenset(), frozenset())


class LicenseView:
    """One license's open requirements, existing supplies and cap room, from its current report."""

    def __init__(self, state: LicenseState, completions: tuple[Completion, ...]) -> None:
        self.state = state
        self.board = state.board
        self.version: RuleVersion = state.version()
        report = state.report
        self.cycle = report.cycle
        self.deadline = report.cycle.end
        by_id = {r.id: r for r in self.version.requirements}
        self.needs = [
            Need(
                id=r.id,
                title=r.title,
                requirement=by_id[r.id],
                required=r.required,
                counted=r.counted,
                short=r.short,
                completions_short=max(0, r.completions_required - r.completions_counted),
            )
            for r in report.requirements
            if r.id in by_id
        ]
        self.total_required = report.total.required
        self.total_counted = report.total.counted
        self.total_short = report.total.short
        self.rooms = [
            Room(cap, max(ZERO, self._limit(cap) - report.caps.get(cap.id, ZERO))) for cap in self.version.caps
        ]
        self.activity_rules = {a: _activity_rule(self.version, a) for a in ACTIVITIES}
        self.supplies, self.passed_keys = self._existing(completions)
        self._accept: dict[tuple[object, ...], str | None] = {}
        self._hours: dict[tuple[object, ...], Decimal] = {}
        self._served: dict[tuple[object, ...], tuple[frozenset[str], frozenset[int], frozenset[int]]] = {}
        self._caps: dict[tuple[object, ...], frozenset[int]] = {}
        self._facts: dict[tuple[object, ...], Fact] = {}  # one object per distinct answer
        self._cap_flags = sorted(
            {n for r in self.rooms for n in (r.cap.match.flag_true, r.cap.match.flag_false) if n is not None}
        )

    def changes(self, start: date, end: date) -> list[date]:
        """Days in ``(start, end]`` on which the rules' view of an offering may change: an approval starts or
        lapses, a cap starts to apply."""
        days: set[date] = set()
        for rule in self.version.approvers:
            if rule.valid_from:
                days.add(rule.valid_from)
            if rule.valid_to:
                days.add(rule.valid_to + timedelta(days=1))
        days |= {r.cap.applies_from for r in self.rooms if r.cap.applies_from}
        return sorted(d for d in days if start < d <= end)

    @property
    def open(self) -> bool:
        """Whether anything is still short."""
        return self.total_short > 0 or any(n.short > 0 or n.completions_short > 0 for n in self.needs)

    def _limit(self, cap: Cap) -> Decimal:
        if cap.max_hours is not None:
            return prorated(cap.max_hours, self.cycle, self.version.cycle) if cap.prorate else cap.max_hours
        base = self.total_required if self.total_required > 0 else self.version.total.hours
        assert cap.max_fraction is not None
        return (base * cap.max_fraction).quantize(_CENT)

    def _existing(self, completions: tuple[Completion, ...]) -> tuple[list[Supply], set[tuple[str, ...]]]:
        """Existing completions' counted hours, matched to the report by the engine's (date, id) order."""
        ordered = sorted(completions, key=lambda c: (c.completed_on, c.id))
        results = self.state.report.completions
        supplies: list[Supply] = []
        keys: set[tuple[str, ...]] = set()
        if len(ordered) != len(results) or any(c.id != r.id for c, r in zip(ordered, results, strict=False)):
            raise InputError(
                f"the {self.board} report was computed from {len(results)} completions, not the {len(ordered)} "
                "given: plan with the same completions the report was made from"
            )
        for c, r in zip(ordered, results, strict=True):
            passed = not any(reason.code in FILTER_CODES for reason in r.reasons)
            if passed and c.activity != "carryover_in":
                keys.add(("id", c.id))
                if c.title:
                    keys.add(("course", c.title.casefold(), c.provider.casefold()))
            if r.hours_counted > 0:
                adds = frozenset() if c.activity == "carryover_in" else self._adds(c.activity)
                cats = frozenset(c.categories) | adds
                idx = frozenset(i for i, n in enumerate(self.needs) if n.required > 0 and n.serves(c.format, cats))
                supplies.append(Supply(c.id, r.hours_counted, idx))
        return supplies, keys

    def _adds(self, activity: str) -> frozenset[str]:
        rule = self.activity_rules.get(activity)
        return frozenset(rule.adds_categories) if rule else frozenset()

    def fact(self, offering: CreditOffering, on: date) -> Fact:
        """What this license makes of ``offering`` completed ``on`` (the engine's filters, in its order).

        Each part of the answer (acceptance, hours, requirements served, caps) depends on a few fields only and
        is remembered by them: a catalog of thousands repeats the same approvals, units and categories."""
        if ("id", offering.id) in self.passed_keys or (
            offering.title and ("course", offering.title.casefold(), offering.provider.casefold()) in self.passed_keys
        ):
            return _rejected("duplicate")
        flags = offering.flags
        rule = self.activity_rules.get(offering.activity)
        flag_ok = not (rule and rule.requires_flag) or bool(flags.get(rule.requires_flag or ""))
        akey = (
            offering.activity,
            tuple(offering.approvals),
            offering.format,
            on,
            bool(flags.get("board_post_approval")),
            bool(flags.get("disciplinary_order")),
            flag_ok,
        )
        code = self._accept.get(akey, "?")
        if code == "?":
            code = self._accept[akey] = _acceptance(self, offering, rule, on, flag_ok)
        if code is not None:
            return _rejected(code)
        assert rule is not None
        hkey = (offering.activity, offering.credits.amount, offering.credits.unit)
        hours = self._hours.get(hkey)
        if hours is None:
            hours = self._hours[hkey] = _hours(self, offering, rule)
        if hours < 0:
            return _rejected("unit_unknown")
        skey = (offering.format, offering.activity, tuple(offering.categories))
        served = self._served.get(skey)
        if served is None:
            served = self._served[skey] = _served(self, offering, rule)
        categories, serves, completes = served
        ckey = (skey, tuple(bool(flags.get(n)) for n in self._cap_flags), on)
        caps = self._caps.get(ckey)
        if caps is None:
            caps = self._caps[ckey] = frozenset(
                i for i, r in enumerate(self.rooms) if _cap_matches(r.cap, offering, categories, on)
            )
        fkey = (hours, serves, completes, caps)
        fact = self._facts.get(fkey)
        if fact is None:
            fact = self._facts[fkey] = Fact(True, None, hours, serves, completes, caps)
        return fact


_REJECTED: dict[str, Fact] = {}


def _rejected(code: str) -> Fact:
    got = _REJECTED.get(code)
    if got is None:
        got = _REJECTED[code] = Fact(False, code, ZERO, frozenset(), frozenset(), frozenset())
    return got


def _acceptance(
    view: LicenseView, offering: CreditOffering, rule: ActivityRule | None, on: date, flag_ok: bool
) -> str | None:
    """The engine's filters in its order: None when accepted, else the reason code."""
    version = view.version
    if not view.cycle.contains(on):
        return "outside_cycle"
    if version.exclude_disciplinary and offering.flags.get("disciplinary_order"):
        return "disciplinary"
    if rule is None or not rule.eligible or not flag_ok:
        return "activity_not_eligible"
    if rule.approval_required and not _approved(offering, version, on):
        return "approver_not_accepted"
    return None


def _hours(view: LicenseView, offering: CreditOffering, rule: ActivityRule) -> Decimal:
    """Board hours after conversion, fixed hours and multiplier; -1 when the unit has no conversion."""
    converted = board_hours(offering.credits, view.version.units)
    if rule.fixed_hours is None and converted is None:
        return Decimal(-1)
    base = rule.fixed_hours if rule.fixed_hours is not None else converted
    assert base is not None
    return (base * rule.multiplier).quantize(_CENT)


def _served(
    view: LicenseView, offering: CreditOffering, rule: ActivityRule
) -> tuple[frozenset[str], frozenset[int], frozenset[int]]:
    categories = frozenset(offering.categories) | frozenset(rule.adds_categories)
    serves = frozenset(i for i, n in enumerate(view.needs) if n.required > 0 and n.serves(offering.format, categories))
    completes = frozenset(
        i
        for i, n in enumerate(view.needs)
        if n.requirement.min_completions > 0 and n.serves(offering.format, categories)
    )
    return categories, serves, completes


_COURSE_DEFAULT = ActivityRule(activity="course", source=["(default)"])


def _activity_rule(version: RuleVersion, activity: str) -> ActivityRule | None:
    for rule in version.activities:
        if rule.activity == activity:
            return rule
    return _COURSE_DEFAULT if activity == "course" else None


def _approved(offering: CreditOffering, version: RuleVersion, on: date) -> bool:
    if offering.flags.get("board_post_approval") and version.accept_board_post_approval:
        return True
    return any(rule.accepts(body, on, offering.format) for body in offering.approvals for rule in version.approvers)


def _cap_matches(cap: Cap, offering: CreditOffering, categories: frozenset[str], on: date) -> bool:
    m = cap.match
    if cap.applies_from and on < cap.applies_from:
        return False
    if m.formats is not None and offering.format not in m.formats:
        return False
    if m.activities is not None and offering.activity not in m.activities:
        return False
    if m.categories is not None and not (categories & set(m.categories)):
        return False
    if m.flag_true is not None and not offering.flags.get(m.flag_true):
        return False
    return not (m.flag_false is not None and offering.flags.get(m.flag_false))


def category_match(view: LicenseView, need: Need, offering: CreditOffering) -> bool:
    """Whether ``offering``'s declared categories and format could serve ``need`` (approval aside)."""
    rule = view.activity_rules.get(offering.activity)
    adds = frozenset(rule.adds_categories) if rule else frozenset()
    return need.serves(offering.format, frozenset(offering.categories) | adds)
