"""A clinician's license as the engine sees it (the LICENSE.json contract of DESIGN.md)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from pydantic import Field, field_validator, model_validator

from cebridge.domain.base import DomainModel
from cebridge.domain.vocab import PACK_ID_PATTERN


class Cycle(DomainModel):
    """A renewal cycle: both ends inclusive."""

    start: date
    end: date

    @model_validator(mode="after")
    def _ordered(self) -> Cycle:
        if self.end < self.start:
            raise ValueError(f"cycle ends {self.end} before it starts {self.start}")
        return self

    def contains(self, day: date) -> bool:
        """Whether ``day`` falls inside the cycle, ends included."""
        return self.start <= day <= self.end

    def months(self) -> int:
        """Whole months the cycle spans, counting the end day in (2023-06-01..2025-05-31 spans 24)."""
        after = self.end + timedelta(days=1)
        months = (after.year - self.start.year) * 12 + (after.month - self.start.month)
        return months - 1 if after.day < self.start.day else months


class History(DomainModel):
    """What earlier cycles settled: one-time requirements met, hours the prior cycle earned."""

    one_time_completed: list[str] = Field(default_factory=list)
    prior_cycle_hours: Decimal | None = Field(default=None, ge=0)


AttributeValue = bool | str | int | None


class License(DomainModel):
    """One license held by one clinician, under one board's rule pack."""

    board: str
    license_number: str | None = None
    holder: str | None = None
    cycle: Cycle | None = None
    issued_on: date | None = None
    birth_date: date | None = None
    renewal_number: int | None = Field(default=None, ge=1)
    attributes: dict[str, AttributeValue] = Field(default_factory=dict)
    history: History = Field(default_factory=History)

    @field_validator("board")
    @classmethod
    def _board_id(cls, value: str) -> str:
        value = value.lower()
        if not PACK_ID_PATTERN.match(value):
            raise ValueError(f"board {value!r} is not a rule pack id like 'tx-lpc'")
        return value
