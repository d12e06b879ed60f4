"""What the planner is asked: the licenses to close, the catalog to choose from, and the limits.

Validation here turns bad input (a negative budget, a catalog with two offerings under one id, a category no
board knows) into an :class:`~cebridge.errors.InputError` that names the problem, before any solving starts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from cebridge.domain.completion import Completion, CreditOffering
from cebridge.domain.license import License
from cebridge.domain.report import ComplianceReport
from cebridge.domain.rules import RulePack, RuleVersion
from cebridge.domain.vocab import CATEGORIES
from cebridge.errors import InputError


@dataclass(frozen=True)
class LicenseState:
    """One license to plan for: the license, its board's rules and where it stands now.

    ``report`` is the engine's report for the clinician's completions (the same completions handed to the
    planner); the planner reads the open requirements, the caps already used and the cycle end from it.
    """

    license: License
    pack: RulePack
    report: ComplianceReport

    @property
    def board(self) -> str:
        """The rule pack id, which names this license in a plan."""
        return self.pack.id

    @property
    def deadline(self) -> date:
        """The last day a completion counts: the cycle's end."""
        return self.report.cycle.end

    def version(self) -> RuleVersion:
        """The rule version the report was computed under."""
        for version in self.pack.versions:
            if version.version == self.report.rule_version:
                return version
        raise InputError(
            f"the report for {self.board} names rules {self.report.rule_version!r}, which the pack does not have"
        )


def _decimal(value: object, name: str) -> Decimal:
    """An amount given as int, str or float, as the Decimal it reads as (``0.1`` stays 0.1)."""
    if isinstance(value, bool) or not isinstance(value, int | str | float):
        raise InputError(f"{name.replace('_', ' ')} must be a number, not {type(value).__name__}")
    try:
        out = Decimal(str(value))
    except ArithmeticError:
        raise InputError(f"{name.replace('_', ' ')} {value!r} is not a number") from None
    if not out.is_finite():
        raise InputError(f"{name.replace('_', ' ')} {value!r} is not a number")
    return out


def _normal(topic: str) -> str:
    return " ".join(topic.casefold().replace("_", " ").replace("-", " ").split())


@dataclass(frozen=True)
class PlanOptions:
    """The limits and wishes a plan respects.

    ``budget`` caps what closing the gaps may cost; ``goal_budget`` is extra money the clinician will spend on
    courses in the ``goals`` topics. ``hours_per_week`` caps the clock hours of study in any week.
    ``as_of`` is today: no session before it is offered, and weeks are counted from its week.
    """

    as_of: date
    budget: Decimal | None = None
    hours_per_week: Decimal | None = None
    goals: tuple[str, ...] = ()
    goal_budget: Decimal | None = None
    time_limit: float | None = None

    def __post_init__(self) -> None:
        for name in ("budget", "goal_budget", "hours_per_week"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, Decimal):
                object.__setattr__(self, name, _decimal(value, name))
        if self.budget is not None and self.budget < 0:
            raise InputError(f"budget must not be negative, got {self.budget}")
        if self.goal_budget is not None and self.goal_budget < 0:
            raise InputError(f"goal budget must not be negative, got {self.goal_budget}")
        if self.hours_per_week is not None and self.hours_per_week <= 0:
            raise InputError(f"hours per week must be more than 0, got {self.hours_per_week}")
        for goal in self.goals:
            if not _normal(goal):
                raise InputError("a goal topic must not be empty")

    @property
    def goal_keys(self) -> tuple[str, ...]:
        """Goal topics normalised (case, ``-``/``_`` and spaces folded), without repeats, in given order."""
        return tuple(dict.fromkeys(_normal(g) for g in self.goals))


def offering_topics(offering: CreditOffering) -> frozenset[str]:
    """The normalised topics an offering covers: its topics and its categories."""
    return frozenset(_normal(t) for t in [*offering.topics, *offering.categories] if _normal(t))


@dataclass(frozen=True)
class PlanRequest:
    """Everything one plan is computed from."""

    licenses: tuple[LicenseState, ...]
    catalog: tuple[CreditOffering, ...]
    completions: tuple[Completion, ...] = ()
    options: PlanOptions = field(default_factory=lambda: PlanOptions(as_of=date(2000, 1, 1)))

    def __post_init__(self) -> None:
        if not self.licenses:
            raise InputError("a plan needs at least one license")
        boards = [s.board for s in self.licenses]
        for s in self.licenses:
            if s.license.board != s.pack.id:
                raise InputError(f"license is for board {s.license.board!r}, rules given are {s.pack.id!r}")
            if s.report.board != s.pack.id:
                raise InputError(f"the report is for board {s.report.board!r}, the license for {s.pack.id!r}")
        if len(set(boards)) != len(boards):
            raise InputError(f"each board may be given once; got {', '.join(boards)}")
        seen: set[str] = set()
        for offering in self.catalog:
            if offering.id in seen:
                raise InputError(f"catalog: two offerings have the id {offering.id!r}")
            seen.add(offering.id)
        currencies = {o.price.currency.upper() for o in self.catalog}
        if len(currencies) > 1:
            raise InputError(f"catalog: prices are in several currencies ({', '.join(sorted(currencies))})")
        known = set(CATEGORIES)
        for s in self.licenses:
            known |= set(s.version().extra_categories)
        for offering in self.catalog:
            bad = [c for c in offering.categories if c not in known]
            if bad:
                raise InputError(f"catalog offering {offering.id!r}: unknown category {bad[0]!r}")
            if offering.activity == "carryover_in":
                raise InputError(f"catalog offering {offering.id!r}: carryover_in is not something one can take")
            for session in offering.sessions:
                try:
                    backwards = session.end < session.start
                except TypeError:
                    raise InputError(
                        f"catalog offering {offering.id!r}: a session mixes times with and without a time zone"
                    ) from None
                if backwards:
                    raise InputError(f"catalog offering {offering.id!r}: a session ends before it starts")


def request(
    licenses: Sequence[LicenseState],
    catalog: Sequence[CreditOffering],
    *,
    completions: Sequence[Completion] = (),
    options: PlanOptions,
) -> PlanRequest:
    """A validated :class:`PlanRequest` from sequences."""
    return PlanRequest(tuple(licenses), tuple(catalog), tuple(completions), options)
