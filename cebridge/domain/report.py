"""The compliance report: the shape ``cebridge evaluate`` prints and everything else stores and shows."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field

from cebridge.domain.base import DomainModel, json_number
from cebridge.domain.license import Cycle

ReasonCode = Literal[
    "outside_cycle",
    "approver_not_accepted",
    "over_cap",
    "carry_in_limit",
    "activity_not_eligible",
    "duplicate",
    "unit_unknown",
    "disciplinary",
    "not_allocated",
]
Status = Literal["accepted", "partially_accepted", "rejected"]


class Reason(DomainModel):
    """Why hours were not counted (or not counted in full)."""

    code: ReasonCode
    message: str
    hours: Decimal = Decimal(0)
    rule: str | None = None


class CreditAward(DomainModel):
    """Hours of one completion counted toward one requirement (``total`` for the cycle total)."""

    completion_id: str
    requirement: str
    hours: Decimal
    rule_version: str


class CompletionResult(DomainModel):
    """What one completion earned under this license's rules."""

    id: str
    title: str = ""
    completed_on: date | None = None
    status: Status
    hours_declared: Decimal
    hours_counted: Decimal
    hours_rejected: Decimal
    counts_toward: list[str] = Field(default_factory=list)
    allocation: dict[str, Decimal] = Field(default_factory=dict)
    reasons: list[Reason] = Field(default_factory=list)


class RequirementResult(DomainModel):
    """Progress toward one category minimum."""

    id: str
    title: str
    category: str
    categories: list[str]
    required: Decimal
    counted: Decimal
    short: Decimal
    satisfied: bool
    completions_required: int = 0
    completions_counted: int = 0
    weak_source: bool = False


class NotApplicable(DomainModel):
    """A requirement of the pack that does not apply to this license this cycle, and why."""

    id: str
    why: str


class Totals(DomainModel):
    """Hours required and counted for the whole cycle."""

    required: Decimal
    counted: Decimal
    short: Decimal


class ComplianceReport(DomainModel):
    """A license's standing for one cycle."""

    board: str
    license_number: str | None = None
    rule_version: str
    cycle: Cycle
    as_of: date | None = None
    first_renewal: bool | None = None
    compliant: bool
    total: Totals
    requirements: list[RequirementResult]
    not_applicable: list[NotApplicable] = Field(default_factory=list)
    completions: list[CompletionResult]
    caps: dict[str, Decimal] = Field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The JSON form of DESIGN.md: Decimals as numbers rounded to 2 places, dates as ISO strings."""
        data: dict[str, Any] = _jsonable(self.model_dump(mode="python"))
        return data

    @property
    def awards(self) -> list[CreditAward]:
        """The credit each completion earned: its hours toward the total, then toward each requirement."""
        out: list[CreditAward] = []
        for c in self.completions:
            if c.hours_counted <= 0:
                continue
            out.append(
                CreditAward(
                    completion_id=c.id, requirement="total", hours=c.hours_counted, rule_version=self.rule_version
                )
            )
            out += [
                CreditAward(completion_id=c.id, requirement=r, hours=h, rule_version=self.rule_version)
                for r, h in c.allocation.items()
            ]
        return out

    @property
    def short_requirements(self) -> list[RequirementResult]:
        """Requirements not yet satisfied."""
        return [r for r in self.requirements if not r.satisfied]


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return json_number(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value
