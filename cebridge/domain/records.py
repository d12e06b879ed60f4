"""Raw completion facts as a connector reports them, before any credit mapping.

A connector only reports facts: who completed what, when, with what result. Turning a record into credit is
the core's job (catalog lookup, then the rule pack).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field, field_validator

from cebridge.domain.base import DomainModel

RecordStatus = Literal["completed", "passed", "failed", "in_progress", "no_requirements", "revoked"]
#: Statuses that earn credit once mapped through the catalog.
EARNING_STATUSES: frozenset[str] = frozenset({"completed", "passed"})


class LearnerRef(DomainModel):
    """Stable keys a learner can be matched to a clinician by; never a name alone."""

    platform_user_id: str | None = None
    email: str | None = None
    license_number: str | None = None
    name: str | None = None

    @field_validator("email")
    @classmethod
    def _lower(cls, value: str | None) -> str | None:
        return value.lower() if value else value


class CourseRef(DomainModel):
    """How the provider names the course; any of these may find the catalog offering."""

    external_id: str
    title: str | None = None
    sis_id: str | None = None
    integration_id: str | None = None
    blueprint_id: str | None = None


class CompletionRecord(DomainModel):
    """One fact from one source, idempotent by ``(source, external_id)``."""

    source: str = Field(min_length=1)
    external_id: str = Field(min_length=1)
    learner: LearnerRef
    course: CourseRef
    status: RecordStatus
    completed_at: datetime | None = None
    score: Decimal | None = None
    hours: Decimal | None = Field(default=None, ge=0)
    raw: dict[str, Any] = Field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        """The idempotency key."""
        return (self.source, self.external_id)

    @property
    def earns_credit(self) -> bool:
        """Whether the record's status can earn credit."""
        return self.status in EARNING_STATUSES
