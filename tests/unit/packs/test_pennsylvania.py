"""Pennsylvania packs (pa-lcsw, pa-lpc): 49 Pa. Code 47.32-47.36 (chapter 49 parallel), Act 31 child abuse and
Act 74 suicide prevention; expectations worked out from them."""

from __future__ import annotations

import pytest

from cebridge.domain import Completion
from tests.unit.packs.scenario import codes, comp, course, d, lic, not_applicable, req, run

PACKS = ["pa-lcsw", "pa-lpc"]


def act31(cid: str, on: str) -> Completion:
    return course(cid, 2, on, cats=["child_abuse"], approvals=["PA-DHS"], activity="state_mandated_training",
                  fmt="self_study")  # fmt: skip


@pytest.mark.parametrize("pack_id", PACKS)
def test_biennium_ending_february_of_odd_years_all_online(pack_id: str) -> None:
    """30 clock hours per biennium March 1 (odd) .. February 28 (next odd): 3 ethics, 2 child abuse (Act 31),
    1 suicide prevention (Act 74); all hours may be online. As of 2024-06-01 the biennium is 2023-03-01 ..
    2025-02-28. 3 + 2 + 1 + 24 = 30."""
    report = run(
        lic(pack_id, None, None, renewal=3),
        [
            course("e", 3, "2023-05-01", cats=["ethics"], approvals=["NBCC"], fmt="self_study"),
            act31("ca", "2023-06-01"),
            course("sp", 1, "2023-07-01", cats=["suicide_prevention"], approvals=["APA"], fmt="self_study"),
            course("g", 24, "2024-01-10", approvals=["NBCC"], fmt="self_study"),
        ],
        as_of="2024-06-01",
    )
    assert (str(report.cycle.start), str(report.cycle.end)) == ("2023-03-01", "2025-02-28")
    assert req(report, "child_abuse").satisfied
    assert report.compliant


@pytest.mark.parametrize("pack_id", PACKS)
def test_first_renewal_is_exempt_except_the_act_31_training(pack_id: str) -> None:
    report = run(lic(pack_id, "2023-03-01", "2025-02-28", renewal=1), [])
    assert report.total.required == 0
    assert [r.id for r in report.requirements] == ["child_abuse"]
    assert {"ethics", "suicide_prevention"} <= not_applicable(report)
    assert not report.compliant
    done = run(lic(pack_id, "2023-03-01", "2025-02-28", renewal=1), [act31("ca", "2024-05-01")])
    assert done.compliant


@pytest.mark.parametrize("pack_id", PACKS)
def test_excess_hours_may_not_be_carried_over(pack_id: str) -> None:
    report = run(lic(pack_id, "2023-03-01", "2025-02-28"), [course("cf", 6, "2023-03-01", activity="carryover_in")])
    assert codes(report, "cf") == ["carry_in_limit"]
    assert comp(report, "cf").hours_counted == 0


def test_preapproved_providers_differ_from_unlisted_bodies() -> None:
    """47.36 lists NASW, ASWB ACE, NBCC, APA, ANCC...; CAMFT is not a preapproved provider in Pennsylvania."""
    report = run(
        lic("pa-lcsw", "2023-03-01", "2025-02-28"),
        [course("n", 3, "2023-05-01", approvals=["ANCC"]), course("c", 3, "2023-05-02", approvals=["CAMFT"])],
    )
    assert comp(report, "n").hours_counted == d(3)
    assert codes(report, "c") == ["approver_not_accepted"]
