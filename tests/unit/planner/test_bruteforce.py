"""The planner's optimum equals brute force's on generated catalogs: cost first, then clock hours.

Brute force (tests/unit/planner/oracle.py) enumerates every subset of the catalog, every session choice and
every order of capped courses, and asks the compliance engine whether each license is then compliant.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cebridge.domain import Completion, CreditOffering
from cebridge.domain.planner import LicenseState, make_plan
from cebridge.domain.rules import Requirement
from tests.unit.planner.builders import cap, done, lic, offering, pack, requirement, state, version
from tests.unit.planner.oracle import brute_force

AS_OF = date(2024, 9, 2)
CATS = ["ethics", "cultural_diversity", "clinical", "jurisprudence_exam"]
FORMATS = ["self_study", "live_in_person", "live_interactive_webinar"]
APPROVALS = [["APA"], ["NBCC"], ["NAADAC"], ["APA", "NAADAC"], ["NBCC", "APA"], []]
Scenario = tuple[list[LicenseState], list[CreditOffering], list[Completion], Decimal | None]


@st.composite
def rules(draw: st.DrawFn, pid: str, bodies: list[str]) -> tuple[Any, str]:
    reqs = []
    if draw(st.booleans()):
        reqs.append(requirement("ethics", ["ethics"], draw(st.sampled_from([1, 2, "1.5"]))))
    if draw(st.booleans()):
        reqs.append(requirement("cultural", ["cultural_diversity"], draw(st.sampled_from([1, 2]))))
    if draw(st.booleans()):
        alone = {"independent": draw(st.booleans())} if "independent" in Requirement.model_fields else {}
        reqs.append(requirement("face", ["any"], draw(st.sampled_from([1, 2])), formats=["live_in_person"], **alone))
    if draw(st.booleans()):
        reqs.append(requirement("exam", ["jurisprudence_exam"], min_completions=1))
    caps = []
    kind = draw(st.sampled_from(["none", "self", "listed"]))
    if kind == "self":
        caps.append(cap("self", {"formats": ["self_study"]}, max_hours=str(draw(st.sampled_from([0, 1, 2, 4])))))
    if kind == "listed":
        caps.append(cap("listed", {"flag_false": "listed"}, max_fraction="0.5"))
    total = draw(st.sampled_from([2, 3, 4, 6]))
    v = version(
        total={"hours": total, "source": ["s"]},
        approvers=[{"body": b, "source": ["s"]} for b in bodies],
        requirements=reqs,
        caps=caps,
        activities=[{"activity": "course", "source": ["s"]},
                    {"activity": "jurisprudence_exam", "approval_required": False, "fixed_hours": 1,
                     "adds_categories": ["ethics"], "source": ["s"]}],
    )
    return pack(v, pid=pid), kind


@st.composite
def catalogs(draw: st.DrawFn, cap_kinds: list[str], deadline: date) -> list[CreditOffering]:
    n = draw(st.integers(2, 10))
    out = []
    capped = 0
    for i in range(n):
        fmt = draw(st.sampled_from(FORMATS))
        listed = draw(st.booleans())
        would_cap = ("self" in cap_kinds and fmt == "self_study") or ("listed" in cap_kinds and not listed)
        if would_cap and capped >= 4:
            fmt, listed = "live_in_person", True
            would_cap = "listed" in cap_kinds and not listed
        capped += would_cap
        cats = draw(st.lists(st.sampled_from(CATS), min_size=1, max_size=2, unique=True))
        exam = "jurisprudence_exam" in cats and draw(st.booleans())
        sessions: list[tuple[str, str]] = []
        if fmt != "self_study":
            for _ in range(draw(st.integers(1, 2))):
                day = AS_OF + timedelta(days=draw(st.integers(-10, (deadline - AS_OF).days + 10)))
                sessions.append((f"{day}T09:00:00Z", f"{day}T12:00:00Z"))
        out.append(
            offering(
                f"o{i}",
                draw(st.sampled_from(["1", "1.5", "2", "3", "4"])),
                draw(st.sampled_from(["0", "5", "10", "20", "35"])),
                cats,
                fmt=fmt,
                approvals=draw(st.sampled_from(APPROVALS)),
                sessions=sessions,
                flags={"listed": listed},
                activity="jurisprudence_exam" if exam else "course",
            )
        )
    return out


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    one, kind1 = draw(rules("zz-one", ["APA", "NBCC"]))
    licenses = [lic("zz-one")]
    packs = [one]
    kinds = [kind1]
    if draw(st.booleans()):
        two, kind2 = draw(rules("zy-two", ["NBCC", "NAADAC"]))
        end = draw(st.sampled_from(["2025-06-30", "2025-03-31"]))
        licenses.append(lic("zy-two", start="2023-04-01" if end.endswith("03-31") else "2023-07-01", end=end))
        packs.append(two)
        kinds.append(kind2)
    existing = [
        done(f"d{i}", draw(st.sampled_from(["1", "2", "3"])), "2024-01-15",
             draw(st.lists(st.sampled_from(CATS[:3]), max_size=2, unique=True)),
             format=draw(st.sampled_from(FORMATS)), flags={"listed": True})
        for i in range(draw(st.integers(0, 2)))
    ]
    deadline = min(lc.cycle.end for lc in licenses if lc.cycle)
    catalog = draw(catalogs(kinds, deadline))
    budget = draw(st.sampled_from([None, None, Decimal(10), Decimal(25)]))
    states = [state(lc, p, existing) for lc, p in zip(licenses, packs, strict=True)]
    return states, catalog, existing, budget


def _check(method: str, scenario: Scenario) -> None:
    states, catalog, existing, budget = scenario
    expected = brute_force(states, catalog, existing, AS_OF, budget)
    plan = make_plan(states, catalog, as_of=AS_OF, completions=existing, budget=budget, method=method)  # type: ignore[arg-type]
    if expected is None:
        assert not plan.feasible, plan.to_json()
        assert plan.unmet, "an infeasible plan names what stays unmet"
    else:
        assert plan.feasible, (expected, plan.to_json())
        assert (plan.total_cost, plan.total_hours) == expected, plan.to_json()
        assert all(lo.compliant_after for lo in plan.licenses)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_milp_optimum_equals_brute_force(scenario: Any) -> None:
    _check("milp", scenario)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_exact_search_optimum_equals_brute_force(scenario: Any) -> None:
    _check("search", scenario)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(), st.sampled_from([Decimal(1), Decimal(2), Decimal(3)]), st.sampled_from([date(2025, 2, 3),
                                                                                             date(2025, 3, 3)]))
def test_weekly_limit_milp_against_exact_search(scenario: Scenario, weekly: Decimal, as_of: date) -> None:
    """Late in the cycle, a weekly limit binds. The search places every subset week by week (each course due
    at the earliest deadline that accepts it); the program models the weeks with deadline constraints and may
    also let a course count only for a later deadline, so it is never worse, and equal with one license."""
    states, catalog, existing, budget = scenario
    kw: dict[str, Any] = {"as_of": as_of, "completions": existing, "budget": budget, "hours_per_week": weekly}
    by_search = make_plan(states, catalog, method="search", **kw)
    by_milp = make_plan(states, catalog, method="milp", **kw)
    if by_search.feasible:
        assert by_milp.feasible
        found = (by_milp.total_cost, by_milp.total_hours)
        best = (by_search.total_cost, by_search.total_hours)
        assert found == best if len(states) == 1 else found <= best
    if by_milp.feasible:
        assert all(lo.compliant_after for lo in by_milp.licenses)
        for course in by_milp.courses:
            assert course.completes_on >= as_of
        for week in {c.week_of for c in by_milp.courses if c.starts_at}:
            assert sum(c.hours for c in by_milp.courses if c.starts_at and c.week_of == week) <= weekly
