"""Ohio packs (oh-lpcc, oh-lisw): OAC 4757-9 and the CSWMFT board's pages; expectations worked out from them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.unit.packs.scenario import codes, comp, course, d, lic, req, run

POST = {"board_post_approval": True}


def test_lpcc_cycle_runs_two_years_from_licensure_and_board_approved_hours_count() -> None:
    """30 clock hours every two years from the date of licensure, 3 in ethics. Licensed 2018-03-10: the cycle
    holding 2024-01-01 is 2022-03-10 .. 2024-03-09. All hours may be distance learning."""
    report = run(
        lic("oh-lpcc", None, None, renewal=3, issued_on="2018-03-10", attributes={"supervisor": False}),
        [
            course("e", 3, "2022-05-01", cats=["ethics"], approvals=["OH-CSWMFT"], fmt="self_study"),
            course("g", 27, "2023-05-01", approvals=["OH-CSWMFT"], fmt="self_study"),
        ],
        as_of="2024-01-01",
    )
    assert (str(report.cycle.start), str(report.cycle.end)) == ("2022-03-10", "2024-03-09")
    assert report.compliant


def test_counselors_need_board_approval_or_post_program_approval() -> None:
    """Counselors need board-approved programs or post-program approval; ASWB and NASW count for social workers
    only, and NBCC approval alone is not a board approval."""
    completions = [
        course("nbcc", 3, "2022-06-01", approvals=["NBCC"]),
        course("ace", 3, "2022-06-02", approvals=["ASWB-ACE"]),
        course("post", 3, "2022-06-03", approvals=["NBCC"], flags=POST),
    ]
    lpcc = run(lic("oh-lpcc", "2022-03-10", "2024-03-09", attributes={"supervisor": False}), completions)
    assert codes(lpcc, "nbcc") == ["approver_not_accepted"]
    assert codes(lpcc, "ace") == ["approver_not_accepted"]
    assert comp(lpcc, "post").status == "accepted"
    lisw = run(lic("oh-lisw", "2022-03-10", "2024-03-09", attributes={"supervisor": False}), completions)
    assert comp(lisw, "ace").status == "accepted"
    assert codes(lisw, "nbcc") == ["approver_not_accepted"]


@pytest.mark.parametrize("pack_id", ["oh-lpcc", "oh-lisw"])
def test_first_time_presentations_earn_one_and_a_half_up_to_ten(pack_id: str) -> None:
    """4757-9-04: first-time presentations earn 1.5 hours per hour presented, at most 10 per period. 4 h -> 6;
    a second, 6 h -> 9, of which 4 fit under the cap. A repeat presentation earns nothing."""
    report = run(
        lic(pack_id, "2022-03-10", "2024-03-09", attributes={"supervisor": False}),
        [
            course("p1", 4, "2022-09-01", activity="presenting", flags={**POST, "first_time_presentation": True}),
            course("p2", 6, "2023-02-01", activity="presenting", flags={**POST, "first_time_presentation": True}),
            course("p3", 2, "2023-03-01", activity="presenting", flags=POST),
        ],
    )
    assert comp(report, "p1").hours_counted == d(6)
    p2 = comp(report, "p2")
    assert (p2.hours_declared, p2.hours_counted, p2.hours_rejected) == (d(9), d(4), d(5))
    assert codes(report, "p3") == ["activity_not_eligible"]
    assert report.caps["presenting"] == d(10)


@pytest.mark.parametrize(
    "prior,carried,counted",
    [
        (d(36), d(12), d(6)),  # only the 6 hours over the 30 needed are bankable
        (d(50), d(12), d(12)),  # at most 12
        (d(30), d(5), d(0)),  # the prior period did not exceed 30: nothing may be banked
    ],
)
def test_banking_from_a_prior_period_over_thirty(prior: Decimal, carried: Decimal, counted: Decimal) -> None:
    report = run(
        lic("oh-lisw", "2022-03-10", "2024-03-09", attributes={"supervisor": False},
            history={"prior_cycle_hours": prior}),
        [course("bank", str(carried), "2022-03-10", activity="carryover_in")],
    )  # fmt: skip
    assert comp(report, "bank").hours_counted == counted
    if counted < carried:
        assert codes(report, "bank") == ["carry_in_limit"]


def test_supervisors_owe_three_hours_and_graduate_credit_needs_post_approval() -> None:
    """LISW-S: 3 hours of supervision training. A semester hour is 15 clock hours; college coursework needs
    post-program approval (a school's own approval is not enough here)."""
    report = run(
        lic("oh-lisw", "2022-03-10", "2024-03-09", attributes={"supervisor": True}),
        [
            course("gc1", 2, "2022-09-01", activity="graduate_course", unit="semester_hours",
                   approvals=["ACCREDITED-UNIVERSITY"]),
            course("gc2", 2, "2023-01-15", activity="graduate_course", unit="semester_hours", flags=POST,
                   cats=["supervision"]),
        ],
    )  # fmt: skip
    assert codes(report, "gc1") == ["approver_not_accepted"]
    assert comp(report, "gc2").hours_counted == d(30)
    assert req(report, "supervision").satisfied
    assert not req(report, "ethics").satisfied
