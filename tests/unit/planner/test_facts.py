"""The planner's prediction of what a license makes of one new course agrees with the engine's verdict."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from cebridge.domain import CreditOffering
from cebridge.domain.engine import evaluate
from cebridge.domain.planning.facts import FILTER_CODES, LicenseView
from tests.unit.planner.builders import cap, done, lic, offering, pack, requirement, state, version

RULES = pack(
    version(
        approvers=[
            {"body": "APA", "source": ["s"]},
            {"body": "NBCC", "source": ["s"], "formats": ["live_in_person", "live_interactive_webinar"]},
            {"body": "ACA", "source": ["s"], "valid_to": "2024-06-30"},
        ],
        units={"source": ["s"], "minutes_per_hour": 50, "day_hours": "6"},
        activities=[
            {"activity": "course", "source": ["s"]},
            {"activity": "presenting", "approval_required": False, "multiplier": "1.5", "source": ["s"]},
            {"activity": "jurisprudence_exam", "approval_required": False, "fixed_hours": 1,
             "adds_categories": ["ethics"], "source": ["s"]},
            {"activity": "authoring", "eligible": False, "source": ["s"]},
            {"activity": "conference_attendance", "requires_flag": "has_post_test", "source": ["s"]},
        ],
        requirements=[
            requirement("ethics", ["ethics"], 3),
            requirement("live", ["any"], 2, formats=["live_in_person"]),
            requirement("exam", ["jurisprudence_exam"], min_completions=1),
        ],
        caps=[cap("self", {"formats": ["self_study"]}, max_hours="4"),
              cap("listed", {"flag_false": "listed"}, max_fraction="0.5", applies_from="2024-01-01")],
        exclude_disciplinary=True,
    )
)
EXISTING = [done("d1", 2, cats=["clinical"], title="Known course", provider="P")]
STATE = state(lic(), RULES, EXISTING)


@st.composite
def offerings(draw: st.DrawFn) -> CreditOffering:
    unit = draw(st.sampled_from(["hours", "minutes", "ceu", "ce_credits", "days", "semester_hours"]))
    amount = draw(st.sampled_from(["0.5", "1", "1.25", "2", "3", "90", "0.3"]))
    return offering(
        draw(st.sampled_from(["new", "d1"])),
        amount,
        0,
        draw(st.lists(st.sampled_from(["ethics", "clinical", "jurisprudence_exam", "law"]), max_size=2, unique=True)),
        fmt=draw(st.sampled_from(["self_study", "live_in_person", "live_interactive_webinar"])),
        approvals=draw(st.sampled_from([["APA"], ["NBCC"], ["ACA"], ["NAADAC"], []])),
        activity=draw(st.sampled_from(["course", "presenting", "jurisprudence_exam", "authoring",
                                       "conference_attendance"])),
        credits={"amount": amount, "unit": unit},
        flags={"listed": draw(st.booleans()), "has_post_test": draw(st.booleans()),
               "disciplinary_order": draw(st.booleans())},
        title=draw(st.sampled_from(["Known course", "Other course"])),
        provider="P",
    )


@settings(max_examples=300, deadline=None)
@given(offerings(), st.integers(-40, 760))
def test_fact_agrees_with_the_engine(o: CreditOffering, offset: int) -> None:
    on = date(2023, 7, 1) + timedelta(days=offset)
    view = LicenseView(STATE, tuple(EXISTING))
    fact = view.fact(o, on)
    if fact.code == "duplicate":
        # The planner never plans a course already done this cycle (the engine would count one of the two).
        assert o.id == "d1" or o.title == "Known course"
        return
    report = evaluate(STATE.license, [*EXISTING, o.completed(on)], RULES)
    result = next(r for r in report.completions if r.id == o.id)
    codes = [x.code for x in result.reasons if x.code in FILTER_CODES]
    if fact.accepted:
        assert codes == [], (fact, result)
        assert result.hours_declared == fact.hours
        served = {view.needs[i].id for i in fact.serves | fact.completes}
        assert set(result.allocation) <= served
    else:
        assert codes, (fact, result)
        assert fact.code == codes[0], (fact, codes)


def test_caps_and_completion_minimums_are_read_from_the_report() -> None:
    existing = [done("a", 3, cats=["jurisprudence_exam"], format="self_study", activity="jurisprudence_exam",
                     approvals=[], completed_on="2024-02-01", flags={"listed": True})]
    view = LicenseView(state(lic(), RULES, existing), tuple(existing))
    rooms = {r.cap.id: r.room for r in view.rooms}
    assert rooms == {"self": 3, "listed": 6}  # the exam counts 1 self-study hour; half of 12 for unlisted
    needs = {n.id: n for n in view.needs}
    assert needs["exam"].completions_short == 0 and needs["ethics"].short == 2
