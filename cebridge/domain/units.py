"""Declared credit to board hours: each board says what an hour is and how other units convert."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

from cebridge.domain.completion import Credits
from cebridge.domain.rules import UnitRule

_CENT = Decimal("0.01")
_SIXTY = Decimal(60)


def board_hours(credits: Credits, units: UnitRule) -> Decimal | None:
    """``credits`` in the board's hours, rounded down to 2 places; ``None`` when the board has no rule.

    Rounding down never credits more than was earned. ``hours`` are 60-minute clock hours as declared, so a
    board with 50-minute hours (Illinois) counts a 60-minute hour as 1.2.
    """
    amount = credits.amount
    unit = credits.unit
    per_hour = Decimal(units.minutes_per_hour)
    if unit == "hours":
        value = amount * _SIXTY / per_hour
    elif unit == "minutes":
        value = amount / per_hour
    elif unit == "ce_credits":
        value = amount * units.ce_credit_hours
    elif unit == "ceu":
        value = amount * units.ceu_hours
    else:
        factor = {
            "semester_hours": units.semester_hour,
            "quarter_hours": units.quarter_hour,
            "days": units.day_hours,
        }[unit]
        if factor is None:
            return None
        value = amount * factor
    return value.quantize(_CENT, rounding=ROUND_DOWN)
