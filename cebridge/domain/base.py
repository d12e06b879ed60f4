"""The one strict base every domain model shares.

Frozen so a value that was validated stays valid; ``extra="forbid"`` so a misspelt field in a rule pack or an
input file is an error rather than a silently ignored fact.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeVar

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


M = TypeVar("M", bound=BaseModel)


_set = object.__setattr__
_FIELDS: dict[type[BaseModel], set[str]] = {}


def trusted(cls: type[M], data: dict[str, Any]) -> M:
    """Build ``cls`` from values the engine computed itself, without validating them again.

    ``model_construct`` costs as much as validation; the engine builds some 80 nested report models per
    license, and a bulk evaluation is its hot path. ``data`` must hold every field with a value of the declared
    type (tests/unit/engine/test_trusted.py checks that reports built this way equal validated ones). Every field
    is given, so all instances of a class share one set of field names: frozen models never change it, and
    pydantic copies it before a ``model_copy`` updates it.
    """
    fields = _FIELDS.get(cls)
    if fields is None:
        fields = _FIELDS[cls] = set(cls.model_fields)
    model = cls.__new__(cls)
    _set(model, "__dict__", data)
    _set(model, "__pydantic_fields_set__", fields)
    _set(model, "__pydantic_extra__", None)
    _set(model, "__pydantic_private__", None)
    return model
