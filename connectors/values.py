"""Small, strict converters from provider payload values to the types CompletionRecord wants.

They never guess: a timestamp without a time zone, a number that is not a number, or a negative epoch is
:class:`ValueError`, which a stream turns into a :class:`~connectors.base.RecordProblem` or a contract error.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

__all__ = ["epoch_to_datetime", "host_of", "iso_utc", "parse_datetime", "to_decimal"]


def parse_datetime(value: Any) -> datetime | None:
    """An aware datetime from ISO 8601 text (``Z`` or an offset required); None for null or empty."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"expected an ISO 8601 timestamp, got {type(value).__name__}")
    text = value.strip()
    if text.endswith("z"):  # fromisoformat takes "Z" (Python 3.11+), not "z"
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValueError(f"timestamp {value!r} has no time zone")
    return parsed


def epoch_to_datetime(value: Any) -> datetime | None:
    """An aware UTC datetime from Unix seconds; None for null, 0 or empty (Moodle's "never")."""
    if value is None or value == "" or value == 0 or value == "0":
        return None
    if isinstance(value, bool):
        raise ValueError("expected Unix seconds, got a boolean")
    seconds = int(value)
    if seconds < 0:
        raise ValueError(f"negative Unix time {seconds}")
    return datetime.fromtimestamp(seconds, tz=UTC)


def iso_utc(value: datetime) -> str:
    """The instant in UTC as ISO 8601 text with ``Z``, for state bookmarks that compare as text too."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def to_decimal(value: Any) -> Decimal | None:
    """A Decimal from a JSON number or numeric text (via ``str`` so 0.1 stays 0.1); None for null/empty."""
    kind = type(value)
    if kind is int:  # the usual JSON score; exact, and always finite
        return Decimal(value)
    if value is None or value == "":
        return None
    if kind is bool:
        raise ValueError("expected a number, got a boolean")
    try:
        result = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a number") from None
    if not result.is_finite():
        raise ValueError(f"{value!r} is not a finite number")
    return result


def host_of(url: str) -> str:
    """The host (and port when given) of ``url``, for default source names like ``canvas:lms.example.edu``."""
    parts = urlsplit(url)
    return parts.netloc.rsplit("@", 1)[-1] or url
