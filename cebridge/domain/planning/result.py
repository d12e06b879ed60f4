"""The plan: what to take, when, what it closes, and what stays open and why (the JSON of DESIGN.md).

With one license, requirement names are the pack's requirement ids (``ethics``) and ``total`` for the
cycle total; with several licenses they are prefixed by the board (``tx-lpc:ethics``, ``ca-lmft:total``).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import Field

from cebridge.domain.base import DomainModel, json_number
from cebridge.domain.report import ComplianceReport

TOTAL = "total"


class PlannedCourse(DomainModel):
    """One course in the plan, on its day."""

    id: str
    title: str = ""
    provider: str = ""
    format: str
    price: Decimal
    hours: Decimal  # clock hours of study
    week_of: date  # Monday of the week it starts
    completes_on: date
    starts_at: datetime | None = None  # live courses: the session
    ends_at: datetime | None = None
    counts_for: list[str] = Field(default_factory=list)  # boards whose engine counts hours from it
    goals: list[str] = Field(default_factory=list)


class Closure(DomainModel):
    """Hours the plan adds to one requirement (or the total) of one license, and the courses that add them."""

    board: str
    requirement: str
    hours: Decimal
    completions: int = 0
    by: list[str]


class Unmet(DomainModel):
    """A requirement no plan within the limits closes, how far it stays short, and why."""

    board: str
    requirement: str
    short: Decimal
    completions_short: int = 0
    code: str
    why: str


class LicenseOutcome(DomainModel):
    """One license before and after the plan."""

    board: str
    license_number: str | None = None
    deadline: date
    compliant_now: bool
    compliant_after: bool
    report_after: ComplianceReport


class Plan(DomainModel):
    """A learning plan for one clinician's licenses."""

    as_of: date
    feasible: bool
    optimal: bool
    currency: str = "USD"
    courses: list[PlannedCourse]
    total_cost: Decimal
    total_hours: Decimal
    closes: list[Closure]
    unmet: list[Unmet]
    goals_covered: list[str] = Field(default_factory=list)
    licenses: list[LicenseOutcome]

    @property
    def finish_on(self) -> date | None:
        """The day the last course is complete."""
        return max((c.completes_on for c in self.courses), default=None)

    def _name(self, board: str, requirement: str) -> str:
        return requirement if len(self.licenses) == 1 else f"{board}:{requirement}"

    def to_json(self) -> dict[str, Any]:
        """The ``cebridge plan`` JSON contract (DESIGN.md "Catalog and plan"), plus descriptive extras."""
        finish = self.finish_on
        return {
            "feasible": self.feasible,
            "optimal": self.optimal,
            "as_of": self.as_of.isoformat(),
            "courses": [c.id for c in self.courses],
            "total_cost": money(self.total_cost),
            "currency": self.currency,
            "total_hours": json_number(self.total_hours),
            "closes": [
                {
                    "requirement": self._name(c.board, c.requirement),
                    "hours": json_number(c.hours),
                    **({"completions": c.completions} if c.completions else {}),
                    "by": c.by,
                }
                for c in self.closes
            ],
            "schedule": [
                {
                    "course": c.id,
                    "week_of": c.week_of.isoformat(),
                    "completes_on": c.completes_on.isoformat(),
                    **({"starts_at": c.starts_at.isoformat()} if c.starts_at else {}),
                    "hours": json_number(c.hours),
                    "price": money(c.price),
                    "counts_for": c.counts_for,
                }
                for c in self.courses
            ],
            "unmet": [
                {
                    "requirement": self._name(u.board, u.requirement),
                    "short": json_number(u.short),
                    **({"completions_short": u.completions_short} if u.completions_short else {}),
                    "code": u.code,
                    "why": u.why,
                }
                for u in self.unmet
            ],
            "goals_covered": self.goals_covered,
            "finish_on": finish.isoformat() if finish else None,
            "licenses": [
                {
                    "board": lic.board,
                    "license_number": lic.license_number,
                    "deadline": lic.deadline.isoformat(),
                    "compliant_now": lic.compliant_now,
                    "compliant_after": lic.compliant_after,
                }
                for lic in self.licenses
            ],
        }


def money(value: Decimal) -> str:
    """Money as a string with at least two decimal places: ``49.00``, ``0.125``."""
    if value == value.quantize(Decimal("0.01")):
        return f"{value.quantize(Decimal('0.01'))}"
    return f"{value.normalize():f}"
