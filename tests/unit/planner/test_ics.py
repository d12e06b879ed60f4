"""The plan as iCalendar text (RFC 5545): CRLF lines folded at 75 octets, escaped text, one VEVENT per course
and per deadline, each with UID, DTSTAMP, DTSTART and DTEND."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from cebridge.domain.planner import Plan, make_plan, to_ics
from cebridge.domain.planning.ics import escape, fold, unfold
from tests.unit.planner.builders import AS_OF, done, lic, live, offering, pack, state

STAMP = datetime(2024, 9, 2, 8, 30, tzinfo=UTC)


def _plan() -> Plan:
    existing = [done("d1", 7, cats=["clinical"])]
    catalog = [
        offering("eth3", 3, 10, ["ethics"], title="Ethics; Boundaries, and \\ Records — a very long title that "
                 "needs folding because it is longer than seventy-five octets ✓✓✓", topics=["trauma"]),
        live("cul2", 2, 0, ["cultural_diversity"], "2024-10-07", title="Culture"),
    ]
    return make_plan([state(lic(), pack(), existing)], catalog, as_of=AS_OF, completions=existing, goals=["trauma"])


def _events(lines: list[str]) -> list[dict[str, str]]:
    events: list[dict[str, str]] = []
    current: dict[str, str] | None = None
    depth = 0
    for line in lines:
        if line == "BEGIN:VEVENT":
            current, depth = {}, 0
        elif line == "END:VEVENT":
            assert current is not None
            events.append(current)
            current = None
        elif line == "BEGIN:VALARM":
            depth += 1
        elif line == "END:VALARM":
            depth -= 1
        elif current is not None and depth == 0:
            name, _, value = line.partition(":")
            current[name] = value
    return events


def test_calendar_structure_and_line_rules() -> None:
    text = to_ics(_plan(), dtstamp=STAMP)
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "")
    for raw in text.split("\r\n")[:-1]:
        assert len(raw.encode("utf-8")) <= 75, raw
    lines = unfold(text)
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    assert "VERSION:2.0" in lines and any(line.startswith("PRODID:") for line in lines)
    events = _events(lines)
    assert len(events) == 3  # two courses and one deadline
    for ev in events:
        assert ev["DTSTAMP"] == "20240902T083000Z"
        assert ev["UID"].endswith("@cebridge")
        assert any(k.startswith("DTSTART") for k in ev) and any(k.startswith("DTEND") for k in ev)
    assert len({ev["UID"] for ev in events}) == 3
    on_demand, live_one, deadline = events
    assert on_demand["DTSTART;VALUE=DATE"] == "20240902" and on_demand["DTEND;VALUE=DATE"] == "20240903"
    assert on_demand["SUMMARY"].startswith("CE: Ethics\\; Boundaries\\, and \\\\ Records")
    assert "goals: trauma" in on_demand["DESCRIPTION"]
    assert live_one["DTSTART"] == "20241007T090000Z" and live_one["DTEND"] == "20241007T120000Z"
    assert deadline["DTSTART;VALUE=DATE"] == "20250630" and "ZZ-TEST-1" in deadline["SUMMARY"]
    assert "TRIGGER:-P7D" in lines


def test_same_plan_and_stamp_give_the_same_bytes_and_stable_uids() -> None:
    plan = _plan()
    assert to_ics(plan, dtstamp=STAMP) == to_ics(plan, dtstamp=STAMP)
    later = to_ics(plan, dtstamp=STAMP + timedelta(days=1))
    uids = [line for line in unfold(later) if line.startswith("UID:")]
    assert uids == [line for line in unfold(to_ics(plan, dtstamp=STAMP)) if line.startswith("UID:")]


def test_stamp_in_another_zone_is_written_in_utc() -> None:
    eastern = datetime(2024, 9, 2, 4, 30, tzinfo=timezone(timedelta(hours=-4)))
    assert "DTSTAMP:20240902T083000Z" in to_ics(_plan(), dtstamp=eastern)


def test_fold_never_splits_a_character_and_unfold_restores_it() -> None:
    line = "DESCRIPTION:" + "é✓" * 60
    folded = fold(line)
    pieces = folded.split("\r\n")
    assert all(len(p.encode("utf-8")) <= 75 for p in pieces)
    assert all(p.startswith(" ") for p in pieces[1:])
    assert unfold(folded + "\r\n") == [line]
    assert fold("SHORT:x") == "SHORT:x"


def test_escape() -> None:
    assert escape("a;b,c\\d\ne") == "a\\;b\\,c\\\\d\\ne"
