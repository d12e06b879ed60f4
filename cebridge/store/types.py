"""Column types that mean the same thing on SQLite and PostgreSQL.

Hours and money are :class:`~decimal.Decimal` and must come back exactly as stored; SQLite has no decimal
type (SQLAlchemy would round-trip through float and warn), so they are stored as canonical text. Timestamps are
stored in UTC and always come back timezone-aware, whatever the backend.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import JSON, DateTime, Dialect, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator

#: JSON documents: JSONB on PostgreSQL (indexable), JSON text elsewhere.
JSONDoc = JSON().with_variant(JSONB(), "postgresql")


class DecimalText(TypeDecorator[Decimal]):
    """A Decimal kept exactly, as text (``"2.50"``), on every backend."""

    impl = String(40)
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"expected a Decimal, got {type(value).__name__}")
        return format(value, "f")

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        try:
            return Decimal(str(value))
        except InvalidOperation:
            raise ValueError(f"stored decimal {value!r} is not a number") from None


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and returned timezone-aware (SQLite drops the zone otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class JSONText(str):
    """A JSON document already serialized (valid JSON text): :func:`cebridge.store.bulk.bulk_insert` stores it
    as it is instead of serializing it again."""

    __slots__ = ()


def utcnow() -> datetime:
    """The current time, timezone-aware (the store's one clock read)."""
    return datetime.now(UTC)
