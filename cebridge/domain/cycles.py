"""Renewal cycles: derive the cycle a license is in from its pack's anchor, and pro-rate short cycles."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal

from cebridge.domain.license import Cycle, License
from cebridge.domain.rules import CycleRule
from cebridge.errors import InputError, MissingFact


def last_day(year: int, month: int) -> date:
    """The last day of ``month`` in ``year``."""
    return date(year, month, calendar.monthrange(year, month)[1])


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole months, clamped to the month's last day (Jan 31 + 1 month = Feb 28/29)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def derive_cycle(rule: CycleRule, license: License, as_of: date | None, board: str) -> Cycle:
    """The cycle that contains ``as_of`` (the one ending on or after it) under the pack's anchor."""
    if as_of is None:
        raise MissingFact(
            f"board {board} derives the cycle from the date of evaluation: give the cycle or an as-of date"
        )
    if rule.anchor == "fixed_calendar":
        return _fixed(rule, as_of)
    if rule.anchor == "birth_month":
        if license.birth_date is None:
            raise MissingFact(f"board {board} anchors the cycle on the birth month: give birth_date or the cycle")
        return _birth_month(rule, license.birth_date, as_of)
    if license.issued_on is None:
        raise MissingFact(f"board {board} anchors the cycle on the issue date: give issued_on or the cycle")
    if as_of < license.issued_on:
        raise InputError(f"as-of date {as_of} is before the license was issued on {license.issued_on}")
    return _from_issue(rule, license.issued_on, as_of)


def _fixed(rule: CycleRule, as_of: date) -> Cycle:
    assert rule.end_month is not None  # validated by CycleRule
    years = max(1, rule.length_months // 12)
    for year in range(as_of.year - 1, as_of.year + years + 2):
        if rule.end_year_parity == "odd" and year % 2 == 0:
            continue
        if rule.end_year_parity == "even" and year % 2 == 1:
            continue
        end = _end_in(year, rule.end_month, rule.end_day)
        if end >= as_of:
            return Cycle(start=add_months(end + timedelta(days=1), -rule.length_months), end=end)
    raise AssertionError("a fixed calendar always has a next end date")  # pragma: no cover


def _end_in(year: int, month: int, day: int | None) -> date:
    if day is None:
        return last_day(year, month)
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _birth_month(rule: CycleRule, birth: date, as_of: date) -> Cycle:
    years = max(1, rule.length_months // 12)
    for year in range(as_of.year - 1, as_of.year + years + 2):
        if (year - birth.year) % years:
            continue
        end = last_day(year, birth.month)
        if end >= as_of:
            return Cycle(start=add_months(end + timedelta(days=1), -rule.length_months), end=end)
    raise AssertionError("a birth-month cycle always has a next end date")  # pragma: no cover


def _from_issue(rule: CycleRule, issued: date, as_of: date) -> Cycle:
    start = issued
    k = 1
    while True:
        anniversary = add_months(issued, k * rule.length_months)
        end = last_day(anniversary.year, anniversary.month) if rule.end_of_month else anniversary - timedelta(days=1)
        if end >= as_of:
            return Cycle(start=start, end=end)
        start = end + timedelta(days=1)
        k += 1


def prorated(hours: Decimal, cycle: Cycle, rule: CycleRule) -> Decimal:
    """``hours`` scaled to a cycle that is not ``length_months`` long (New York: 1 hour a month)."""
    months = cycle.months()
    if months == rule.length_months:
        return hours
    scaled = hours * Decimal(months) / Decimal(rule.length_months)
    return scaled.quantize(Decimal("0.01"), rounding=ROUND_DOWN)
