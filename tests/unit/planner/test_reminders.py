"""Reminder events before deadlines (what is short, for which license) and before planned courses."""

from __future__ import annotations

from datetime import date

from cebridge.domain.planner import make_plan, reminders
from tests.unit.planner.builders import AS_OF, done, lic, live, offering, pack, requirement, state, version


def test_deadline_reminders_name_what_is_short() -> None:
    rules = pack(version(requirements=[requirement("ethics", ["ethics"], 3),
                                       requirement("exam", ["jurisprudence_exam"], min_completions=1)]))
    report = state(lic(), rules, [done("d1", 7, cats=["clinical"])]).report
    got = reminders([report], as_of=date(2025, 4, 1))
    assert [r.on for r in got] == [date(2025, 4, 1), date(2025, 5, 31), date(2025, 6, 23), date(2025, 6, 29)]
    first = got[0]
    assert first.kind == "deadline" and first.board == "zz-test" and first.deadline == date(2025, 6, 30)
    assert first.short == ["ethics: 3 h", "exam: 1 completion", "total: 5 h"]
    assert "renews in 90 days" in first.message and first.license_number == "ZZ-TEST-1"


def test_only_future_reminders_and_one_today_when_all_leads_passed() -> None:
    report = state(lic(), pack(), []).report
    assert [r.on for r in reminders([report], as_of=date(2025, 6, 24))] == [date(2025, 6, 29)]
    assert [r.on for r in reminders([report], as_of=date(2025, 6, 30))] == [date(2025, 6, 30)]
    assert reminders([report], as_of=date(2025, 7, 1)) == []


def test_a_compliant_license_gets_no_reminder() -> None:
    existing = [done("d1", 12, cats=["ethics", "cultural_diversity"]), done("d2", 3, cats=["ethics"]),
                done("d3", 2, cats=["cultural_diversity"])]
    assert reminders([state(lic(), pack(), existing).report], as_of=AS_OF) == []


def test_course_reminders_from_a_plan() -> None:
    existing = [done("d1", 7, cats=["clinical"])]
    s = state(lic(), pack(), existing)
    catalog = [offering("eth3", 3, 0, ["ethics"]), live("cul2", 2, 0, ["cultural_diversity"], "2024-10-07")]
    plan = make_plan([s], catalog, as_of=AS_OF, completions=existing)
    got = [r for r in reminders([s.report], as_of=AS_OF, leads=(30,), plan=plan) if r.kind == "course"]
    assert [(r.on, r.course) for r in got] == [(AS_OF, "eth3"), (date(2024, 10, 6), "cul2")]
    assert "2024-10-07 09:00" in got[1].message
