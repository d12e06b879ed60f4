"""The plan page: the planner's courses from the stored catalog with cost, hours and schedule, limits checked on
the server, and the .ics download carrying the launch token and the same limits."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from tests.unit.dashboard.conftest import Site
from tests.unit.dashboard.dom import accessibility_basics, parse


def test_the_plan_closes_the_gaps_with_cost_hours_and_schedule(seeded: Site) -> None:
    token = seeded.launch()
    doc = seeded.page("/dashboard/plan", token)
    assert accessibility_basics(doc) == []
    courses = {r.find("th").text: r.text for r in doc.by_id("plan-courses").find("tbody").find_all("tr")}
    assert any(t.startswith("Texas Jurisprudence Exam") for t in courses)
    assert any(t.startswith("Human Trafficking Prevention") for t in courses)
    cultural = next(v for k, v in courses.items() if k.startswith("Cultural Humility"))
    assert "Live webinar" in cultural and "Apr 10, 2026, 17:00 UTC" in cultural and "$59.00" in cultural
    boundaries = next(v for k, v in courses.items() if k.startswith("Professional Boundaries"))
    assert "New York Licensed Clinical Social Worker (LCSW)" in boundaries
    summary = doc.by_id("plan-summary").text
    assert "$" in summary and "hours of study" in summary
    closes = doc.by_id("plan-closes").text
    assert "Texas Licensed Professional Counselor (LPC): Ethics: 4 hours" in closes
    unmet = doc.by_id("plan-unmet").text  # the NY self-study cap leaves the total short with this catalog
    assert "New York Licensed Clinical Social Worker (LCSW): Total hours" in unmet and "Self-study" in unmet
    link = doc.by_id("ics-link").attrs["href"]
    assert parse_qs(urlsplit(link).query)["lt"] == [token]


def test_the_calendar_has_an_event_per_course_and_deadline(seeded: Site) -> None:
    token = seeded.launch()
    doc = seeded.page("/dashboard/plan", token, hours_per_week="3")
    resp = seeded.client.get(doc.by_id("ics-link").attrs["href"])
    assert resp.status_code == 200 and resp.mimetype == "text/calendar"
    assert resp.headers["Content-Disposition"] == 'attachment; filename="ce-learning-plan.ics"'
    text = resp.get_data(as_text=True)
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.rstrip().endswith("END:VCALENDAR")
    unfolded = text.replace("\r\n ", "")
    assert "SUMMARY:CE: Cultural Humility in Practice\r\n" in unfolded and "DTSTART:20260410T170000Z" in unfolded
    assert text.count("BEGIN:VEVENT") == len(doc.by_id("plan-courses").find("tbody").find_all("tr")) + 2
    assert parse_qs(urlsplit(doc.by_id("ics-link").attrs["href"]).query)["hours_per_week"] == ["3"]


def test_a_budget_of_nothing_leaves_gaps_and_says_why(seeded: Site) -> None:
    doc = seeded.page("/dashboard/plan", seeded.launch(), budget="0")
    assert "No plan closes every gap within your limits" in doc.by_id("plan-summary").text
    assert "budget" in doc.by_id("plan-unmet").text.lower()


def test_bad_limits_are_named_next_to_their_fields(seeded: Site) -> None:
    token = seeded.launch()
    resp = seeded.get("/dashboard/plan", token, budget="lots", hours_per_week="0")
    assert resp.status_code == 422
    doc = parse(resp.get_data(as_text=True))
    assert "Budget: 'lots' is not a number" in doc.by_id("budget-error").text
    assert "Hours per week must be more than zero" in doc.by_id("hours_per_week-error").text
    assert doc.by_id("budget").attrs["aria-invalid"] == "true"
    assert doc.by_id("budget").attrs["value"] == "lots"
    assert not doc.has_id("plan-courses")
    ics = seeded.get("/dashboard/plan.ics", token, budget="-5")
    assert ics.status_code == 400 and "Budget must be zero or more" in ics.get_data(as_text=True)


def test_a_compliant_clinician_has_nothing_to_plan(seeded: Site) -> None:
    doc = seeded.page("/dashboard/plan", seeded.launch("learner-2", name="Alex Kim"))
    assert doc.has_id("nothing-to-do") and not doc.has_id("ics-link")
    resp = seeded.get("/dashboard/plan.ics", seeded.launch("learner-2"))
    assert resp.status_code == 200 and resp.get_data(as_text=True).count("BEGIN:VEVENT") == 1  # the deadline


def test_no_license_means_no_plan(site: Site) -> None:
    token = site.launch("new-user")
    assert site.get("/dashboard/plan", token).status_code == 303
    assert site.get("/dashboard/plan.ics", token).status_code == 404
