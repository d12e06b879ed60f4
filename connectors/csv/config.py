"""Settings of the CSV / spreadsheet connector: which file, how it is encoded, which column holds what."""

from __future__ import annotations

from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from cebridge.domain.records import RecordStatus
from connectors.base import ConnectorConfig

__all__ = ["DEFAULT_STATUS_WORDS", "ColumnMap", "CsvConfig"]

#: Spreadsheet words for statuses (compared case-insensitively, spaces and dashes ignored).
DEFAULT_STATUS_WORDS: dict[str, RecordStatus] = {
    "completed": "completed",
    "complete": "completed",
    "done": "completed",
    "yes": "completed",
    "passed": "passed",
    "pass": "passed",
    "failed": "failed",
    "fail": "failed",
    "inprogress": "in_progress",
    "started": "in_progress",
    "revoked": "revoked",
}


class ColumnMap(BaseModel):
    """Header names of the columns that hold each fact (matching ignores case and surrounding spaces).

    ``course_id`` and ``completed_at`` are required, and at least one learner key (``email``,
    ``license_number`` or ``platform_user_id``). Without ``external_id`` a row's id is derived from the
    course, the learner key and the completion date, so the same fact keeps the same id across files.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    course_id: str
    completed_at: str
    email: str | None = None
    license_number: str | None = None
    platform_user_id: str | None = None
    learner_name: str | None = None
    course_title: str | None = None
    course_sis_id: str | None = None
    external_id: str | None = None
    status: str | None = None
    score: str | None = None
    hours: str | None = None

    @model_validator(mode="after")
    def _needs_a_learner_key(self) -> ColumnMap:
        if not (self.email or self.license_number or self.platform_user_id):
            raise ValueError("map at least one learner column: email, license_number or platform_user_id")
        return self

    def mapped(self) -> dict[str, str]:
        """``{field: header}`` for every mapped column."""
        return {k: v for k, v in self.model_dump().items() if v}


class CsvConfig(ConnectorConfig):
    """A CSV export of completions (or certificates) and how to read it."""

    path: str = Field(min_length=1, description="The CSV file to read")
    columns: ColumnMap
    encoding: Literal["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"] | None = Field(
        default=None,
        description="Declare cp1252/latin-1 for legacy spreadsheet exports; default UTF-8 (with or without BOM)",
    )
    delimiter: str = Field(default=",", min_length=1, max_length=1)
    date_format: str | None = Field(default=None, description="strptime format, e.g. %m/%d/%Y; default ISO 8601")
    timezone: str = Field(default="UTC", description="Zone for dates and times written without one")
    default_status: RecordStatus = Field(default="completed", description="Status when no status column is mapped")
    status_words: dict[str, RecordStatus] = Field(default_factory=dict, description="Extra status words")
    batch_size: int = Field(default=500, ge=1, le=100_000)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value
