"""The strict converters in connectors.values: what they accept and what they refuse."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from connectors.values import parse_datetime, to_decimal


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (85, Decimal("85")),
        (0, Decimal("0")),
        (10**30, Decimal(10**30)),
        (0.1, Decimal("0.1")),
        (6.67, Decimal("6.67")),
        (" 2.50 ", Decimal("2.50")),
        ("-3", Decimal("-3")),
        (None, None),
        ("", None),
    ],
)
def test_numbers_become_exact_decimals(value: Any, expected: Decimal | None) -> None:
    result = to_decimal(value)
    assert result == expected and (expected is None or str(result) == str(expected))


@pytest.mark.parametrize("value", [True, False, float("inf"), float("nan"), "Infinity", "NaN", "abc", "1,5"])
def test_what_is_not_a_finite_number_is_refused(value: Any) -> None:
    with pytest.raises(ValueError):
        to_decimal(value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2021-08-10T16:26:08Z", datetime(2021, 8, 10, 16, 26, 8, tzinfo=UTC)),
        ("2021-08-10T16:26:08z", datetime(2021, 8, 10, 16, 26, 8, tzinfo=UTC)),
        (" 2021-08-10T16:26:08Z ", datetime(2021, 8, 10, 16, 26, 8, tzinfo=UTC)),
        ("2013-06-01T00:00:00-06:00", datetime(2013, 6, 1, tzinfo=timezone(timedelta(hours=-6)))),
        ("2021-08-10T16:26:08.250+00:00", datetime(2021, 8, 10, 16, 26, 8, 250000, tzinfo=UTC)),
    ],
)
def test_timestamps_need_and_keep_their_offset(text: str, expected: datetime) -> None:
    parsed = parse_datetime(text)
    assert parsed == expected and parsed is not None and parsed.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize("value", ["2021-08-10T16:26:08", "2021-08-10", "yesterday", 1628612768, "Z"])
def test_a_timestamp_without_a_zone_or_not_text_is_refused(value: Any) -> None:
    with pytest.raises(ValueError):
        parse_datetime(value)


def test_null_and_empty_timestamps_are_none() -> None:
    assert parse_datetime(None) is None and parse_datetime("") is None
