"""New York packs (ny-lcsw, ny-lmhc): Educ. Law 7710 and 8412 with the NYSED boundaries requirement for
registration periods starting on or after 2023-04-01; expectations worked out from those rules."""

from __future__ import annotations

import pytest

from tests.unit.packs.scenario import codes, comp, course, d, lic, not_applicable, req, run

PACKS = ["ny-lcsw", "ny-lmhc"]


@pytest.mark.parametrize("pack_id", PACKS)
def test_full_period_with_boundaries_and_self_study_at_its_cap(pack_id: str) -> None:
    """36 hours per 36-month period from NYSED-approved providers, at most 12 self-study; a period starting
    2023-06-01 owes 3 hours on professional boundaries. Live webinars are not self-study. 3 + 21 + 12 = 36."""
    report = run(
        lic(pack_id, "2023-06-01", "2026-05-31", renewal=3),
        [
            course("b", 3, "2023-07-01", cats=["boundaries"], approvals=["NY-SED"], fmt="live_interactive_webinar"),
            course("w", 21, "2024-01-10", approvals=["NY-SED"], fmt="live_interactive_webinar"),
            course("ss", 12, "2025-01-10", approvals=["NY-SED"], fmt="self_study"),
        ],
    )
    assert report.rule_version == "2023-04-01"
    assert req(report, "boundaries").satisfied
    assert report.caps["self_study"] == d(12)
    assert report.total.counted == d(36)
    assert report.compliant


@pytest.mark.parametrize("pack_id", PACKS)
def test_self_study_beyond_twelve_hours_is_cut(pack_id: str) -> None:
    report = run(
        lic(pack_id, "2023-06-01", "2026-05-31", renewal=3),
        [course("ss", 20, "2024-01-10", approvals=["NY-SED"], fmt="self_study")],
    )
    ss = comp(report, "ss")
    assert (ss.hours_counted, ss.hours_rejected) == (d(12), d(8))
    assert codes(report, "ss") == ["over_cap"]


@pytest.mark.parametrize("pack_id", PACKS)
def test_short_period_is_pro_rated_one_hour_a_month(pack_id: str) -> None:
    """An 18-month registration period owes 18 hours, and self-study is limited to a third of it (6)."""
    report = run(
        lic(pack_id, "2023-06-01", "2024-11-30", renewal=2),
        [course("ss", 10, "2024-01-10", approvals=["NY-SED"], fmt="self_study")],
    )
    assert report.total.required == d(18)
    assert comp(report, "ss").hours_counted == d(6)
    assert req(report, "boundaries").required == d(3)


@pytest.mark.parametrize("pack_id", PACKS)
def test_first_registration_period_is_exempt(pack_id: str) -> None:
    report = run(lic(pack_id, "2023-06-01", "2026-05-31", renewal=1), [])
    assert report.total.required == 0
    assert "boundaries" in not_applicable(report)
    assert report.compliant


@pytest.mark.parametrize("pack_id", PACKS)
def test_period_started_before_april_2023_owes_no_boundaries_hours(pack_id: str) -> None:
    """The rule follows the period's start: 2022-09-01 .. 2025-08-31 keeps the old rules though it ends later."""
    report = run(lic(pack_id, "2022-09-01", "2025-08-31", renewal=3), [])
    assert report.rule_version == {"ny-lcsw": "2015-01-01", "ny-lmhc": "2017-01-01"}[pack_id]
    assert report.requirements == []
    assert report.total.short == d(36)


def test_national_approvals_alone_do_not_count_and_nothing_carries_in() -> None:
    """NYSED-approved providers only: ASWB ACE and NASW approval alone do not count; no carryover."""
    report = run(
        lic("ny-lcsw", "2023-06-01", "2026-05-31", renewal=3),
        [
            course("ace", 6, "2023-07-01", approvals=["ASWB-ACE", "NASW"]),
            course("cf", 6, "2023-06-01", activity="carryover_in"),
        ],
    )
    assert codes(report, "ace") == ["approver_not_accepted"]
    assert codes(report, "cf") == ["carry_in_limit"]


def test_registration_period_derived_from_the_registration_date() -> None:
    """Registered 2020-04-01 (treated like an issue date): the period holding 2024-01-01 starts 2023-05-01,
    after 2023-04-01, so the boundaries hours are owed."""
    report = run(lic("ny-lmhc", None, None, renewal=2, issued_on="2020-04-01"), [], as_of="2024-01-01")
    assert (str(report.cycle.start), str(report.cycle.end)) == ("2023-05-01", "2026-04-30")
    assert report.rule_version == "2023-04-01"
    assert req(report, "boundaries").short == d(3)
    assert report.total.required == d(36)
