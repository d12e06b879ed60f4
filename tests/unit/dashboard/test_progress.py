"""Progress bars and the numbers on the pages: clamped ARIA values, text equivalents, hours without noise."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from cebridge.domain.report import RequirementResult
from lti_tool.dashboard.formatting import hours, hours_label, long_date, money
from lti_tool.dashboard.progress import Bar, hours_bar, requirement_view


def _req(**kw: object) -> RequirementResult:
    base: dict[str, object] = {
        "id": "ethics",
        "title": "Ethics",
        "category": "ethics",
        "categories": ["ethics"],
        "required": Decimal(6),
        "counted": Decimal(2),
        "short": Decimal(4),
        "satisfied": False,
    }
    return RequirementResult.model_validate(base | kw)


def test_a_bar_over_its_maximum_is_clamped_but_its_text_is_true() -> None:
    bar = hours_bar(Decimal(30), Decimal(24))
    assert bar is not None
    assert (bar.aria_now, bar.aria_max, bar.percent, bar.text) == ("24", "24", 100, "30 of 24 hours")


def test_a_partial_bar() -> None:
    bar = hours_bar(Decimal("2.5"), Decimal(6))
    assert bar is not None and bar.percent == 41 and bar.text == "2.5 of 6 hours" and bar.aria_now == "2.5"


def test_nothing_required_has_no_bar() -> None:
    assert hours_bar(Decimal(0), Decimal(0)) is None


def test_a_completion_requirement_counts_completions() -> None:
    view = requirement_view(
        _req(required=Decimal(0), counted=Decimal(0), short=Decimal(0), completions_required=1, completions_counted=0)
    )
    assert view.bar == Bar(Decimal(0), Decimal(1), "0 of 1 completion")
    assert view.status == "Not met: 1 completion still needed"


def test_statuses_in_words() -> None:
    assert requirement_view(_req()).status == "Not met: 4 hours short"
    met = requirement_view(_req(counted=Decimal(6), short=Decimal(0), satisfied=True))
    assert met.status == "Met" and met.bar is not None and met.bar.percent == 100


def test_numbers_and_dates_read_as_people_write_them() -> None:
    assert [hours(Decimal("3.00")), hours(2.5), hours(Decimal("1E+1")), hours(None)] == ["3", "2.5", "10", "0"]
    assert hours_label(1) == "1 hour" and hours_label(Decimal("0.5")) == "0.5 hours"
    assert long_date(date(2027, 5, 31)) == "May 31, 2027" and long_date("2026-01-05") == "January 5, 2026"
    assert money(Decimal("49")) == "$49.00" and money("1200.5") == "$1,200.50" and money(5, "eur") == "5.00 EUR"
