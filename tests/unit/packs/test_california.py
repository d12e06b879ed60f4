"""California BBS packs (ca-lmft, ca-lcsw, ca-lpcc) on realistic records; expectations worked out from 16 CCR
1887.3 / 1887.4.1 / 1887.4.3, the BBS CE page and the B&P Code sections the packs cite."""

from __future__ import annotations

import pytest

from cebridge.errors import InputError, MissingFact
from tests.unit.packs.scenario import codes, comp, course, d, lic, not_applicable, req, run

DONE_BEFORE = {"one_time_completed": ["hiv_aids", "suicide_prevention"]}


def test_lmft_cycle_from_issue_date_and_36_hours_all_self_study() -> None:
    """Issued 2019-05-15: licenses expire on the last day of the issue month two years on, so the cycle holding
    2023-09-01 is 2023-06-01 .. 2025-05-31 (rules of 2023-07-01). No self-study cap: 27 self-study hours count.
    6 law and ethics + 3 telehealth + 27 = 36."""
    license = lic("ca-lmft", None, None, renewal=3, issued_on="2019-05-15", history=DONE_BEFORE)
    report = run(
        license,
        [
            course("le", 6, "2023-07-10", cats=["law_ethics"], approvals=["CAMFT"], fmt="live_interactive_webinar"),
            course("th", 3, "2023-08-10", cats=["telehealth"], approvals=["CAMFT"], fmt="self_study"),
            course("g", 27, "2024-01-10", cats=["clinical"], approvals=["APA"], fmt="self_study"),
        ],
        as_of="2023-09-01",
    )
    assert (str(report.cycle.start), str(report.cycle.end)) == ("2023-06-01", "2025-05-31")
    assert report.rule_version == "2023-07-01"
    assert {"hiv_aids", "suicide_prevention"} <= not_applicable(report)
    assert report.total.required == d(36)
    assert report.compliant


@pytest.mark.parametrize(
    "issued,as_of,version,required",
    [
        # First license expiring 2023-06-30: the old rule, 18 hours for a first renewal.
        ("2021-06-10", "2023-01-01", "2021-01-01", 18),
        # First license expiring 2023-07-31, after 2023-07-01: the full 36.
        ("2021-07-10", "2023-01-01", "2023-07-01", 36),
    ],
)
def test_first_renewal_hours_depend_on_the_expiration_date(
    issued: str, as_of: str, version: str, required: int
) -> None:
    """BBS: first renewals need 18 hours, but 36 when the license expires after 2023-07-01. Without a renewal
    number, a license issued on the cycle's first day is at its first renewal."""
    license = lic("ca-lcsw", None, None, renewal=None, issued_on=issued, history=DONE_BEFORE)
    report = run(license, [course("le", 6, "2022-01-10", cats=["law_ethics"], approvals=["NASW"])], as_of=as_of)
    assert report.first_renewal is True
    assert report.rule_version == version
    assert report.total.required == d(required)
    assert report.total.short == d(required - 6)


def test_one_time_requirements_apply_until_history_records_them() -> None:
    """HIV/AIDS (7 h), suicide (6 h) and, from 2023-07-01, telehealth (3 h) are one-time: owed until met."""
    fresh = run(lic("ca-lmft", "2023-06-01", "2025-05-31", renewal=2), [])
    assert {r.id: r.required for r in fresh.requirements if r.id != "law_ethics"} == {
        "hiv_aids": d(7),
        "suicide_prevention": d(6),
        "telehealth": d(3),
    }
    met = run(
        lic("ca-lmft", "2023-06-01", "2025-05-31", renewal=2,
            history={"one_time_completed": ["hiv_aids", "suicide_prevention", "telehealth"]}),
        [],
    )  # fmt: skip
    assert {"hiv_aids", "suicide_prevention", "telehealth"} <= not_applicable(met)
    assert [r.id for r in met.requirements] == ["law_ethics"]


def test_telehealth_hours_serve_one_requirement_only() -> None:
    """A telehealth course includes telehealth law and ethics, but the engine gives each hour to one requirement
    (documented in the pack's unknowns): 6 hours cannot meet 3 telehealth + 6 law and ethics, so 3 hours stay
    short between the two, whichever of them the allocation leaves short."""
    report = run(
        lic("ca-lmft", "2023-06-01", "2025-05-31", renewal=2, history=DONE_BEFORE),
        [
            course("th", 3, "2023-08-10", cats=["telehealth", "law_ethics"], approvals=["CAMFT"]),
            course("le", 3, "2023-09-10", cats=["law_ethics"], approvals=["CAMFT"]),
        ],
    )
    telehealth, law_ethics = req(report, "telehealth"), req(report, "law_ethics")
    assert telehealth.short + law_ethics.short == d(3)
    assert telehealth.counted + law_ethics.counted == d(6)
    assert not report.compliant


def test_activities_reading_teaching_and_academic_units() -> None:
    """Reading on one's own earns nothing; teaching earns the attendee's hours once per period (a second
    teaching of the same course is a duplicate); a semester unit is 15 hours."""
    report = run(
        lic("ca-lpcc", "2023-06-01", "2025-05-31", renewal=2, history=DONE_BEFORE,
            attributes={"treats_couples_or_families": False}),
        [
            course("book", 10, "2023-07-01", activity="self_study_reading", fmt="self_study"),
            course("t1", 6, "2023-08-01", activity="presenting", approvals=["CALPCC"], title="Trauma basics"),
            course("t2", 6, "2024-08-01", activity="presenting", approvals=["CALPCC"], title="Trauma basics"),
            course("gc", 1, "2024-02-01", activity="graduate_course", unit="semester_hours",
                   approvals=["ACCREDITED-UNIVERSITY"]),
        ],
    )  # fmt: skip
    assert codes(report, "book") == ["activity_not_eligible"]
    assert comp(report, "t1").hours_counted == d(6)
    assert codes(report, "t2") == ["duplicate"]
    assert comp(report, "gc").hours_counted == d(15)
    assert report.total.counted == d(21)


def test_associations_are_accepted_from_july_2023_only() -> None:
    """1887.4.3 as in force from 2023-07-01 names associations (ACA, CALPCC...) as providers; the older version
    encodes approval agencies and schools only."""
    aca = [course("aca", 4, "2022-06-01", approvals=["ACA"])]
    old = run(lic("ca-lpcc", "2021-06-01", "2023-05-31", renewal=2, history=DONE_BEFORE,
                  attributes={"treats_couples_or_families": False}), aca)  # fmt: skip
    assert codes(old, "aca") == ["approver_not_accepted"]
    aca_new = [course("aca", 4, "2023-08-01", approvals=["ACA"])]
    new = run(lic("ca-lpcc", "2023-06-01", "2025-05-31", renewal=2, history=DONE_BEFORE,
                  attributes={"treats_couples_or_families": False}), aca_new)  # fmt: skip
    assert comp(new, "aca").status == "accepted"


def test_lpcc_treating_couples_owes_six_hours_of_mft_each_renewal() -> None:
    """B&P 4999.20 (as quoted): an LPCC who treats couples or families completes 6 hours of MFT CE each cycle."""
    report = run(
        lic("ca-lpcc", "2023-06-01", "2025-05-31", renewal=2, history={"one_time_completed": ["hiv_aids",
            "suicide_prevention", "telehealth"]}, attributes={"treats_couples_or_families": True}),
        [
            course("mft", 4, "2023-09-01", cats=["marriage_family_therapy"], approvals=["AAMFT"]),
            course("le", 6, "2023-09-02", cats=["law_ethics"], approvals=["NBCC"]),
            course("g", 26, "2023-09-03", approvals=["NBCC"]),
        ],
    )  # fmt: skip
    mft = req(report, "marriage_family_therapy")
    assert (mft.required, mft.counted, mft.short) == (d(6), d(4), d(2))
    assert report.total.short == 0
    assert not report.compliant


def test_lpcc_needs_to_know_whether_couples_are_treated() -> None:
    with pytest.raises(MissingFact, match="treats_couples_or_families"):
        run(lic("ca-lpcc", "2023-06-01", "2025-05-31", renewal=2), [])


def test_a_category_only_lpccs_have_is_unknown_to_the_lmft_pack() -> None:
    with pytest.raises(InputError, match="marriage_family_therapy"):
        run(
            lic("ca-lmft", "2023-06-01", "2025-05-31"), [course("x", 1, "2023-09-01", cats=["marriage_family_therapy"])]
        )


def test_hours_from_the_past_cycle_do_not_count() -> None:
    """BBS: CE taken for a past renewal cycle does not count for the current one."""
    report = run(
        lic("ca-lcsw", "2023-06-01", "2025-05-31", history=DONE_BEFORE),
        [course("old", 6, "2023-05-20", cats=["law_ethics"], approvals=["NASW"])],
    )
    assert codes(report, "old") == ["outside_cycle"]
    assert req(report, "law_ethics").short == d(6)
