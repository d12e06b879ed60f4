"""The shape of a rule pack: data, sourced and versioned, validated when it is loaded.

A pack (``tx-lpc``) holds dated versions; each version is the whole rule set in force for cycles that end
between its ``effective_from`` and ``effective_to``. Every rule line cites one or more of the version's
``sources`` by id, and a rule whose sources are all weak (a provider page or an interpretation) is reported
as weak so nobody mistakes it for the regulation's text.
"""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import Field, field_validator, model_validator

from cebridge.domain.base import DomainModel
from cebridge.domain.vocab import (
    APPROVAL_BODY_PATTERN,
    ATTRIBUTES,
    CATEGORIES,
    CATEGORY_PATTERN,
    PACK_ID_PATTERN,
    Activity,
    DegreeLevel,
    Format,
)

#: In a requirement's ``categories``: every hour matches, whatever its categories.
ANY_CATEGORY = "any"

SourceStrength = Literal["regulation", "board", "provider", "interpretation"]
WEAK_STRENGTHS = frozenset({"provider", "interpretation"})


class Source(DomainModel):
    """Where a rule comes from: a URL and what that page says."""

    id: str = Field(min_length=1)
    url: str = Field(pattern=r"^https?://")
    says: str = Field(min_length=1)
    strength: SourceStrength


class Cited(DomainModel):
    """A rule line: it names the sources it rests on."""

    source: list[str] = Field(min_length=1)
    note: str | None = None


class CycleRule(Cited):
    """How the renewal cycle is anchored.

    - ``fixed_calendar``: every license shares the cycle; it ends on ``end_month``/``end_day`` (``end_day``
      omitted = the month's last day) of years of ``end_year_parity`` for multi-year cycles.
    - ``issue_date``: cycles of ``length_months`` run from the license's issue date; with ``end_of_month``
      they end on the last day of the month.
    - ``birth_month``: cycles end on the last day of the holder's birth month, every ``length_months``.
    - ``registration_period``: like ``issue_date`` (the registration date is the issue date) but the CE
      requirement is pro-rated when a period is not ``length_months`` long.
    """

    anchor: Literal["fixed_calendar", "issue_date", "birth_month", "registration_period"]
    length_months: int = Field(ge=1, le=120)
    end_month: int | None = Field(default=None, ge=1, le=12)
    end_day: int | None = Field(default=None, ge=1, le=31)
    end_year_parity: Literal["odd", "even"] | None = None
    end_of_month: bool = True
    prorate: bool = False

    @model_validator(mode="after")
    def _anchor_fields(self) -> CycleRule:
        if self.anchor == "fixed_calendar" and self.end_month is None:
            raise ValueError("a fixed_calendar cycle needs end_month")
        if self.anchor == "fixed_calendar" and self.length_months == 24 and self.end_year_parity is None:
            raise ValueError("a two-year fixed_calendar cycle needs end_year_parity")
        return self


class UnitRule(Cited):
    """How each declared unit converts to this board's hours; ``None`` means the board gives no rule."""

    minutes_per_hour: int = Field(default=60, ge=1)
    ce_credit_hours: Decimal = Field(default=Decimal(1), gt=0)
    ceu_hours: Decimal = Field(default=Decimal(10), gt=0)
    semester_hour: Decimal | None = Decimal(15)
    quarter_hour: Decimal | None = Decimal(10)
    day_hours: Decimal | None = None


class TotalRule(Cited):
    """Hours required per full cycle, with the first-renewal and degree variants."""

    hours: Decimal = Field(ge=0)
    first_renewal: Literal["same", "exempt", "hours"] = "same"
    first_renewal_hours: Decimal | None = Field(default=None, ge=0)
    by_degree: dict[DegreeLevel, Decimal] | None = None

    @model_validator(mode="after")
    def _first(self) -> TotalRule:
        if (self.first_renewal == "hours") != (self.first_renewal_hours is not None):
            raise ValueError("first_renewal_hours is given exactly when first_renewal is 'hours'")
        return self


class ApproverRule(Cited):
    """An approval body whose approval this board accepts, optionally only for a period or some formats."""

    body: str
    valid_from: date | None = None
    valid_to: date | None = None
    formats: list[Format] | None = None

    @field_validator("body")
    @classmethod
    def _body(cls, value: str) -> str:
        if not APPROVAL_BODY_PATTERN.match(value):
            raise ValueError(f"approval body {value!r} is not like 'APA' or 'NY-SED'")
        return value

    def accepts(self, body: str, on: date, fmt: str) -> bool:
        """Whether this rule accepts ``body`` for an activity of format ``fmt`` completed ``on``."""
        if body != self.body:
            return False
        if self.valid_from and on < self.valid_from:
            return False
        if self.valid_to and on > self.valid_to:
            return False
        return self.formats is None or fmt in self.formats


class ActivityRule(Cited):
    """Whether an activity earns credit here, and how much.

    ``fixed_hours`` replaces the declared amount (a passed jurisprudence exam = 1 hour); ``multiplier`` scales
    it (a first presentation at 1.5x); ``requires_flag`` makes the activity count only when the completion
    carries that flag; ``adds_categories`` lets the activity count toward categories it does not declare.
    """

    activity: Activity
    eligible: bool = True
    approval_required: bool = True
    multiplier: Decimal = Field(default=Decimal(1), gt=0)
    fixed_hours: Decimal | None = Field(default=None, ge=0)
    requires_flag: str | None = None
    adds_categories: list[str] = Field(default_factory=list)


Scope = Literal["each_renewal", "one_time", "every_n_renewals"]


class Requirement(Cited):
    """A category minimum.

    ``categories`` are alternatives: an hour in any of them counts; ``any`` matches every hour (a minimum of
    live hours whatever the topic). ``hours`` may be zero when what is required
    is ``min_completions`` (pass the jurisprudence exam). ``when`` conditions it on license attributes.
    ``every_n_renewals`` applies when ``(renewal_number - offset) % n == 0``; alternating biennia are
    ``n: 2`` with offsets 0 and 1. ``skip_first_renewal`` drops it at the first renewal;
    ``at_exempt_first_renewal`` keeps it when the pack exempts the first renewal from everything else
    (Pennsylvania's child-abuse training). ``prorate`` scales ``hours`` like the total on a short cycle.
    ``independent`` requirements are counted alongside the others rather than competing with them for hours:
    a minimum of in-person hours, where an in-person ethics hour serves both the ethics minimum and this one.
    """

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    categories: list[str] = Field(min_length=1)
    hours: Decimal = Field(default=Decimal(0), ge=0)
    min_completions: int = Field(default=0, ge=0)
    scope: Scope = "each_renewal"
    n: int | None = Field(default=None, ge=2)
    offset: int = Field(default=0, ge=0)
    when: dict[str, bool | str] = Field(default_factory=dict)
    formats: list[Format] | None = None
    skip_first_renewal: bool = False
    at_exempt_first_renewal: bool = False
    prorate: bool = False
    independent: bool = False

    @model_validator(mode="after")
    def _shape(self) -> Requirement:
        if self.hours == 0 and self.min_completions == 0:
            raise ValueError("a requirement needs hours or min_completions")
        if (self.scope == "every_n_renewals") != (self.n is not None):
            raise ValueError("n is given exactly when scope is 'every_n_renewals'")
        unknown = set(self.when) - ATTRIBUTES
        if unknown:
            raise ValueError(f"when names unknown license attributes {sorted(unknown)}")
        return self


class CapMatch(DomainModel):
    """Which counted hours a cap limits: all given dimensions must match."""

    formats: list[Format] | None = None
    activities: list[Activity] | None = None
    categories: list[str] | None = None
    flag_true: str | None = None
    flag_false: str | None = None


class Cap(Cited):
    """At most ``max_hours`` (or ``max_fraction`` of the required total) of matching hours count.

    Caps are applied to accepted completions in chronological order, so the earliest hours count and a later
    completion is the one partially accepted. ``applies_from`` limits the cap to completions on or after a day.
    """

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    match: CapMatch
    max_hours: Decimal | None = Field(default=None, ge=0)
    max_fraction: Decimal | None = Field(default=None, ge=0, le=1)
    applies_from: date | None = None
    prorate: bool = False

    @model_validator(mode="after")
    def _limit(self) -> Cap:
        if (self.max_hours is None) == (self.max_fraction is None):
            raise ValueError("a cap has exactly one of max_hours and max_fraction")
        return self


class CarryOverRule(Cited):
    """Hours carried into this cycle from the previous one (a completion with activity ``carryover_in``).

    ``requires_prior_over``: carry-in is allowed only when the prior cycle earned more than this (Ohio banking).
    ``limit_to_prior_excess``: only hours the prior cycle did not need may come in.
    """

    max_hours: Decimal = Field(ge=0)
    requires_prior_over: Decimal | None = None
    limit_to_prior_excess: bool = False


class RuleVersion(DomainModel):
    """The whole rule set in force for cycles ending between ``effective_from`` and ``effective_to``."""

    version: str = Field(min_length=1)
    effective_from: date
    effective_to: date | None = None
    summary: str = ""
    sources: list[Source] = Field(min_length=1)
    cycle: CycleRule
    units: UnitRule
    total: TotalRule
    approvers: list[ApproverRule] = Field(min_length=1)
    accept_board_post_approval: bool = False
    activities: list[ActivityRule] = Field(default_factory=list)
    requirements: list[Requirement] = Field(default_factory=list)
    caps: list[Cap] = Field(default_factory=list)
    carry_over: CarryOverRule | None = None
    exclude_disciplinary: bool = False
    extra_categories: list[str] = Field(default_factory=list)
    unknowns: list[str] = Field(default_factory=list)

    @field_validator("extra_categories")
    @classmethod
    def _extra(cls, value: list[str]) -> list[str]:
        for cat in value:
            if not CATEGORY_PATTERN.match(cat):
                raise ValueError(f"category {cat!r} is not a lower-case identifier")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> RuleVersion:
        ids = {s.id for s in self.sources}
        if len(ids) != len(self.sources):
            raise ValueError("source ids must be unique")
        for line in self.cited():
            missing = [s for s in line.source if s not in ids]
            if missing:
                raise ValueError(f"{type(line).__name__} cites unknown sources {missing}")
        if self.effective_to and self.effective_to < self.effective_from:
            raise ValueError("effective_to is before effective_from")
        known = CATEGORIES | set(self.extra_categories) | {ANY_CATEGORY}
        for req in self.requirements:
            bad = [c for c in req.categories if c not in known]
            if bad:
                raise ValueError(f"requirement {req.id!r} names unknown categories {bad}")
        for act in self.activities:
            bad = [c for c in act.adds_categories if c not in known]
            if bad:
                raise ValueError(f"activity {act.activity!r} adds unknown categories {bad}")
        for kind, seq in (("requirement", [r.id for r in self.requirements]), ("cap", [c.id for c in self.caps])):
            if len(set(seq)) != len(seq):
                raise ValueError(f"{kind} ids must be unique")
        if len({a.activity for a in self.activities}) != len(self.activities):
            raise ValueError("each activity has at most one rule")
        return self

    def cited(self) -> list[Cited]:
        """Every rule line of this version."""
        lines: list[Cited] = [self.cycle, self.units, self.total]
        lines += self.approvers
        lines += self.activities
        lines += self.requirements
        lines += self.caps
        if self.carry_over:
            lines.append(self.carry_over)
        return lines

    def is_weak(self, line: Cited) -> bool:
        """True when every source of ``line`` is a provider page or an interpretation."""
        strength = {s.id: s.strength for s in self.sources}
        return all(strength[s] in WEAK_STRENGTHS for s in line.source)

    def categories(self) -> frozenset[str]:
        """Categories a completion may declare under this version."""
        return CATEGORIES | frozenset(self.extra_categories)

    def covers(self, day: date) -> bool:
        """Whether ``day`` (a cycle's end, or start for ``version_by: cycle_start`` packs) is in force here."""
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)


class RulePack(DomainModel):
    """One board and profession (``tx-lpc``) with its dated versions."""

    id: str
    state: str = Field(pattern=r"^[A-Z]{2}$")
    profession: str
    title: str
    board: str
    board_url: str = Field(pattern=r"^https?://")
    version_by: Literal["cycle_end", "cycle_start"] = "cycle_end"
    versions: list[RuleVersion] = Field(min_length=1)

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not PACK_ID_PATTERN.match(value):
            raise ValueError(f"pack id {value!r} is not like 'tx-lpc'")
        return value

    @model_validator(mode="after")
    def _no_overlap(self) -> RulePack:
        ordered = sorted(self.versions, key=lambda v: v.effective_from)
        for before, after in itertools.pairwise(ordered):
            if before.effective_to is None or before.effective_to >= after.effective_from:
                raise ValueError(
                    f"versions {before.version!r} and {after.version!r} overlap: "
                    f"each version but the last needs an effective_to before the next effective_from"
                )
        if not self.id.startswith(self.state.lower() + "-"):
            raise ValueError(f"pack id {self.id!r} does not start with its state {self.state!r}")
        return self

    def version_for(self, start: date, end: date) -> RuleVersion | None:
        """The version in force for the cycle ``start..end``.

        Most boards apply the rules in force when the cycle ends (the renewal); ``version_by: cycle_start``
        packs apply the rules in force when it began (New York's boundaries requirement applies to
        registration periods starting on or after 2023-04-01).
        """
        day = end if self.version_by == "cycle_end" else start
        for version in self.versions:
            if version.covers(day):
                return version
        return None
