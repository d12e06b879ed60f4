"""The one strict base every domain model shares.

Frozen so a value that was validated stays valid; ``extra="forbid"`` so a misspelt field in a rule pack or an
input file is an error rather than a silently ignored fact.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from pydantic import BaseModel, ConfigDict

TWO_PLACES = Decimal("0.01")
ZERO = Decimal(0)


class DomainModel(BaseModel):
    """Base of all cebridge domain models."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


def q2(value: Decimal) -> Decimal:
    """Round hours or money to 2 places, half up, for output."""
    return value.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def json_number(value: Decimal) -> int | float:
    """A Decimal as the JSON number a person expects: ``24`` not ``24.00``, ``2.5`` not ``2.50``.

    Rounded to 2 places first, so the float carries no more than the Decimal said.
    """
    rounded = q2(value)
    if rounded == rounded.to_integral_value():
        return int(rounded)
    return float(rounded)
