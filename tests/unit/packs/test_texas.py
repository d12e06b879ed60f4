"""Texas packs (tx-lpc, tx-lcsw, tx-lmft) evaluated on realistic records; each expectation is worked out from the
cited rule (22 TAC 681.140, 781.501, 801.261 and their predecessors; Occupations Code ch. 116)."""

from __future__ import annotations

import pytest

from cebridge.domain import License
from cebridge.errors import MissingFact
from tests.unit.packs.scenario import codes, comp, course, d, lic, not_applicable, req, run

LISTED = {"tx_listed_provider": True}


def lpc_license(
    start: str = "2023-07-01",
    end: str = "2025-06-30",
    *,
    attributes: dict[str, bool] | None = None,
    history: dict[str, int] | None = None,
) -> License:
    """An LPC at the third renewal, not a supervisor, whose prior cycle earned 30 hours."""
    return lic(
        "tx-lpc",
        start,
        end,
        renewal=3,
        attributes={"supervisor": False} if attributes is None else attributes,
        history={"prior_cycle_hours": 30} if history is None else history,
    )


def test_lpc_2023_compliant_with_jurisprudence_exam_as_ethics_and_carry_in() -> None:
    """681.140: 24 h with 6 ethics (the passed jurisprudence exam claims 1) and 3 cultural; HT course each renewal;
    up to 10 h carried forward out of the prior period's excess (30 earned - 24 needed = 6 >= 4 carried).
    Ethics 5 + exam 1 = 6; total 5 + 1 + 3 + 13 + 1 + 4 carried = 27."""
    report = run(
        lpc_license(),
        [
            course("e1", 5, "2023-08-10", cats=["ethics"], approvals=["NBCC"], fmt="live_interactive_webinar"),
            course("jp", 2, "2023-08-15", cats=["jurisprudence_exam"], activity="jurisprudence_exam"),
            course("cd", 3, "2023-09-01", cats=["cultural_diversity"], approvals=["APA"]),
            course("g1", 13, "2023-10-01", approvals=["NBCC"], fmt="self_study"),
            course(
                "ht",
                1,
                "2023-11-01",
                cats=["human_trafficking"],
                approvals=["TX-HHSC"],
                activity="state_mandated_training",
            ),
            course("cf", 4, "2023-07-01", activity="carryover_in"),
        ],
    )
    assert report.rule_version == "2023-06-01"
    assert comp(report, "jp").hours_counted == d(1)  # fixed 1 hour, whatever was declared
    assert req(report, "ethics").counted == d(6)
    assert req(report, "jurisprudence_exam").satisfied
    assert req(report, "human_trafficking").satisfied
    assert comp(report, "cf").status == "accepted"
    assert report.total.required == d(24)
    assert report.total.counted == d(27)
    assert report.compliant
    assert "supervision" in not_applicable(report)


def test_lpc_supervision_requirement_needs_the_supervisor_fact() -> None:
    """The 6 supervision hours apply only to supervisors, so the engine must be told whether the holder is one."""
    with pytest.raises(MissingFact, match="supervisor"):
        run(lpc_license(attributes={}), [])


def test_lpc_supervisor_short_of_supervision_hours() -> None:
    """A supervisor with 3 of the 6 supervision hours is short 3 even with enough total hours."""
    report = run(
        lpc_license(attributes={"supervisor": True}),
        [
            course("s", 3, "2023-08-01", cats=["supervision"], approvals=["NBCC"], flags=LISTED),
            course("g", 21, "2023-08-02", approvals=["NBCC"], flags=LISTED),
        ],
    )
    sup = req(report, "supervision")
    assert (sup.required, sup.counted, sup.short) == (d(6), d(3), d(3))
    assert not report.compliant


def test_lpc_activity_caps_cut_the_excess() -> None:
    """681.140(h)(4) as quoted: presenting <= 5, graduate course <= 5, self-study (reading alone) <= 1."""
    report = run(
        lpc_license(),
        [
            course("pr", 7, "2023-09-01", activity="presenting"),
            course("rd", 2, "2023-09-02", activity="self_study_reading", fmt="self_study"),
            course("gc", 6, "2023-09-03", activity="graduate_course"),
        ],
    )
    assert (comp(report, "pr").hours_counted, comp(report, "pr").status) == (d(5), "partially_accepted")
    assert "over_cap" in codes(report, "pr")
    assert comp(report, "rd").hours_counted == d(1)
    assert comp(report, "gc").hours_counted == d(5)
    assert report.total.counted == d(11)


def test_lpc_listed_provider_share_applies_from_2024_in_date_order() -> None:
    """Subsection (f), from 2024-01-01: at most half of the 24 required (12 h) from providers not in (f).
    Hours before 2024 are outside the cap; within it the earliest hours count first."""
    report = run(
        lpc_license(),
        [
            course("a", 10, "2023-10-01", approvals=["NBCC"]),
            course("b", 8, "2024-02-01", approvals=["NBCC"]),
            course("c", 8, "2024-05-01", approvals=["NBCC"]),
            course("e", 6, "2024-06-01", approvals=["NBCC"], flags=LISTED),
        ],
    )
    assert comp(report, "a").hours_counted == d(10)
    assert comp(report, "b").hours_counted == d(8)
    c = comp(report, "c")
    assert (c.hours_counted, c.hours_rejected) == (d(4), d(4))
    assert c.reasons[0].rule == "listed_provider_share"
    assert comp(report, "e").hours_counted == d(6)
    assert report.caps["listed_provider_share"] == d(12)
    assert report.total.counted == d(28)


def test_lpc_carry_in_limited_to_what_the_prior_period_did_not_need() -> None:
    """At most 10 h, and only hours 'not needed for renewal': the prior period earned 28 of 24, so 4 come in."""
    report = run(
        lpc_license(history={"prior_cycle_hours": 28}), [course("cf", 8, "2023-07-01", activity="carryover_in")]
    )
    cf = comp(report, "cf")
    assert (cf.hours_counted, cf.status) == (d(4), "partially_accepted")
    assert codes(report, "cf") == ["carry_in_limit"]


def test_lpc_carry_in_needs_the_prior_period_hours() -> None:
    with pytest.raises(MissingFact, match="prior_cycle_hours"):
        run(lpc_license(history={}), [course("cf", 8, "2023-07-01", activity="carryover_in")])


def test_lpc_rejects_unaccepted_approver_and_unapproved_trafficking_course() -> None:
    """CAMFT is not among the approvals taken for Texas counselors; the HT course must be HHSC-approved."""
    report = run(
        lpc_license(),
        [
            course("ca", 3, "2023-09-01", approvals=["CAMFT"]),
            course("ht", 1, "2023-09-02", cats=["human_trafficking"], activity="state_mandated_training"),
            course("late", 3, "2025-07-02", approvals=["NBCC"]),
        ],
    )
    assert codes(report, "ca") == ["approver_not_accepted"]
    assert codes(report, "ht") == ["approver_not_accepted"]
    assert codes(report, "late") == ["outside_cycle"]
    assert req(report, "human_trafficking").completions_counted == 0
    assert not req(report, "human_trafficking").satisfied


def test_lpc_old_rule_counts_only_in_person_hours_as_face_to_face() -> None:
    """681.142 (renewals 2020-09-01 .. 2023-05-31): 24 h, 6 ethics, 9 face-to-face, plus the HT course.
    6 in-person hours leave face-to-face 3 short although the total (25) is met."""
    report = run(
        lpc_license("2021-06-01", "2023-05-31"),
        [
            course("ip", 6, "2021-09-01", approvals=["NBCC"]),
            course("eth", 6, "2022-01-10", cats=["ethics"], approvals=["NBCC"], fmt="live_interactive_webinar"),
            course("web", 12, "2022-03-10", approvals=["NBCC"], fmt="live_interactive_webinar"),
            course(
                "ht",
                1,
                "2022-04-10",
                cats=["human_trafficking"],
                approvals=["TX-HHSC"],
                activity="state_mandated_training",
                fmt="self_study",
            ),
        ],
    )
    assert report.rule_version == "2020-09-01"
    f2f = req(report, "face_to_face")
    assert (f2f.counted, f2f.short) == (d(6), d(3))
    assert req(report, "ethics").satisfied
    assert report.total.short == 0
    assert not report.compliant


def test_lpc_rule_before_september_2020_has_no_trafficking_course() -> None:
    """A cycle ending 2019-05-31: the HT course (renewals from 2020-09-01) is not a requirement yet."""
    report = run(
        lpc_license("2017-06-01", "2019-05-31"),
        [
            course("ip", 9, "2018-01-10", approvals=["NBCC"]),
            course("eth", 6, "2018-02-10", cats=["ethics"], approvals=["NBCC"], fmt="self_study"),
            course("g", 9, "2018-03-10", approvals=["NBCC"], fmt="self_study"),
        ],
    )
    assert report.rule_version == "2016-12-01"
    assert "human_trafficking" not in {r.id for r in report.requirements}
    assert report.compliant


# Social workers -------------------------------------------------------------------------------------------------


def test_lcsw_cycle_derived_from_birth_month_and_new_rule_compliant() -> None:
    """781.501: 30 h, 6 ethics (exam = 1), 3 cultural, 6 supervision for supervisors; (f) share from 2024.
    Birth month March, as of 2024-06-01: the cycle is 2024-04-01 .. 2026-03-31. The exam and the HT course are
    not flagged as (f) providers: 2 h against the 15 h allowed from others."""
    license = lic("tx-lcsw", None, None, renewal=4, birth_date="1980-03-15", attributes={"supervisor": True},
                  history={"prior_cycle_hours": 30})  # fmt: skip
    report = run(
        license,
        [
            course("e", 5, "2024-05-01", cats=["ethics"], approvals=["NASW"], flags=LISTED),
            course("jp", 1, "2024-05-02", cats=["jurisprudence_exam"], activity="jurisprudence_exam"),
            course("cd", 3, "2024-06-01", cats=["cultural_diversity"], approvals=["ASWB-ACE"], flags=LISTED),
            course("sv", 6, "2024-07-01", cats=["supervision"], approvals=["ASWB-ACE"], flags=LISTED),
            course("g", 14, "2025-01-15", approvals=["ASWB-ACE"], flags=LISTED, fmt="self_study"),
            course(
                "ht",
                1,
                "2025-02-01",
                cats=["human_trafficking"],
                approvals=["TX-HHSC"],
                activity="state_mandated_training",
            ),
        ],
        as_of="2024-06-01",
    )
    assert (str(report.cycle.start), str(report.cycle.end)) == ("2024-04-01", "2026-03-31")
    assert report.rule_version == "2022-09-16"
    assert req(report, "ethics").counted == d(6)
    assert req(report, "supervision").satisfied
    assert report.caps["listed_provider_share"] == d(2)
    assert report.total.counted == d(30)
    assert report.compliant


def test_lcsw_self_study_alone_is_capped_at_one_hour() -> None:
    """781.501 adoption: up to 1 hour of self-study (an activity by the licensee alone)."""
    report = run(
        lic("tx-lcsw", "2024-04-01", "2026-03-31", attributes={"supervisor": False}),
        [course("rd", 3, "2024-05-01", activity="self_study_reading", fmt="self_study")],
    )
    assert comp(report, "rd").hours_counted == d(1)
    assert "over_cap" in codes(report, "rd")


def test_lcsw_old_rule_supervisors_owe_three_hours_and_no_carry_in() -> None:
    """Before 781.501 supervisors owed 3 supervision hours; no carry-forward rule was read, so none is taken;
    academic credit has no conversion in the rules read."""
    report = run(
        lic("tx-lcsw", "2020-04-01", "2022-03-31", attributes={"supervisor": True}),
        [
            course("sv", 3, "2021-01-10", cats=["supervision"], approvals=["NASW"]),
            course("cf", 5, "2020-04-01", activity="carryover_in"),
            course(
                "gc",
                2,
                "2021-02-10",
                activity="graduate_course",
                unit="semester_hours",
                approvals=["ACCREDITED-UNIVERSITY"],
            ),
        ],
    )
    assert report.rule_version == "2020-09-01"
    assert req(report, "supervision").required == d(3)
    assert req(report, "supervision").satisfied
    assert codes(report, "cf") == ["carry_in_limit"]
    assert codes(report, "gc") == ["unit_unknown"]


# Marriage and family therapists ---------------------------------------------------------------------------------


def lmft(start: str, end: str, **attrs: bool) -> License:
    attributes = {"supervisor": False, "provides_telehealth": True}
    attributes.update(attrs)
    return lic("tx-lmft", start, end, renewal=5, attributes=attributes, history={"prior_cycle_hours": 30})


LMFT_BASE = [
    course("e", 6, "2023-03-01", cats=["ethics"], approvals=["AAMFT"], flags=LISTED),
    course("cd", 3, "2023-04-01", cats=["cultural_diversity"], approvals=["AAMFT"], flags=LISTED),
    course("th", 2, "2023-05-01", cats=["telehealth"], approvals=["AAMFT"], flags=LISTED),
    course("g", 18, "2023-06-01", approvals=["AAMFT"], flags=LISTED),
    course(
        "ht", 1, "2024-02-01", cats=["human_trafficking"], approvals=["TX-HHSC"], activity="state_mandated_training"
    ),
]


def test_lmft_crisis_management_hour_from_september_2024() -> None:
    """801.261 as published 2022-09-16: from 2024-09-01 the 30 hours include 1 of crisis management. A cycle
    ending 2024-09-30 owes it; the same record without it is 1 hour short there."""
    without = run(lmft("2022-10-01", "2024-09-30"), LMFT_BASE)
    assert without.rule_version == "2024-09-01"
    assert req(without, "crisis_management").short == d(1)
    assert req(without, "telehealth").satisfied
    assert without.total.counted == d(30)
    assert not without.compliant

    crisis = course("cm", 1, "2024-03-01", cats=["crisis_management"], approvals=["AAMFT"], flags=LISTED)
    assert run(lmft("2022-10-01", "2024-09-30"), [*LMFT_BASE, crisis]).compliant


def test_lmft_cycle_ending_before_september_2024_owes_no_crisis_hour() -> None:
    report = run(lmft("2022-09-01", "2024-08-31"), LMFT_BASE)
    assert report.rule_version == "2022-09-16"
    assert "crisis_management" not in {r.id for r in report.requirements}
    assert report.compliant


def test_lmft_supervisors_must_pass_the_jurisprudence_exam() -> None:
    """801.261(b)(2): a supervisor takes and passes the jurisprudence exam (and owes 6 supervision hours)."""
    report = run(
        lmft("2022-09-01", "2024-08-31", supervisor=True, provides_telehealth=False),
        [*LMFT_BASE, course("sv", 6, "2023-07-01", cats=["supervision"], approvals=["AAMFT"], flags=LISTED)],
    )
    exam = req(report, "supervisor_jurisprudence_exam")
    assert (exam.completions_required, exam.completions_counted, exam.satisfied) == (1, 0, False)
    assert req(report, "supervision").satisfied
    assert "telehealth" in not_applicable(report)


def test_lmft_old_rule_caps_self_study_formats_and_allows_no_carry_in() -> None:
    """Old DSHS rule: at most 12 hours of self-study formats; hours may not be carried over."""
    report = run(
        lmft("2020-10-01", "2022-09-15"),
        [
            course("ss", 20, "2021-01-10", approvals=["TX-BHEC"], fmt="self_study"),
            course("cf", 3, "2020-10-01", activity="carryover_in"),
        ],
    )
    assert report.rule_version == "2020-09-01"
    assert comp(report, "ss").hours_counted == d(12)
    assert codes(report, "cf") == ["carry_in_limit"]
