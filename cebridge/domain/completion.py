"""What a course offers (CreditOffering) and what a clinician did (Completion).

A Completion is a CreditOffering plus the day it was completed: the catalog knows the hours, approvals and
categories, the connector knows who finished it and when.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import Field, field_validator

from cebridge.domain.base import DomainModel
from cebridge.domain.vocab import APPROVAL_BODY_PATTERN, CATEGORY_PATTERN, Activity, Format, Unit


class Credits(DomainModel):
    """An amount of credit in the unit its approver declared."""

    amount: Decimal = Field(ge=0)
    unit: Unit


class Money(DomainModel):
    """An amount of money; never a float."""

    amount: Decimal = Field(ge=0)
    currency: str = "USD"


class Session(DomainModel):
    """One scheduled meeting of a live offering."""

    start: datetime
    end: datetime


def _check_approvals(values: list[str]) -> list[str]:
    out = []
    for raw in values:
        body = raw.strip().upper()
        if not APPROVAL_BODY_PATTERN.match(body):
            raise ValueError(f"approval body {raw!r} is not like 'APA' or 'NY-SED'")
        out.append(body)
    return out


def _check_categories(values: list[str]) -> list[str]:
    for value in values:
        if not CATEGORY_PATTERN.match(value):
            raise ValueError(f"category {value!r} is not a lower-case identifier like 'ethics'")
    return values


class _CreditFacts(DomainModel):
    id: str = Field(min_length=1)
    title: str = ""
    provider: str = ""
    approvals: list[str] = Field(default_factory=list)
    format: Format = "live_in_person"
    activity: Activity = "course"
    credits: Credits
    categories: list[str] = Field(default_factory=list)
    flags: dict[str, bool] = Field(default_factory=dict)

    @field_validator("approvals")
    @classmethod
    def _approvals(cls, value: list[str]) -> list[str]:
        return _check_approvals(value)

    @field_validator("categories")
    @classmethod
    def _categories(cls, value: list[str]) -> list[str]:
        return _check_categories(value)

    @field_validator("flags", mode="before")
    @classmethod
    def _flags(cls, value: object) -> object:
        # Unknown flags are ignored by the rules, but a flag must still be a yes/no fact.
        if isinstance(value, dict):
            for key, flag in value.items():
                if not isinstance(flag, bool):
                    raise ValueError(f"flag {key!r} must be true or false, not {flag!r}")
        return value


class Completion(_CreditFacts):
    """A completed CE activity (the COMPLETIONS.json contract of DESIGN.md)."""

    completed_on: date


class CreditOffering(_CreditFacts):
    """A course a provider offers (the CATALOG.json contract of DESIGN.md)."""

    price: Money = Field(default_factory=lambda: Money(amount=Decimal(0)))
    sessions: list[Session] = Field(default_factory=list)
    topics: list[str] = Field(default_factory=list)

    def completed(self, on: date, *, id: str | None = None) -> Completion:
        """The completion this offering becomes when a clinician finishes it on ``on``."""
        data = self.model_dump(exclude={"price", "sessions", "topics"})
        data["completed_on"] = on
        if id is not None:
            data["id"] = id
        return Completion.model_validate(data)
