"""Money and hours as exact integers for the solver, and back to Decimal.

The solver works in floating point, so every coefficient it sees is an integer: money in the smallest unit
the catalog and budgets use (cents for ``49.00``, tenths of a cent for ``0.125``), hours in hundredths (the
engine's own resolution) or finer when the input is finer. Integers below 2**53 are exact in a double, so
the solver compares exactly what the engine would. A value with more than :data:`MAX_PLACES` decimal places
is rounded in the safe direction: what is needed up, what is supplied down.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from functools import lru_cache

MAX_PLACES = 6


def places(values: Iterable[Decimal]) -> int:
    """The most decimal places among ``values``, at most :data:`MAX_PLACES`."""
    most = 0
    for v in values:
        exp = v.normalize().as_tuple().exponent
        if isinstance(exp, int) and exp < 0:
            most = max(most, -exp)
    return min(most, MAX_PLACES)


@lru_cache(maxsize=4096)
def _to_int(value: Decimal, factor: int, up: bool) -> int:
    scaled = value * factor
    return int(scaled.to_integral_value(rounding=ROUND_CEILING if up else ROUND_FLOOR))


@dataclass(frozen=True)
class Scale:
    """Integer factors for money, board hours and clock time."""

    money: int = 100
    hours: int = 100
    time: int = 100

    @classmethod
    def of(cls, money: Iterable[Decimal], hours: Iterable[Decimal], time: Iterable[Decimal]) -> Scale:
        """Factors just fine enough that every given value is a whole number of units."""
        return cls(10 ** places(money), 10 ** max(2, places(hours)), 10 ** places(time))

    def m(self, value: Decimal, *, up: bool = False) -> int:
        """Money in whole units."""
        return _to_int(value, self.money, up)

    def h(self, value: Decimal, *, up: bool = False) -> int:
        """Board hours in whole units (``up`` for what is needed)."""
        return _to_int(value, self.hours, up)

    def t(self, value: Decimal, *, up: bool = False) -> int:
        """Clock time in whole units."""
        return _to_int(value, self.time, up)

    def money_of(self, units: int) -> Decimal:
        """Whole money units back to a Decimal."""
        return Decimal(units) / self.money
