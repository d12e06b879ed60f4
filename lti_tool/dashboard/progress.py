"""Renewal progress as the pages show it: bars with exact ARIA values, what is missing, and by when.

Everything here is plain data for the templates; the numbers come from the engine's report untouched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from cebridge.domain.report import ComplianceReport, RequirementResult
from lti_tool.dashboard.formatting import hours, hours_label, long_date, plural


@dataclass(frozen=True)
class Bar:
    """A progress bar: ``now`` of ``max`` (``now`` clamped into the range), its percentage and its words.

    ``text`` is the visible and the ``aria-valuetext`` equivalent ("4 of 6 hours"), so the bar's meaning never
    rests on its fill or its color.
    """

    now: Decimal
    max: Decimal
    text: str

    @property
    def percent(self) -> int:
        if self.max <= 0:
            return 100
        return int(min(Decimal(100), self.now * 100 / self.max))

    @property
    def aria_now(self) -> str:
        return hours(min(self.now, self.max))

    @property
    def aria_max(self) -> str:
        return hours(self.max)


def hours_bar(counted: Decimal, required: Decimal) -> Bar | None:
    """A bar of hours counted toward hours required (None when nothing is required)."""
    if required <= 0:
        return None
    return Bar(counted, required, f"{hours(counted)} of {hours_label(required)}")


@dataclass(frozen=True)
class RequirementView:
    """One requirement: title, bar, and what is missing."""

    id: str
    title: str
    bar: Bar | None
    satisfied: bool
    short_hours: Decimal
    completions_short: int
    status: str
    weak_source: bool


def requirement_view(r: RequirementResult) -> RequirementView:
    completions_short = max(0, r.completions_required - r.completions_counted)
    if r.required > 0:
        bar = hours_bar(r.counted, r.required)
    elif r.completions_required > 0:
        done = min(r.completions_counted, r.completions_required)
        bar = Bar(
            Decimal(done),
            Decimal(r.completions_required),
            f"{done} of {plural(r.completions_required, 'completion')}",
        )
    else:
        bar = None
    if r.satisfied:
        status = "Met"
    else:
        parts = []
        if r.short > 0:
            parts.append(f"{hours_label(r.short)} short")
        if completions_short:
            parts.append(f"{plural(completions_short, 'completion')} still needed")
        status = "Not met: " + ", ".join(parts) if parts else "Not met"
    return RequirementView(
        id=r.id,
        title=r.title,
        bar=bar,
        satisfied=r.satisfied,
        short_hours=r.short,
        completions_short=completions_short,
        status=status,
        weak_source=r.weak_source,
    )


@dataclass(frozen=True)
class Missing:
    """One thing still missing: what, how much, and the last day it can be done."""

    what: str
    amount: str
    by: date


@dataclass
class ProgressView:
    """A license's progress for one cycle."""

    report: ComplianceReport
    as_of: date
    total: Bar | None
    requirements: list[RequirementView]
    missing: list[Missing] = field(default_factory=list)

    @property
    def cycle_end(self) -> date:
        return self.report.cycle.end

    @property
    def days_left(self) -> int:
        return (self.report.cycle.end - self.as_of).days

    @property
    def deadline_text(self) -> str:
        """``183 days left (ends May 31, 2027)``, or that the cycle ended."""
        days = self.days_left
        end = long_date(self.cycle_end)
        if days > 0:
            return f"{plural(days, 'day')} left (the cycle ends {end})"
        if days == 0:
            return f"the cycle ends today, {end}"
        return f"the cycle ended {plural(-days, 'day')} ago, on {end}"

    @property
    def compliant(self) -> bool:
        return self.report.compliant


def progress_view(report: ComplianceReport, as_of: date) -> ProgressView:
    """The progress view of a report computed as of ``as_of``."""
    total = hours_bar(report.total.counted, report.total.required)
    requirements = [requirement_view(r) for r in report.requirements]
    missing = [
        Missing(
            what=r.title,
            amount=" and ".join(
                p
                for p in (
                    hours_label(r.short_hours) if r.short_hours > 0 else "",
                    plural(r.completions_short, "completion") if r.completions_short else "",
                )
                if p
            ),
            by=report.cycle.end,
        )
        for r in requirements
        if not r.satisfied
    ]
    if report.total.short > 0:
        missing.append(Missing("Total hours", hours_label(report.total.short), report.cycle.end))
    return ProgressView(report=report, as_of=as_of, total=total, requirements=requirements, missing=missing)
