"""Engine behaviour on small packs built in code: each rule shape and each reason code."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from cebridge.domain.engine import evaluate
from cebridge.errors import InputError, MissingFact
from tests.unit.engine.factories import done, lic, pack, version


def result(report, cid):  # type: ignore[no-untyped-def]
    return next(c for c in report.completions if c.id == cid)


def req(report, rid):  # type: ignore[no-untyped-def]
    return next(r for r in report.requirements if r.id == rid)


def test_compliant_when_total_and_every_category_met() -> None:
    cs = [
        done("a", 4, categories=["ethics"]),
        done("b", 3, categories=["cultural_diversity"]),
        done("c", 13, categories=["clinical"]),
    ]
    report = evaluate(lic(), cs, pack())
    assert report.compliant
    assert report.total.counted == Decimal(20)
    assert report.total.short == 0
    assert req(report, "ethics").counted == 4


def test_outside_cycle_is_rejected_with_the_cycle_edge() -> None:
    report = evaluate(lic(), [done("late", 2, on="2025-07-01")], pack())
    late = result(report, "late")
    assert late.status == "rejected"
    assert late.reasons[0].code == "outside_cycle"
    assert "after the cycle ended 2025-06-30" in late.reasons[0].message
    assert late.hours_rejected == 2


def test_approver_not_accepted_names_what_board_accepts() -> None:
    report = evaluate(lic(), [done("x", 2, approvals=["NAADAC"])], pack())
    reason = result(report, "x").reasons[0]
    assert reason.code == "approver_not_accepted"
    assert "NAADAC" in reason.message and "APA, NBCC" in reason.message


def test_approver_valid_only_in_a_period() -> None:
    v = version(approvers=[{"body": "APA", "valid_to": "2023-12-31", "source": ["s"]}])
    report = evaluate(lic(), [done("before", 1, on="2023-12-01"), done("after", 1, on="2024-01-02")], pack(v))
    assert result(report, "before").status == "accepted"
    assert result(report, "after").reasons[0].code == "approver_not_accepted"


def test_board_post_approval_flag_counts_only_where_the_board_allows_it() -> None:
    c = done("p", 2, approvals=[], flags={"board_post_approval": True})
    assert result(evaluate(lic(), [c], pack()), "p").status == "rejected"
    v = version(accept_board_post_approval=True)
    assert result(evaluate(lic(), [c], pack(v)), "p").status == "accepted"


def test_activity_not_eligible_without_a_rule() -> None:
    report = evaluate(lic(), [done("r", 2, activity="presenting")], pack())
    assert result(report, "r").reasons[0].code == "activity_not_eligible"


def test_presentation_multiplier_requires_its_flag() -> None:
    # Ohio-style: a first-time presentation earns 1.5 hours per hour presented, at most 10.
    v = version(
        activities=[
            {
                "activity": "presenting",
                "approval_required": False,
                "multiplier": "1.5",
                "requires_flag": "first_time_presentation",
                "source": ["s"],
            }
        ],
        caps=[
            {
                "id": "presenting",
                "title": "Presenting",
                "match": {"activities": ["presenting"]},
                "max_hours": 10,
                "source": ["s"],
            }
        ],
    )
    first = done("p1", 4, activity="presenting", approvals=[], flags={"first_time_presentation": True})
    second = done(
        "p2",
        4,
        activity="presenting",
        approvals=[],
        on="2024-02-01",
        flags={"first_time_presentation": True},
        title="Another talk",
    )
    repeat = done("p3", 2, activity="presenting", approvals=[], title="Old talk")
    report = evaluate(lic(), [first, second, repeat], pack(v))
    assert result(report, "p1").hours_counted == 6  # 4 x 1.5
    assert result(report, "p2").hours_counted == 4  # 6 more would pass the cap of 10
    assert result(report, "p2").status == "partially_accepted"
    assert result(report, "p2").reasons[0].code == "over_cap"
    assert result(report, "p3").reasons[0].code == "activity_not_eligible"


def test_units_fifty_minute_hour_ceu_and_unknown_days() -> None:
    v = version(units={"minutes_per_hour": 50, "source": ["s"]})
    cs = [
        done("h", 1),  # a 60-minute hour is 1.2 fifty-minute hours
        done("m", 100, credits={"amount": 100, "unit": "minutes"}),  # 2 hours
        done("c", 0, credits={"amount": "0.3", "unit": "ceu"}),  # 3 hours
        done("d", 0, credits={"amount": 1, "unit": "days"}),  # this board has no day rule
    ]
    report = evaluate(lic(), cs, pack(v))
    assert result(report, "h").hours_counted == Decimal("1.2")
    assert result(report, "m").hours_counted == 2
    assert result(report, "c").hours_counted == 3
    assert result(report, "d").reasons[0].code == "unit_unknown"


def test_duplicate_keeps_the_larger_and_says_which() -> None:
    cs = [done("a", 1, title="Same"), done("b", 3, title="same", on="2024-05-01")]
    report = evaluate(lic(), cs, pack())
    assert result(report, "b").status == "accepted"
    assert result(report, "a").reasons[0].code == "duplicate"
    assert "'b'" in result(report, "a").reasons[0].message
    assert report.total.counted == 3


def test_repeated_id_counts_once() -> None:
    report = evaluate(lic(), [done("a", 2), done("a", 2)], pack())
    assert report.total.counted == 2
    assert [c.status for c in report.completions].count("rejected") == 1


def test_chronological_cap_cuts_the_later_completion() -> None:
    v = version(
        caps=[
            {"id": "self", "title": "Self-study", "match": {"formats": ["self_study"]}, "max_hours": 5, "source": ["s"]}
        ]
    )
    early = done("early", 4, format="self_study", on="2024-01-01")
    late = done("late", 4, format="self_study", on="2024-03-01")
    report = evaluate(lic(), [late, early], pack(v))
    assert result(report, "early").hours_counted == 4
    assert result(report, "late").hours_counted == 1
    assert report.caps["self"] == 5


def test_fraction_cap_on_provider_share_from_a_date() -> None:
    v = version(
        caps=[
            {
                "id": "share",
                "title": "Listed providers",
                "match": {"flag_false": "listed"},
                "max_fraction": "0.5",
                "applies_from": "2024-01-01",
                "source": ["s"],
            }
        ]
    )
    cs = [
        done("old", 8, on="2023-10-01"),  # before the cap applies
        done("a", 8, on="2024-02-01"),
        done("b", 8, on="2024-03-01"),  # 10 of 20 allowed from unlisted providers after 2024
        done("listed", 2, on="2024-04-01", flags={"listed": True}),
    ]
    report = evaluate(lic(), cs, pack(v))
    assert result(report, "old").hours_counted == 8
    assert result(report, "a").hours_counted == 8
    assert result(report, "b").hours_counted == 2
    assert result(report, "listed").hours_counted == 2


def test_carry_in_limits() -> None:
    v = version(carry_over={"max_hours": 10, "limit_to_prior_excess": True, "source": ["s"]})
    carried = done("co", 12, activity="carryover_in", approvals=[], on="2023-06-01")
    report = evaluate(lic(history={"prior_cycle_hours": 26}), [carried], pack(v))
    # The prior cycle needed 20 of its 26 hours: only 6 may come in.
    assert result(report, "co").hours_counted == 6
    assert result(report, "co").reasons[0].code == "carry_in_limit"
    with pytest.raises(MissingFact, match="prior_cycle_hours"):
        evaluate(lic(), [carried], pack(v))
    none = evaluate(lic(), [carried], pack())
    assert result(none, "co").reasons[0].code == "carry_in_limit"


def test_banking_requires_prior_over() -> None:
    v = version(carry_over={"max_hours": 12, "requires_prior_over": 30, "source": ["s"]})
    carried = done("bank", 12, activity="carryover_in", approvals=[], on="2023-06-01")
    assert evaluate(lic(history={"prior_cycle_hours": 30}), [carried], pack(v)).total.counted == 0
    assert evaluate(lic(history={"prior_cycle_hours": 31}), [carried], pack(v)).total.counted == 12


def test_conditional_requirement_needs_the_attribute() -> None:
    v = version(
        requirements=[
            {
                "id": "sup",
                "title": "Supervision",
                "categories": ["supervision"],
                "hours": 6,
                "when": {"supervisor": True},
                "source": ["s"],
            }
        ]
    )
    with pytest.raises(MissingFact, match=r"attributes\.supervisor"):
        evaluate(lic(), [], pack(v))
    off = evaluate(lic(attributes={"supervisor": False}), [], pack(v))
    assert off.requirements == [] and off.not_applicable[0].id == "sup"
    on = evaluate(lic(attributes={"supervisor": True}), [], pack(v))
    assert on.requirements[0].short == 6


def test_every_nth_renewal_and_alternating() -> None:
    v = version(
        requirements=[
            {
                "id": "dv",
                "title": "Domestic violence",
                "categories": ["domestic_violence"],
                "hours": 2,
                "scope": "every_n_renewals",
                "n": 3,
                "source": ["s"],
            },
            {
                "id": "eth",
                "title": "Ethics",
                "categories": ["ethics"],
                "hours": 3,
                "scope": "every_n_renewals",
                "n": 2,
                "offset": 0,
                "source": ["s"],
            },
            {
                "id": "tele",
                "title": "Teletherapy",
                "categories": ["telehealth"],
                "hours": 3,
                "scope": "every_n_renewals",
                "n": 2,
                "offset": 1,
                "source": ["s"],
            },
        ]
    )
    ids = {n: [r.id for r in evaluate(lic(renewal_number=n), [], pack(v)).requirements] for n in (2, 3, 6)}
    assert ids == {2: ["eth"], 3: ["dv", "tele"], 6: ["dv", "eth"]}
    with pytest.raises(MissingFact, match="renewal_number"):
        evaluate(lic(renewal_number=None), [], pack(v))


def test_one_time_requirement_met_in_history() -> None:
    v = version(
        requirements=[
            {
                "id": "sui",
                "title": "Suicide",
                "categories": ["suicide_prevention"],
                "hours": 6,
                "scope": "one_time",
                "source": ["s"],
            }
        ]
    )
    assert evaluate(lic(), [], pack(v)).requirements[0].short == 6
    met = evaluate(lic(history={"one_time_completed": ["suicide_prevention"]}), [], pack(v))
    assert met.requirements == [] and met.compliant is False  # still 20 hours short


def test_first_renewal_exempt_except_marked_requirements() -> None:
    v = version(
        total={"hours": 30, "first_renewal": "exempt", "source": ["s"]},
        requirements=[
            {"id": "ethics", "title": "Ethics", "categories": ["ethics"], "hours": 3, "source": ["s"]},
            {
                "id": "child",
                "title": "Child abuse",
                "categories": ["child_abuse"],
                "hours": 2,
                "at_exempt_first_renewal": True,
                "source": ["s"],
            },
        ],
    )
    first = evaluate(lic(renewal_number=1), [], pack(v))
    assert first.total.required == 0
    assert [r.id for r in first.requirements] == ["child"]
    assert evaluate(lic(renewal_number=None, issued_on="2024-01-01"), [], pack(v)).first_renewal is True
    with pytest.raises(MissingFact, match="renewal_number or issued_on"):
        evaluate(lic(renewal_number=None), [], pack(v))


def test_version_chosen_by_cycle_end() -> None:
    old = version(version="old", effective_to="2023-06-30", total={"hours": 18, "source": ["s"]})
    new = version(version="new", effective_from="2023-07-01", total={"hours": 36, "source": ["s"]})
    p = pack(old, new)
    before = lic(cycle={"start": "2021-07-01", "end": "2023-06-30"})
    after = lic(cycle={"start": "2021-07-02", "end": "2023-07-01"})
    assert evaluate(before, [], p).total.required == 18
    assert evaluate(after, [], p).total.required == 36


def test_derived_cycles() -> None:
    fixed = evaluate(lic(cycle=None), [], pack(), as_of=date(2026, 1, 5))
    assert (fixed.cycle.start, fixed.cycle.end) == (date(2025, 7, 1), date(2027, 6, 30))
    issue = version(cycle={"anchor": "issue_date", "length_months": 24, "source": ["s"]})
    got = evaluate(lic(cycle=None, issued_on="2019-03-15"), [], pack(issue), as_of=date(2024, 1, 1))
    # Issued 2019-03-15: cycles end on the last day of March every two years.
    assert (got.cycle.start, got.cycle.end) == (date(2023, 4, 1), date(2025, 3, 31))
    birth = version(cycle={"anchor": "birth_month", "length_months": 24, "source": ["s"]})
    got = evaluate(lic(cycle=None, birth_date="1980-09-02"), [], pack(birth), as_of=date(2025, 1, 1))
    assert (got.cycle.start, got.cycle.end) == (date(2024, 10, 1), date(2026, 9, 30))
    with pytest.raises(MissingFact, match="birth_date"):
        evaluate(lic(cycle=None), [], pack(birth), as_of=date(2025, 1, 1))
    with pytest.raises(MissingFact, match="as-of"):
        evaluate(lic(cycle=None), [], pack())


def test_prorated_short_cycle() -> None:
    v = version(
        cycle={"anchor": "registration_period", "length_months": 36, "prorate": True, "source": ["s"]},
        total={"hours": 36, "source": ["s"]},
    )
    short = lic(cycle={"start": "2023-01-01", "end": "2024-08-31"})  # 20 months: 1 hour a month
    assert evaluate(short, [], pack(v)).total.required == 20


def test_unknown_category_and_wrong_board_are_input_errors() -> None:
    with pytest.raises(InputError, match="unknown category 'astrology'"):
        evaluate(lic(), [done("a", 1, categories=["astrology"])], pack())
    with pytest.raises(InputError, match="board"):
        evaluate(lic(board="tx-lpc"), [], pack())


def test_min_completions_requirement() -> None:
    v = version(
        requirements=[
            {
                "id": "exam",
                "title": "Jurisprudence exam",
                "categories": ["jurisprudence_exam"],
                "min_completions": 1,
                "source": ["s"],
            }
        ],
        activities=[
            {
                "activity": "jurisprudence_exam",
                "approval_required": False,
                "fixed_hours": 1,
                "adds_categories": ["ethics"],
                "source": ["s"],
            }
        ],
    )
    exam = done("j", 0, activity="jurisprudence_exam", approvals=[], categories=["jurisprudence_exam"])
    report = evaluate(lic(), [exam, done("x", 19)], pack(v))
    assert report.requirements[0].satisfied
    assert result(report, "j").hours_counted == 1  # the exam is worth a fixed hour
    assert report.compliant


def test_any_category_with_format_restriction() -> None:
    v = version(
        requirements=[
            {
                "id": "live",
                "title": "Live hours",
                "categories": ["any"],
                "hours": 9,
                "formats": ["live_in_person"],
                "source": ["s"],
            }
        ]
    )
    cs = [done("w", 9, format="live_interactive_webinar"), done("f", 5, format="live_in_person", title="F")]
    report = evaluate(lic(), cs, pack(v))
    assert report.requirements[0].counted == 5
    assert report.requirements[0].short == 4


def test_disciplinary_hours_excluded_where_the_board_says() -> None:
    c = done("d", 3, flags={"disciplinary_order": True})
    assert evaluate(lic(), [c], pack()).total.counted == 3
    report = evaluate(lic(), [c], pack(version(exclude_disciplinary=True)))
    assert result(report, "d").reasons[0].code == "disciplinary"


def test_independent_requirement_shares_hours_with_topic_minimums() -> None:
    # An in-person ethics hour serves both the ethics minimum and a minimum of in-person hours.
    v = version(
        requirements=[
            {"id": "ethics", "title": "Ethics", "categories": ["ethics"], "hours": 4, "source": ["s"]},
            {
                "id": "live",
                "title": "In person",
                "categories": ["any"],
                "hours": 6,
                "formats": ["live_in_person"],
                "independent": True,
                "source": ["s"],
            },
        ]
    )
    cs = [
        done("e", 4, categories=["ethics"]),
        done("g", 3, title="G", on="2024-02-01"),
        done("w", 5, title="W", format="self_study"),
    ]
    report = evaluate(lic(), cs, pack(v))
    assert req(report, "ethics").counted == 4
    assert req(report, "live").counted == 6  # 4 from the ethics course, 2 of the general one
    assert result(report, "e").allocation == {"ethics": 4, "live": 4}
    assert result(report, "w").allocation == {}
    # Without the flag the two minimums compete for the same hours and one of them falls short.
    competing = pack(version(requirements=[{**r, "independent": False} for r in v["requirements"]]))
    assert sum(r.short for r in evaluate(lic(), cs, competing).requirements) == 3
