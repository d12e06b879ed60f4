"""Florida packs: ch. 491 (fl-lmhc, fl-lcsw, fl-lmft, Fla. Admin. Code 64B4-6.001/6.002/6.004) and psychology
(fl-psychologist, 64B19-13.003/13.005); expectations worked out from those rules."""

from __future__ import annotations

import pytest

from cebridge.domain import Completion
from cebridge.errors import MissingFact
from tests.unit.packs.scenario import codes, comp, course, d, lic, not_applicable, req, run

CH491 = ["fl-lmhc", "fl-lcsw", "fl-lmft"]


def third_renewal_record() -> list[Completion]:
    return [
        course("me", 2, "2023-05-01", cats=["medical_errors"], approvals=["FL-491"], fmt="self_study"),
        course("eb", 3, "2023-06-01", cats=["ethics", "boundaries"], approvals=["NBCC"]),
        course("dv", 2, "2023-07-01", cats=["domestic_violence"], approvals=["FL-491"]),
        course("lr", 3, "2023-08-01", cats=["laws_and_rules"], approvals=["FL-491"]),
        course("g", 20, "2024-02-01", cats=["clinical"], approvals=["NASW"], fmt="live_interactive_webinar"),
    ]


@pytest.mark.parametrize("pack_id", CH491)
def test_third_renewal_owes_domestic_violence_and_laws_and_rules(pack_id: str) -> None:
    """64B4-6.001: 30 h per biennium ending March 31 of odd years; 2 medical errors; 3 ethics-and-boundaries or
    teletherapy; at the third renewal also 2 domestic violence and 3 laws and rules. As of 2024-06-01 the
    biennium is 2023-04-01 .. 2025-03-31. 2 + 3 + 2 + 3 + 20 = 30."""
    report = run(lic(pack_id, None, None, renewal=3, attributes={"supervisor": False}), third_renewal_record(),
                 as_of="2024-06-01")  # fmt: skip
    assert (str(report.cycle.start), str(report.cycle.end)) == ("2023-04-01", "2025-03-31")
    assert req(report, "domestic_violence").satisfied
    assert req(report, "laws_and_rules").satisfied
    assert req(report, "ethics_boundaries_or_teletherapy").satisfied
    assert report.total.counted == d(30)
    assert report.compliant


def test_second_renewal_skips_the_every_third_requirements() -> None:
    report = run(lic("fl-lmhc", "2023-04-01", "2025-03-31", renewal=2, attributes={"supervisor": False}), [])
    assert {"domestic_violence", "laws_and_rules", "supervision"} <= not_applicable(report)
    assert {r.id for r in report.requirements} == {"medical_errors", "ethics_boundaries_or_teletherapy"}


def test_first_renewal_needs_no_ce() -> None:
    """64B4-6.001(2): no CE for the first renewal, so nothing is owed and nothing is short."""
    report = run(lic("fl-lcsw", "2023-04-01", "2025-03-31", renewal=1, attributes={"supervisor": False}), [])
    assert report.total.required == 0
    assert report.requirements == []
    assert report.compliant


def test_every_third_renewal_needs_the_renewal_number() -> None:
    license = lic("fl-lmft", "2023-04-01", "2025-03-31", renewal=None, issued_on="2015-02-01",
                  attributes={"supervisor": False})  # fmt: skip
    with pytest.raises(MissingFact, match="renewal_number"):
        run(license, [])


def test_teletherapy_satisfies_the_alternating_three_hours() -> None:
    """In alternating biennia either 3 h of ethics and boundaries or 3 h of teletherapy."""
    report = run(
        lic("fl-lmhc", "2023-04-01", "2025-03-31", renewal=2, attributes={"supervisor": False}),
        [course("tt", 3, "2023-10-01", cats=["telehealth"], approvals=["AMHCA"], fmt="self_study")],
    )
    assert req(report, "ethics_boundaries_or_teletherapy").satisfied


def test_qualified_supervisor_every_third_biennium() -> None:
    """64B4-6.001(5): 4 hours of supervisory training every third biennium for qualified supervisors."""
    report = run(lic("fl-lcsw", "2023-04-01", "2025-03-31", renewal=6, attributes={"supervisor": True}), [])
    assert req(report, "supervision").required == d(4)


def test_non_clinical_cap_disciplinary_hours_and_unaccepted_bodies() -> None:
    """At most 6 non-clinical hours; hours earned for discipline are in addition to renewal hours; NAADAC is not
    among the approvers read; graduate credit has no conversion in the rules read."""
    report = run(
        lic("fl-lmhc", "2023-04-01", "2025-03-31", renewal=2, attributes={"supervisor": False}),
        [
            course("office", 8, "2023-05-01", cats=["non_clinical"], approvals=["FL-491"]),
            course("disc", 4, "2023-06-01", cats=["ethics"], approvals=["FL-491"], flags={"disciplinary_order": True}),
            course("naadac", 3, "2023-07-01", approvals=["NAADAC"]),
            course("gc", 1, "2023-08-01", activity="graduate_course", unit="semester_hours",
                   approvals=["ACCREDITED-UNIVERSITY"]),
        ],
    )  # fmt: skip
    office = comp(report, "office")
    assert (office.hours_counted, office.hours_rejected) == (d(6), d(2))
    assert codes(report, "disc") == ["disciplinary"]
    assert codes(report, "naadac") == ["approver_not_accepted"]
    assert codes(report, "gc") == ["unit_unknown"]
    assert report.total.counted == d(6)


# Psychologists -------------------------------------------------------------------------------------------------


def test_psychologist_third_renewal_with_credit_conversions_and_caps() -> None:
    """64B19-13.003/13.005: 40 credits per biennium ending May 31 of even years. A credit is 50 minutes, so 12.5
    clock hours are 15 credits; a one-credit graduate course is 7 credits (2 semester hours = 14); convention
    attendance 1 credit a day, at most 5. A 3-credit ethics-and-law course covers 2 ethics + 1 Florida law.
    3 + 2 + 2 + 5 + 14 + 15 = 41."""
    report = run(
        lic("fl-psychologist", None, None, renewal=3),
        [
            course("le", 3, "2024-07-01", cats=["law_ethics"], approvals=["APA"], unit="ce_credits"),
            course("me", 2, "2024-08-01", cats=["medical_errors"], approvals=["FL-PSY"], unit="ce_credits"),
            course("dv", 2, "2024-09-01", cats=["domestic_violence"], approvals=["FL-PSY"], unit="ce_credits"),
            course("conv", 7, "2025-01-10", activity="conference_attendance", unit="days"),
            course("gc", 2, "2025-02-01", activity="graduate_course", unit="semester_hours",
                   approvals=["ACCREDITED-UNIVERSITY"]),
            course("ws", "12.5", "2025-03-01", approvals=["APA"], fmt="self_study"),
        ],
        as_of="2025-01-01",
    )  # fmt: skip
    assert (str(report.cycle.start), str(report.cycle.end)) == ("2024-06-01", "2026-05-31")
    assert comp(report, "ws").hours_counted == d(15)
    assert comp(report, "gc").hours_counted == d(14)
    conv = comp(report, "conv")
    assert (conv.hours_counted, conv.status) == (d(5), "partially_accepted")
    assert req(report, "ethics").counted == d(2)
    assert req(report, "laws_and_rules").counted == d(1)
    assert req(report, "domestic_violence").satisfied
    assert report.total.counted == d(41)
    assert report.compliant


def test_psychologist_graduate_credit_cap() -> None:
    """At most 21 credits of graduate courses per renewal period: 4 one-credit courses (28) count 21."""
    report = run(
        lic("fl-psychologist", "2024-06-01", "2026-05-31", renewal=2),
        [course("gc", 4, "2025-02-01", activity="graduate_course", unit="semester_hours",
                approvals=["ACCREDITED-UNIVERSITY"])],
    )  # fmt: skip
    assert comp(report, "gc").hours_counted == d(21)


def test_psychologist_first_renewal_still_owes_medical_errors() -> None:
    """The laws and rules exam passed for licensure stands for the 40 credits at the first renewal, but not for
    the 2 hours of medical errors."""
    report = run(lic("fl-psychologist", "2024-06-01", "2026-05-31", renewal=1), [])
    assert report.total.required == 0
    assert [r.id for r in report.requirements] == ["medical_errors"]
    assert not report.compliant
