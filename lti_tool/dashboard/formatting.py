"""How numbers and dates read on the dashboard: hours without trailing zeros, dates spelled out, money."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from flask import Flask


def to_decimal(value: object) -> Decimal:
    """A Decimal from a Decimal, an int or a JSON number (floats through their shortest text form)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool) or value is None:
        return Decimal(0)
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return Decimal(0)


def hours(value: object) -> str:
    """``3``, ``2.5``, ``0.75``: an amount of hours as a person writes it."""
    amount = to_decimal(value).quantize(Decimal("0.01"))
    text = format(amount.normalize(), "f")
    return "0" if text in ("-0", "") else text


def hours_label(value: object) -> str:
    """``1 hour``, ``2.5 hours``."""
    text = hours(value)
    return f"{text} hour" if text == "1" else f"{text} hours"


def long_date(value: date | str | None) -> str:
    """``May 31, 2027`` (empty for no date)."""
    if value is None or value == "":
        return ""
    day = date.fromisoformat(value) if isinstance(value, str) else value
    return f"{day:%B} {day.day}, {day.year}"


def money(value: object, currency: str = "USD") -> str:
    """``$49.00`` for dollars, ``49.00 EUR`` otherwise."""
    amount = to_decimal(value).quantize(Decimal("0.01"))
    return f"${amount:,}" if currency.upper() == "USD" else f"{amount:,} {currency.upper()}"


def plural(count: int, one: str, many: str | None = None) -> str:
    """``1 day``, ``3 days``."""
    return f"{count} {one}" if count == 1 else f"{count} {many or one + 's'}"


def init_filters(app: Flask) -> None:
    app.add_template_filter(hours, "hours")
    app.add_template_filter(hours_label, "hours_label")
    app.add_template_filter(long_date, "long_date")
    app.add_template_filter(money, "money")
    app.add_template_filter(plural, "plural")
