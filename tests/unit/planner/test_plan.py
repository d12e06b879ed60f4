"""The planner on small hand-made catalogs: the objective order, the limits, and what it says when stuck."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from cebridge.domain import Money
from cebridge.domain.planner import make_plan
from cebridge.domain.rules import Requirement
from cebridge.errors import InputError
from tests.unit.planner.builders import (
    AS_OF,
    cap,
    done,
    lic,
    live,
    offering,
    pack,
    requirement,
    state,
    version,
)

PACK = pack()  # 12 hours: 3 ethics, 2 cultural; APA and NBCC
EXISTING = [done("d1", 7, cats=["clinical"])]  # 5 hours short: 3 ethics + 2 cultural


def _plan(catalog, completions=EXISTING, states=None, **kw):  # type: ignore[no-untyped-def]
    states = states or [state(lic(), PACK, completions)]
    return make_plan(states, catalog, as_of=kw.pop("as_of", AS_OF), completions=completions, **kw)


def test_cheapest_set_closes_every_gap() -> None:
    catalog = [
        offering("eth3", 3, 30, ["ethics"]),
        offering("eth3-free", 3, 0, ["ethics"]),
        offering("cul2", 2, 15, ["cultural_diversity"]),
        offering("both5", 5, 40, ["ethics", "cultural_diversity"]),
    ]
    plan = _plan(catalog)
    assert plan.feasible and plan.optimal
    assert sorted(c.id for c in plan.courses) == ["cul2", "eth3-free"]
    assert plan.total_cost == Decimal(15)
    assert plan.total_hours == Decimal(5)
    closes = {c.requirement: (c.hours, c.by) for c in plan.closes}
    assert closes["ethics"] == (Decimal(3), ["eth3-free"])
    assert closes["cultural"] == (Decimal(2), ["cul2"])
    assert closes["total"][0] == Decimal(5)
    assert plan.licenses[0].compliant_after and not plan.licenses[0].compliant_now


def test_fewer_hours_break_a_cost_tie() -> None:
    catalog = [
        offering("eth6", 6, 20, ["ethics"]),
        offering("eth3", 3, 20, ["ethics"]),
        offering("cul2", 2, 0, ["cultural_diversity"]),
    ]
    plan = _plan(catalog)
    assert sorted(c.id for c in plan.courses) == ["cul2", "eth3"]


def test_goals_break_a_tie_of_cost_and_hours() -> None:
    catalog = [
        offering("eth-a", 3, 10, ["ethics"], topics=["boundaries"]),
        offering("eth-b", 3, 10, ["ethics"], topics=["Trauma", "ethics"]),
        offering("cul2", 2, 0, ["cultural_diversity"]),
    ]
    assert "eth-b" in [c.id for c in _plan(catalog, goals=["trauma"]).courses]
    plan = _plan(catalog, goals=["TRAUMA"])
    assert plan.goals_covered == ["TRAUMA"]
    # Without the goal, the catalog order decides and the goal course is not preferred.
    reverse = [catalog[1], catalog[0], catalog[2]]
    assert "eth-a" in [c.id for c in _plan(reverse, goals=["boundaries"]).courses]


def test_goals_do_not_outweigh_cost_without_a_goal_budget() -> None:
    catalog = [
        offering("eth", 3, 10, ["ethics"]),
        offering("eth-trauma", 3, 11, ["ethics"], topics=["trauma"]),
        offering("cul2", 2, 0, ["cultural_diversity"]),
        offering("trauma-workshop", 4, 30, ["clinical"], topics=["trauma"]),
    ]
    plan = _plan(catalog, goals=["trauma"])
    assert sorted(c.id for c in plan.courses) == ["cul2", "eth"]
    assert plan.goals_covered == []


def test_goal_budget_buys_goal_topics_within_it() -> None:
    catalog = [
        offering("eth", 3, 10, ["ethics"]),
        offering("cul2", 2, 0, ["cultural_diversity"]),
        offering("trauma-cheap", 4, 25, ["clinical"], topics=["trauma"]),
        offering("trauma-dear", 4, 60, ["clinical"], topics=["trauma"]),
        offering("emdr", 6, 45, ["clinical"], topics=["emdr"]),
    ]
    plan = _plan(catalog, goals=["trauma", "emdr"], goal_budget=Decimal(50))
    # 10 closes the gaps; 50 more buys one goal topic, and the cheaper one (trauma at 25) is taken.
    assert sorted(c.id for c in plan.courses) == ["cul2", "eth", "trauma-cheap"]
    assert plan.goals_covered == ["trauma"]
    plan = _plan(catalog, goals=["trauma", "emdr"], goal_budget=Decimal(70))
    assert sorted(c.id for c in plan.courses) == ["cul2", "emdr", "eth", "trauma-cheap"]
    assert plan.total_cost == Decimal(80)
    assert plan.goals_covered == ["trauma", "emdr"]


def test_earliest_finish_breaks_the_last_tie() -> None:
    catalog = [
        live("late", 3, 10, ["ethics"], "2025-03-03"),
        live("early", 3, 10, ["ethics"], "2024-10-07"),
        offering("cul2", 2, 0, ["cultural_diversity"]),
    ]
    plan = _plan(catalog)
    assert "early" in [c.id for c in plan.courses]
    early = next(c for c in plan.courses if c.id == "early")
    assert early.completes_on == date(2024, 10, 7) and early.week_of == date(2024, 10, 7)
    assert early.starts_at is not None


def test_only_offerings_with_an_accepted_approval_are_used() -> None:
    catalog = [
        offering("eth-naadac", 3, 0, ["ethics"], approvals=["NAADAC"]),
        offering("eth-nbcc", 3, 50, ["ethics"], approvals=["NBCC"]),
        offering("cul-naadac", 2, 0, ["cultural_diversity"], approvals=["NAADAC"]),
    ]
    plan = _plan(catalog)
    assert not plan.feasible
    assert [c.id for c in plan.courses] == ["eth-nbcc"]  # the best partial plan still closes ethics
    unmet = {u.requirement: u for u in plan.unmet}
    assert set(unmet) == {"cultural", "total"}
    assert unmet["cultural"].code == "no_accepted_offering"
    assert "NAADAC" in unmet["cultural"].why and "APA" in unmet["cultural"].why
    assert unmet["cultural"].short == Decimal(2) and unmet["total"].short == Decimal(2)
    assert unmet["total"].code == "not_enough_hours"


def test_a_requirement_no_offering_covers_says_so() -> None:
    plan = _plan([offering("eth3", 3, 0, ["ethics"])])
    unmet = next(u for u in plan.unmet if u.requirement == "cultural")
    assert unmet.code == "no_accepted_offering"
    assert unmet.why == "no offering in the catalog covers Cultural"


def test_live_sessions_must_fall_between_as_of_and_the_deadline() -> None:
    catalog = [
        live("cul-past", 2, 0, ["cultural_diversity"], "2024-08-30"),  # before as_of
        live("cul-late", 2, 0, ["cultural_diversity"], "2025-07-01"),  # after the deadline
        offering("eth3", 3, 0, ["ethics"]),
    ]
    plan = _plan(catalog)
    assert not plan.feasible
    assert plan.unmet[0].code == "no_session_before_deadline"
    assert "2025-06-30" in plan.unmet[0].why
    catalog.append(live("cul-ok", 2, 90, ["cultural_diversity"], "2025-06-30"))
    plan = _plan(catalog)
    assert plan.feasible and "cul-ok" in [c.id for c in plan.courses]


def test_an_open_self_study_cap_limits_what_counts() -> None:
    capped = pack(version(caps=[cap("self", {"formats": ["self_study"]}, max_hours="4")]))
    existing = [done("d1", 2, cats=["clinical"], format="self_study"),
                done("d2", 5, cats=["clinical"], format="live_in_person")]
    states = [state(lic(), capped, existing)]  # 2 self-study hours left under the cap
    catalog = [
        offering("eth3-ss", 3, 0, ["ethics"]),
        offering("cul2-ss", 2, 0, ["cultural_diversity"]),
        live("eth3-live", 3, 20, ["ethics"], "2024-11-04"),
        live("cul2-live", 2, 20, ["cultural_diversity"], "2024-11-05"),
    ]
    plan = make_plan(states, catalog, as_of=AS_OF, completions=existing)
    assert plan.feasible
    # Self-study ethics (3 h) would count only 2: ethics goes live, cultural fits under the cap.
    assert sorted(c.id for c in plan.courses) == ["cul2-ss", "eth3-live"]
    assert plan.total_cost == Decimal(20)
    report = plan.licenses[0].report_after
    assert report.caps["self"] == Decimal(4)


def test_existing_hours_move_to_make_room() -> None:
    # d1 is ethics and cultural; the engine put it where it was needed now, but a cheap ethics course lets it
    # move to cultural, so nothing cultural has to be bought.
    existing = [done("d1", 2, cats=["ethics", "cultural_diversity"]), done("d2", 7, cats=["clinical"])]
    catalog = [offering("eth6", 6, 10, ["ethics"]), offering("cul2", 2, 100, ["cultural_diversity"])]
    plan = _plan(catalog, completions=existing)
    assert plan.feasible
    assert [c.id for c in plan.courses] == ["eth6"]


def test_one_course_serves_two_licenses_and_is_paid_once() -> None:
    other = pack(
        version(
            requirements=[requirement("law", ["law", "ethics"], 3)],
            approvers=[{"body": "NBCC", "source": ["s"]}],
            total={"hours": 6, "source": ["s"]},
        ),
        pid="zy-other",
    )
    existing = [done("d1", 7, cats=["clinical"], approvals=["APA", "NBCC"])]
    states = [state(lic(), PACK, existing), state(lic("zy-other", start="2023-04-01", end="2025-03-31"), other,
                                                  existing)]
    catalog = [
        offering("eth3-apa", 3, 5, ["ethics"], approvals=["APA"]),
        offering("eth3-both", 3, 8, ["ethics"], approvals=["APA", "NBCC"]),
        offering("law3", 3, 5, ["law"], approvals=["NBCC"]),
        offering("cul2", 2, 0, ["cultural_diversity"], approvals=["NBCC"]),
    ]
    plan = make_plan(states, catalog, as_of=AS_OF, completions=existing)
    assert plan.feasible
    assert sorted(c.id for c in plan.courses) == ["cul2", "eth3-both"]
    assert plan.total_cost == Decimal(8)
    both = next(c for c in plan.courses if c.id == "eth3-both")
    assert both.counts_for == ["zz-test", "zy-other"]
    data = plan.to_json()
    assert {c["requirement"] for c in data["closes"]} == {"zz-test:ethics", "zz-test:cultural", "zz-test:total",
                                                          "zy-other:law"}


def test_weekly_limit_spreads_study_and_blocks_long_sessions() -> None:
    catalog = [
        offering("eth3", 3, 0, ["ethics"]),
        offering("cul2", 2, 0, ["cultural_diversity"]),
    ]
    plan = _plan(catalog, hours_per_week=Decimal(2))
    assert plan.feasible
    by_id = {c.id: c for c in plan.courses}
    assert by_id["eth3"].week_of == date(2024, 9, 2) and by_id["eth3"].completes_on == date(2024, 9, 9)
    assert by_id["cul2"].week_of == date(2024, 9, 9) and by_id["cul2"].completes_on == date(2024, 9, 16)
    long_session = [live("eth3-live", 3, 0, ["ethics"], "2024-10-07"), catalog[1]]
    plan = _plan(long_session, hours_per_week=Decimal(2))
    assert not plan.feasible
    (unmet,) = [u for u in plan.unmet if u.requirement == "ethics"]
    assert unmet.code == "weekly_hours_too_low" and "eth3-live" in unmet.why


def test_weekly_limit_too_low_for_the_time_left() -> None:
    catalog = [offering("eth3", 3, 0, ["ethics"]), offering("cul2", 2, 0, ["cultural_diversity"])]
    plan = _plan(catalog, as_of=date(2025, 6, 23), hours_per_week=Decimal(1))  # two weeks left: 2 hours
    assert not plan.feasible
    assert {u.code for u in plan.unmet} == {"weekly_hours_too_low"}
    assert "2 week(s)" in plan.unmet[0].why


def test_over_budget_names_the_cheapest_cost() -> None:
    catalog = [offering("eth3", 3, 30, ["ethics"]), offering("cul2", 2, 25, ["cultural_diversity"])]
    plan = _plan(catalog, budget=Decimal(40))
    assert not plan.feasible
    codes = {u.requirement: u.code for u in plan.unmet}
    assert "over_budget" in codes.values()
    assert any("55.00 > budget 40.00" in u.why for u in plan.unmet)
    assert plan.total_cost <= Decimal(40)
    assert _plan(catalog, budget=Decimal(55)).feasible


def test_a_new_completion_removes_courses_from_the_plan() -> None:
    catalog = [offering("eth3", 3, 30, ["ethics"]), offering("cul2", 2, 25, ["cultural_diversity"])]
    first = _plan(catalog)
    assert sorted(c.id for c in first.courses) == ["cul2", "eth3"]
    later = [*EXISTING, done("new", 3, on="2024-09-20", cats=["ethics"])]
    again = _plan(catalog, completions=later, as_of=date(2024, 9, 23))
    assert [c.id for c in again.courses] == ["cul2"]
    assert again.total_cost == Decimal(25)


def test_the_same_course_twice_is_taken_once_and_a_completed_course_not_again() -> None:
    catalog = [
        offering("eth3-live", 3, 0, ["ethics"], title="Ethics Now", fmt="live_in_person",
                 sessions=[("2024-10-01T09:00:00Z", "2024-10-01T12:00:00Z")]),
        offering("eth3-ss", 3, 0, ["ethics"], title="Ethics Now"),
        offering("cul1-a", 1, 0, ["cultural_diversity"]),
        offering("cul1-b", 1, 0, ["cultural_diversity"], title="Done d9", provider="Elsewhere"),
        offering("cul1-c", 1, 5, ["cultural_diversity"]),
        offering("eth3-paid", 3, 9, ["ethics"]),
    ]
    existing = [*EXISTING, done("d9", 1, cats=["clinical"])]
    plan = _plan(catalog, completions=existing)
    ids = [c.id for c in plan.courses]
    assert plan.feasible
    assert len({"eth3-live", "eth3-ss"} & set(ids)) == 1 and "eth3-paid" not in ids
    assert "cul1-b" not in ids and {"cul1-a", "cul1-c"} <= set(ids)


def test_nothing_open_means_an_empty_plan() -> None:
    existing = [done("d1", 12, cats=["ethics", "cultural_diversity"]), done("d2", 3, cats=["ethics"]),
                done("d3", 2, cats=["cultural_diversity"])]
    plan = _plan([offering("x", 3, 0, ["ethics"])], completions=existing)
    assert plan.feasible and plan.courses == [] and plan.closes == [] and plan.total_cost == 0


def test_a_completion_minimum_is_met_by_an_exam() -> None:
    rules = pack(version(
        requirements=[requirement("exam", ["jurisprudence_exam"], min_completions=1)],
        activities=[{"activity": "course", "source": ["s"]},
                    {"activity": "jurisprudence_exam", "approval_required": False, "fixed_hours": 1,
                     "source": ["s"]}],
    ))
    existing = [done("d1", 12, cats=["clinical"])]
    catalog = [
        offering("exam", 0, 25, ["jurisprudence_exam"], approvals=[], activity="jurisprudence_exam"),
        offering("exam-course", 2, 10, ["jurisprudence_exam"], approvals=["NAADAC"]),
    ]
    plan = make_plan([state(lic(), rules, existing)], catalog, as_of=AS_OF, completions=existing)
    assert [c.id for c in plan.courses] == ["exam"]
    assert plan.closes[0].requirement == "exam" and plan.closes[0].completions == 1


def test_deadline_passed() -> None:
    plan = _plan([offering("eth3", 3, 0, ["ethics"])], as_of=date(2025, 7, 1))
    assert not plan.feasible
    assert {u.code for u in plan.unmet} == {"deadline_passed"}


def test_two_deadlines_share_one_weekly_limit() -> None:
    early = pack(version(requirements=[requirement("ethics", ["ethics"], 2)], total={"hours": 2, "source": ["s"]}),
                 pid="zx-early")
    late = pack(version(requirements=[requirement("cultural", ["cultural_diversity"], 4)],
                        total={"hours": 4, "source": ["s"]}), pid="zw-late")
    states = [state(lic("zx-early", start="2023-01-01", end="2024-09-15"), early, []),
              state(lic("zw-late"), late, [])]
    catalog = [offering("cul4", 4, 0, ["cultural_diversity"]), offering("eth2", 2, 0, ["ethics"])]
    plan = make_plan(states, catalog, as_of=AS_OF, hours_per_week=Decimal(1))
    assert plan.feasible
    eth = next(c for c in plan.courses if c.id == "eth2")
    assert eth.completes_on <= date(2024, 9, 15)  # done first, before the early deadline
    # Three weeks to the early deadline at 1 hour a week: the 2-hour ethics course fits, a 4-hour one would not.
    tight = [offering("eth4", 4, 0, ["ethics"]), catalog[0]]
    plan = make_plan(states, tight, as_of=AS_OF, hours_per_week=Decimal(1))
    assert not plan.feasible and plan.unmet[0].board == "zx-early"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"budget": Decimal(-1)}, "budget must not be negative"),
        ({"goal_budget": Decimal(-5)}, "goal budget must not be negative"),
        ({"hours_per_week": Decimal(0)}, "hours per week must be more than 0"),
        ({"budget": "ten"}, "budget 'ten' is not a number"),
        ({"goals": ["  "]}, "goal topic must not be empty"),
    ],
)
def test_bad_limits_are_input_errors(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InputError, match=message):
        _plan([offering("eth3", 3, 0, ["ethics"])], **kwargs)


def test_bad_catalogs_are_input_errors() -> None:
    with pytest.raises(InputError, match="two offerings have the id 'x'"):
        _plan([offering("x", 1, 0, ["ethics"]), offering("x", 2, 0, ["ethics"])])
    with pytest.raises(InputError, match="unknown category 'astrology'"):
        _plan([offering("x", 1, 0, ["astrology"])])
    with pytest.raises(InputError, match="several currencies"):
        _plan([offering("x", 1, 0, ["ethics"]), offering("y", 1, 0, ["ethics"]).model_copy(
            update={"price": Money(amount=Decimal(1), currency="EUR")})])
    with pytest.raises(InputError, match="ends before it starts"):
        _plan([offering("x", 1, 0, ["ethics"], fmt="live_in_person",
                        sessions=[("2024-10-01T12:00:00Z", "2024-10-01T09:00:00Z")])])


def test_same_board_twice_is_an_input_error() -> None:
    s = state(lic(), PACK, EXISTING)
    with pytest.raises(InputError, match="each board may be given once"):
        make_plan([s, s], [], as_of=AS_OF, completions=EXISTING)


def test_json_contract() -> None:
    catalog = [offering("eth3", 3, "12.5", ["ethics"]), live("cul2", 2, 0, ["cultural_diversity"], "2024-10-07")]
    data = _plan(catalog).to_json()
    assert data["feasible"] is True
    assert data["courses"] == ["eth3", "cul2"]
    assert data["total_cost"] == "12.50" and data["total_hours"] == 5
    assert {"requirement": "ethics", "hours": 3, "by": ["eth3"]} in data["closes"]
    assert data["schedule"][0]["course"] == "eth3" and data["schedule"][0]["week_of"] == "2024-09-02"
    assert data["schedule"][1]["week_of"] == "2024-10-07"
    assert data["unmet"] == []


@pytest.mark.skipif("independent" not in Requirement.model_fields, reason="rule schema without independent minimums")
def test_an_in_person_minimum_counts_alongside_ethics() -> None:
    rules = pack(version(requirements=[
        requirement("ethics", ["ethics"], 3),
        requirement("in_person", ["any"], 3, formats=["live_in_person"], independent=True),
    ], total={"hours": 4, "source": ["s"]}))
    catalog = [
        live("eth-live", 3, 30, ["ethics"], "2024-10-07"),
        offering("eth-ss", 3, 0, ["ethics"]),
        live("gen-live", 3, 40, ["clinical"], "2024-10-08"),
        offering("gen-ss", 1, 0, ["clinical"]),
    ]
    plan = make_plan([state(lic(), rules, [])], catalog, as_of=AS_OF)
    # The live ethics course serves both minimums at once: cheaper than free ethics plus a live general course.
    assert sorted(c.id for c in plan.courses) == ["eth-live", "gen-ss"]
    assert plan.total_cost == Decimal(30)


def test_goal_budget_comes_on_top_of_the_budget() -> None:
    catalog = [
        offering("eth", 3, 10, ["ethics"]),
        offering("cul2", 2, 5, ["cultural_diversity"]),
        offering("trauma", 4, 25, ["clinical"], topics=["trauma"]),
    ]
    plan = _plan(catalog, budget=Decimal(20), goals=["trauma"], goal_budget=Decimal(30))
    assert plan.feasible and sorted(c.id for c in plan.courses) == ["cul2", "eth", "trauma"]
    assert plan.total_cost == Decimal(40)  # 15 to close the gaps (within 20), 25 of the 30 for goals
    tight = _plan(catalog, budget=Decimal(14), goals=["trauma"], goal_budget=Decimal(30))
    assert not tight.feasible and {u.code for u in tight.unmet} == {"over_budget"}


def test_over_budget_when_the_only_way_costs_more_than_the_whole_budget() -> None:
    catalog = [offering("eth3", 3, 60, ["ethics"]), offering("cul2", 2, 0, ["cultural_diversity"])]
    plan = _plan(catalog, budget=Decimal(50))
    unmet = {u.requirement: u for u in plan.unmet}
    assert unmet["ethics"].code == "over_budget"
    assert "60.00 > budget 50.00" in unmet["ethics"].why
    assert [c.id for c in plan.courses] == ["cul2"]


def test_the_report_must_come_from_the_completions_given() -> None:
    s = state(lic(), PACK, EXISTING)
    with pytest.raises(InputError, match="computed from 1 completions, not the 0 given"):
        make_plan([s], [offering("eth3", 3, 0, ["ethics"])], as_of=AS_OF, completions=[])


def test_a_session_mixing_time_zones_is_an_input_error() -> None:
    bad = offering("x", 1, 0, ["ethics"], fmt="live_in_person",
                   sessions=[("2024-10-01T09:00:00", "2024-10-01T12:00:00Z")])
    with pytest.raises(InputError, match="mixes times with and without a time zone"):
        _plan([bad])
