"""What each license makes of an offering, mirroring the engine's rules for one new completion.

The engine (``cebridge.domain.engine``) decides what a completion earns; the planner must predict it for
courses not yet taken. :func:`offering_fact` applies the same checks in the same order (cycle, disciplinary
hours, activity, approver on that day and format, units, fixed hours and multiplier) and
:class:`LicenseView` holds what the current report says is still open: requirement demands, hours that
existing completions supply, and the room left under each cap. Every plan is checked against the engine
afterwards, so a difference here shows up as a rejected candidate, never as a wrong plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from cebridge.domain.base import ZERO
from cebridge.domain.completion import Completion, CreditOffering
from cebridge.domain.cycles import prorated
from cebridge.domain.rules import ANY_CATEGORY, ActivityRule, Cap, Requirement, RuleVersion
from cebridge.domain.units import board_hours

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

    def serves(self, fmt: str, categories: frozenset[str]) -> bool:
        """Whether an hour of this format and these categories can count toward this requirement."""
        req = self.requirement
        if req.formats is not None and fmt not in req.formats:
            return False
        return ANY_CATEGORY in req.categories or bool(categories & set(req.categories))


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
    serves: frozenset[int]  # requirements with hours > 0 its hours may feed
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
        self.supplies, self.passed_keys = self._existing(completions)

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
        if len(ordered) != len(results):
            # The report was computed from other completions: keep its allocation as it is.
            for r in results:
                if r.hours_counted > 0:
                    idx = frozenset(i for i, n in enumerate(self.needs) if n.id in r.allocation)
                    supplies.append(Supply(r.id, r.hours_counted, idx))
                keys.add(("id", r.id))
            return supplies, keys
        for c, r in zip(ordered, results, strict=True):
            passed = not any(reason.code in FILTER_CODES for reason in r.reasons)
            if passed and c.activity != "carryover_in":
                keys.add(("id", c.id))
                if c.title:
                    keys.add(("course", c.title.casefold(), c.provider.casefold()))
            if r.hours_counted > 0:
                adds = frozenset() if c.activity == "carryover_in" else self._adds(c.activity)
                cats = frozenset(c.categories) | adds
                idx = frozenset(
                    i for i, n in enumerate(self.needs) if n.required > 0 and n.serves(c.format, cats)
                )
                supplies.append(Supply(c.id, r.hours_counted, idx))
        return supplies, keys

    def _adds(self, activity: str) -> frozenset[str]:
        rule = _activity_rule(self.version, activity)
        return frozenset(rule.adds_categories) if rule else frozenset()

    def fact(self, offering: CreditOffering, on: date) -> Fact:
        """What this license makes of ``offering`` completed ``on`` (the engine's filters, in its order)."""
        return offering_fact(self, offering, on)


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


def offering_fact(view: LicenseView, offering: CreditOffering, on: date) -> Fact:
    """What ``view``'s license makes of ``offering`` completed ``on``."""
    version = view.version
    if not view.cycle.contains(on):
        return Fact(False, "outside_cycle", ZERO, frozenset(), frozenset(), frozenset())
    if ("id", offering.id) in view.passed_keys or (
        offering.title and ("course", offering.title.casefold(), offering.provider.casefold()) in view.passed_keys
    ):
        return Fact(False, "duplicate", ZERO, frozenset(), frozenset(), frozenset())
    if version.exclude_disciplinary and offering.flags.get("disciplinary_order"):
        return Fact(False, "disciplinary", ZERO, frozenset(), frozenset(), frozenset())
    rule = _activity_rule(version, offering.activity)
    if rule is None or not rule.eligible or (rule.requires_flag and not offering.flags.get(rule.requires_flag)):
        return Fact(False, "activity_not_eligible", ZERO, frozenset(), frozenset(), frozenset())
    if rule.approval_required and not _approved(offering, version, on):
        return Fact(False, "approver_not_accepted", ZERO, frozenset(), frozenset(), frozenset())
    converted = board_hours(offering.credits, version.units)
    if rule.fixed_hours is None and converted is None:
        return Fact(False, "unit_unknown", ZERO, frozenset(), frozenset(), frozenset())
    base = rule.fixed_hours if rule.fixed_hours is not None else converted
    assert base is not None
    hours = (base * rule.multiplier).quantize(_CENT)
    categories = frozenset(offering.categories) | frozenset(rule.adds_categories)
    serves = frozenset(
        i for i, n in enumerate(view.needs) if n.required > 0 and n.serves(offering.format, categories)
    )
    completes = frozenset(
        i
        for i, n in enumerate(view.needs)
        if n.requirement.min_completions > 0 and n.serves(offering.format, categories)
    )
    caps = frozenset(i for i, r in enumerate(view.rooms) if _cap_matches(r.cap, offering, categories, on))
    return Fact(True, None, hours, serves, completes, caps)


def category_match(view: LicenseView, need: Need, offering: CreditOffering) -> bool:
    """Whether ``offering``'s declared categories and format could serve ``need`` (approval aside)."""
    rule = _activity_rule(view.version, offering.activity)
    adds = frozenset(rule.adds_categories) if rule else frozenset()
    return need.serves(offering.format, frozenset(offering.categories) | adds)
