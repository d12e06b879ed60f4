"""Illinois packs (il-lcsw, il-lcpc): 68 Ill. Adm. Code 1470.95, 1375.220 and 1130 Subpart E, with the NASW-IL
account of the 2023 changes; expectations worked out from them. An Illinois CE hour is 50 minutes."""

from __future__ import annotations

from tests.unit.packs.scenario import codes, comp, course, d, lic, not_applicable, req, run

TESTED = {"has_post_test": True}


def test_lcsw_2023_renewal_in_fifty_minute_hours() -> None:
    """Renewal 2023-11-30 (cycle 2021-12-01 .. 2023-11-30): 30 hours of 50 minutes with 3 ethics, 3 cultural
    competence, 1 sexual harassment prevention, 1 implicit bias. 150 minutes = 3 hours; 2.5 clock hours = 3;
    50 minutes = 1; 20 clock hours = 24. Total 3 + 3 + 1 + 1 + 24 = 32."""
    report = run(
        lic("il-lcsw", None, None, renewal=3),
        [
            course("e", 150, "2022-02-01", cats=["ethics"], approvals=["NASW"], unit="minutes"),
            course("c", "2.5", "2022-03-01", cats=["cultural_diversity"], approvals=["ASWB-ACE"]),
            course("sh", 50, "2022-04-01", cats=["sexual_harassment"], approvals=["IL-IDFPR"], unit="minutes"),
            course("ib", 50, "2022-05-01", cats=["implicit_bias"], approvals=["IL-IDFPR"], unit="minutes"),
            course("g", 20, "2023-01-10", approvals=["ASWB-ACE"], fmt="live_interactive_webinar"),
        ],
        as_of="2023-06-01",
    )
    assert (str(report.cycle.start), str(report.cycle.end)) == ("2021-12-01", "2023-11-30")
    assert report.rule_version == "2023-11-30"
    assert comp(report, "c").hours_counted == d(3)
    assert comp(report, "g").hours_counted == d(24)
    assert report.total.counted == d(32)
    assert report.compliant


def test_lcsw_remote_programs_need_an_exam_from_july_2023() -> None:
    """Since July 2023 a remote (self-study) program must include an examination; earlier self-study is not
    touched, and a tested self-study course counts in full."""
    report = run(
        lic("il-lcsw", "2021-12-01", "2023-11-30", renewal=3),
        [
            course("before", 5, "2023-03-01", approvals=["ASWB-ACE"], fmt="self_study"),
            course("untested", 5, "2023-08-01", approvals=["ASWB-ACE"], fmt="self_study"),
            course("tested", 5, "2023-08-02", approvals=["ASWB-ACE"], fmt="self_study", flags=TESTED),
        ],
    )
    assert comp(report, "before").hours_counted == d(6)
    assert (comp(report, "untested").status, codes(report, "untested")) == ("rejected", ["over_cap"])
    assert comp(report, "tested").hours_counted == d(6)


def test_lcsw_2021_renewal_needed_half_in_person() -> None:
    """Renewal 2021-11-30: at least 15 of the 30 hours in person; live virtual workshops were not in person.
    12.5 clock hours in person are 15 Illinois hours; ethics, cultural competence and harassment online."""
    in_person = course("ip", "12.5", "2020-02-01", approvals=["NASW"])
    online = [
        course("e", "2.5", "2020-06-01", cats=["ethics"], approvals=["NASW"], fmt="live_interactive_webinar"),
        course(
            "c", "2.5", "2020-07-01", cats=["cultural_diversity"], approvals=["NASW"], fmt="live_interactive_webinar"
        ),
        course("sh", 50, "2020-08-01", cats=["sexual_harassment"], approvals=["IL-IDFPR"], unit="minutes"),
        course("g", 7, "2021-01-10", approvals=["NASW"], fmt="live_interactive_webinar"),
    ]
    license = lic("il-lcsw", "2019-12-01", "2021-11-30", renewal=2)
    report = run(license, [in_person, *online])
    assert report.rule_version == "2021-11-30"
    assert req(report, "in_person").counted == d(15)
    assert "implicit_bias" not in {r.id for r in report.requirements}
    assert report.compliant

    all_online = run(license, [course("ip", "12.5", "2020-02-01", approvals=["NASW"], fmt="live_interactive_webinar"),
                               *online])  # fmt: skip
    assert req(all_online, "in_person").short == d(15)
    assert not all_online.compliant


def test_lcsw_clinical_supervision_from_the_2027_renewal() -> None:
    """From the renewal ending 2027-11-30, 6 of the 30 hours are clinical supervision training, once in a
    lifetime; owed at the second renewal after licensure (the first is exempt) and by current licensees."""
    second = run(lic("il-lcsw", "2025-12-01", "2027-11-30", renewal=2), [])
    assert req(second, "clinical_supervision").required == d(6)
    done = run(lic("il-lcsw", "2025-12-01", "2027-11-30", renewal=5,
                   history={"one_time_completed": ["supervision"]}), [])  # fmt: skip
    assert "clinical_supervision" in not_applicable(done)
    earlier = run(lic("il-lcsw", "2023-12-01", "2025-11-30", renewal=4), [])
    assert "clinical_supervision" not in {r.id for r in earlier.requirements}


def test_first_renewal_of_an_illinois_license_needs_no_ce() -> None:
    report = run(lic("il-lcsw", "2025-12-01", "2027-11-30", renewal=1), [])
    assert report.total.required == 0
    assert report.compliant


def test_lcsw_does_not_take_nbcc_approval() -> None:
    report = run(
        lic("il-lcsw", "2021-12-01", "2023-11-30", renewal=3), [course("n", 3, "2022-01-10", approvals=["NBCC"])]
    )
    assert codes(report, "n") == ["approver_not_accepted"]


# Clinical professional counselors -------------------------------------------------------------------------------


def test_lcpc_second_renewal_owes_nine_hours_of_clinical_supervision() -> None:
    """1375.220: 30 hours in the 24 months before March 31 of odd years; at the second LCPC renewal 9 of them
    are clinical supervision training. As of 2024-06-01 the cycle is 2023-04-01 .. 2025-03-31, after
    2024-01-01, so Public Act 103-0531's hour of cultural competency is owed too."""
    report = run(lic("il-lcpc", None, None, renewal=2), [], as_of="2024-06-01")
    assert (str(report.cycle.start), str(report.cycle.end)) == ("2023-04-01", "2025-03-31")
    assert report.rule_version == "2025-03-31"
    assert {r.id: r.required for r in report.requirements} == {
        "ethics": d(3),
        "sexual_harassment": d(1),
        "implicit_bias": d(1),
        "cultural_competency": d(1),
        "clinical_supervision": d(9),
    }


def test_lcpc_2023_renewal_without_cultural_competency_hour() -> None:
    report = run(lic("il-lcpc", "2021-04-01", "2023-03-31", renewal=4, history={"one_time_completed": ["supervision"]}),
                 [course("g", 25, "2022-01-10", approvals=["NBCC"]), course("e", "2.5", "2022-02-10",
                  cats=["ethics"], approvals=["ACA"])])  # fmt: skip
    assert report.rule_version == "2023-03-31"
    assert "cultural_competency" not in {r.id for r in report.requirements}
    assert "clinical_supervision" in not_applicable(report)
    assert report.total.counted == d(33)
    assert req(report, "sexual_harassment").short == d(1)


def test_lcpc_correspondence_courses_need_an_examination() -> None:
    report = run(
        lic("il-lcpc", "2023-04-01", "2025-03-31", renewal=4),
        [
            course("untested", 5, "2024-01-10", approvals=["NBCC"], fmt="self_study"),
            course("tested", 5, "2024-01-11", approvals=["NBCC"], fmt="self_study", flags=TESTED),
        ],
    )
    assert comp(report, "untested").hours_counted == 0
    assert comp(report, "tested").hours_counted == d(6)
