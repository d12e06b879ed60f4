"""Pruning dominated offerings never changes the optimum; the solver's answers are checked by the engine."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cebridge.domain.planner import LicenseState, make_plan
from cebridge.domain.planning import lp, optimise
from cebridge.domain.planning.candidates import build_pool, scale_for
from cebridge.domain.planning.facts import LicenseView
from cebridge.domain.planning.inputs import PlanOptions, PlanRequest
from cebridge.domain.planning.lp import SolverError
from cebridge.domain.planning.prune import prune
from cebridge.domain.rules import Requirement
from tests.unit.planner.builders import AS_OF, cap, done, lic, offering, pack, requirement, state, version

CATS = ["ethics", "cultural_diversity", "clinical", "law"]
#: Requirements counted alongside the others (when the rule schema has them).
INDEPENDENT: dict[str, Any] = {"independent": True} if "independent" in Requirement.model_fields else {}


def _rules(caps: list[dict[str, Any]], pid: str = "zz-test") -> Any:
    return pack(version(requirements=[requirement("ethics", ["ethics"], 3), requirement("cultural",
                                                                                         ["cultural_diversity"], 2),
                                      requirement("face", ["any"], 2, formats=["live_in_person"], **INDEPENDENT)],
                        caps=caps, total={"hours": 10, "source": ["s"]}), pid=pid)


@st.composite
def pools(draw: st.DrawFn) -> tuple[PlanRequest, list[LicenseState]]:
    caps = [cap("self", {"formats": ["self_study"]}, max_hours="3")] if draw(st.booleans()) else []
    states = [state(lic(), _rules(caps), [done("d", 2, cats=["clinical"])])]
    if draw(st.booleans()):
        end = draw(st.sampled_from(["2025-06-30", "2025-03-31"]))
        start = "2023-04-01" if end.endswith("03-31") else "2023-07-01"
        second = lic("zy-two", start=start, end=end)
        states.append(state(second, _rules([], "zy-two"), [done("d", 2, cats=["clinical"])]))
    catalog = []
    for i in range(draw(st.integers(5, 40))):
        fmt = draw(st.sampled_from(["self_study", "self_study", "live_in_person"]))
        sessions = []
        if fmt != "self_study":
            day = AS_OF + timedelta(days=draw(st.integers(0, 290)))
            sessions = [(f"{day}T09:00:00Z", f"{day}T12:00:00Z")]
        catalog.append(
            offering(f"o{i}", draw(st.sampled_from(["1", "2", "3"])), draw(st.sampled_from(["0", "10", "20", "30"])),
                     draw(st.lists(st.sampled_from(CATS), min_size=1, max_size=2, unique=True)), fmt=fmt,
                     sessions=sessions, approvals=draw(st.sampled_from([["APA"], ["NBCC"], ["NAADAC"]])),
                     topics=draw(st.lists(st.sampled_from(["trauma", "grief"]), max_size=1)))
        )
    weekly = draw(st.sampled_from([None, Decimal(1), Decimal(3)]))
    goals = tuple(draw(st.lists(st.sampled_from(["trauma", "grief"]), max_size=1)))
    as_of = draw(st.sampled_from([AS_OF, date(2025, 1, 6)]))  # later: the weekly limit binds
    options = PlanOptions(as_of=as_of, hours_per_week=weekly, goals=goals,
                          goal_budget=draw(st.sampled_from([None, Decimal(20)])))
    return PlanRequest(tuple(states), tuple(catalog), (done("d", 2, cats=["clinical"]),), options), states


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pools())
def test_pruning_keeps_the_optimum(drawn: tuple[PlanRequest, list[LicenseState]]) -> None:
    request, _ = drawn
    pool = build_pool(request, [LicenseView(s, request.completions) for s in request.licenses])
    scale = scale_for(pool)
    kept = prune(pool, scale)
    assert {c.id for c in kept} <= {c.id for c in pool.candidates}
    full = optimise.solve(pool, pool.candidates, scale)
    small = optimise.solve(pool, kept, scale)
    assert (full is None) == (small is None)
    if full is None or small is None:
        return

    def key(o: optimise.Outcome) -> tuple[Decimal, Decimal, int]:
        picked = [p.candidate for p in o.placements]
        goals = len(frozenset().union(*(c.goals for c in picked))) if picked else 0
        return sum((c.cost for c in picked), Decimal(0)), sum((c.time for c in picked), Decimal(0)), goals

    assert key(full) == key(small)


def test_pruning_removes_offerings_dominated_many_times_over() -> None:
    states = [state(lic(), _rules([]), [done("d", 9, cats=["clinical"])])]  # ethics 3, cultural 2, face 2 short
    catalog = [offering(f"eth{i}", 3, 10 + i, ["ethics"]) for i in range(6)]
    request = PlanRequest(tuple(states), tuple(catalog), (done("d", 9, cats=["clinical"]),), PlanOptions(as_of=AS_OF))
    pool = build_pool(request, [LicenseView(s, request.completions) for s in request.licenses])
    kept = prune(pool, scale_for(pool))
    # Hours any plan still needs: the most of the total short (1), the shared requirements (3 + 2) and the
    # independent one (2) = 5, so at most ceil(5 / 3) = 2 of these; the two cheapest stay.
    assert [c.id for c in kept] == ["eth0", "eth1"]


def test_an_answer_the_engine_rejects_is_cut_off() -> None:
    # Two self-study hours left under the cap. The program alone would count one hour of each self-study course;
    # the engine counts the earlier course in full and the later not at all, so the free pair does not work.
    rules = pack(version(caps=[cap("self", {"formats": ["self_study"]}, max_hours="2")],
                         total={"hours": 2, "source": ["s"]},
                         requirements=[requirement("ethics", ["ethics"], 1),
                                       requirement("cultural", ["cultural_diversity"], 1)]))
    states = [state(lic(), rules, [])]
    catalog = [offering("eth-ss", 2, 0, ["ethics"]), offering("cul-ss", 2, 0, ["cultural_diversity"]),
               offering("cul-live", 1, 10, ["cultural_diversity"], fmt="live_in_person",
                        sessions=[("2024-10-01T09:00:00Z", "2024-10-01T10:00:00Z")])]
    calls = []
    real = optimise.check

    def spy(pool: Any, picks: Any) -> Any:
        got = real(pool, picks)
        calls.append((sorted(p.candidate.id for p in picks), got is not None))
        return got

    optimise.check = spy
    try:
        plan = make_plan(states, catalog, as_of=AS_OF)
    finally:
        optimise.check = real
    assert calls[0] == (["cul-ss", "eth-ss"], False)
    assert plan.feasible and sorted(c.id for c in plan.courses) == ["cul-live", "eth-ss"]
    assert plan.total_cost == Decimal(10)


def test_solver_failure_falls_back_to_exact_search(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise SolverError("the solver stopped: numerical trouble")

    monkeypatch.setattr(lp.Program, "solve", broken)
    rules = pack()
    states = [state(lic(), rules, [done("d", 7, cats=["clinical"])])]
    catalog = [offering("eth3", 3, 5, ["ethics"]), offering("cul2", 2, 5, ["cultural_diversity"]),
               offering("both", 5, 20, ["ethics", "cultural_diversity"])]
    plan = make_plan(states, catalog, as_of=AS_OF, completions=[done("d", 7, cats=["clinical"])])
    assert plan.feasible and sorted(c.id for c in plan.courses) == ["cul2", "eth3"]
    with pytest.raises(SolverError, match="numerical trouble"):
        make_plan(states, catalog, as_of=AS_OF, completions=[done("d", 7, cats=["clinical"])], method="milp")


def test_solver_without_an_answer_is_an_error() -> None:
    p = lp.Program()
    x = p.var(0, 10, integer=True)
    p.row({x: 1.0}, lo=3.5, hi=3.6)  # no integer in between
    assert p.solve({x: 1.0}) is None
    p2 = lp.Program()
    p2.row({}, lo=1.0)  # an empty row that cannot hold
    assert p2.solve({}) is None


def test_when_the_engine_keeps_rejecting_answers_search_takes_over(monkeypatch: pytest.MonkeyPatch) -> None:
    rules = pack(version(caps=[cap("self", {"formats": ["self_study"]}, max_hours="2")],
                         total={"hours": 2, "source": ["s"]},
                         requirements=[requirement("ethics", ["ethics"], 1),
                                       requirement("cultural", ["cultural_diversity"], 1)]))
    states = [state(lic(), rules, [])]
    catalog = [offering("eth-ss", 2, 0, ["ethics"]), offering("cul-ss", 2, 0, ["cultural_diversity"]),
               offering("cul-live", 1, 10, ["cultural_diversity"], fmt="live_in_person",
                        sessions=[("2024-10-01T09:00:00Z", "2024-10-01T10:00:00Z")])]
    monkeypatch.setattr(optimise, "MAX_CUTS", 1)
    plan = make_plan(states, catalog, as_of=AS_OF)
    assert plan.feasible and sorted(c.id for c in plan.courses) == ["cul-live", "eth-ss"]
    with pytest.raises(SolverError, match="rejected 1 candidate plans"):
        make_plan(states, catalog, as_of=AS_OF, method="milp")


def test_an_approval_that_lapses_before_the_course_is_done_is_cut_off() -> None:
    # ACA approval is accepted only until 2024-09-10; at one hour a week the free ACA course ends on 2024-09-16,
    # so the engine rejects it and the planner falls back to the paid APA course.
    rules = pack(version(approvers=[{"body": "APA", "source": ["s"]},
                                    {"body": "ACA", "source": ["s"], "valid_to": "2024-09-10"}],
                         total={"hours": 3, "source": ["s"]}, requirements=[requirement("ethics", ["ethics"], 3)]))
    states = [state(lic(), rules, [])]
    catalog = [offering("eth3-aca", 3, 0, ["ethics"], approvals=["ACA"]),
               offering("eth3-apa", 3, 10, ["ethics"], approvals=["APA"])]
    calls = []
    real = optimise.check

    def spy(pool: Any, picks: Any) -> Any:
        got = real(pool, picks)
        calls.append(([p.candidate.id for p in picks], got is not None))
        return got

    optimise.check = spy
    try:
        plan = make_plan(states, catalog, as_of=AS_OF, hours_per_week=Decimal(1))
    finally:
        optimise.check = real
    assert calls == [(["eth3-aca"], False), (["eth3-apa"], True)]
    assert [c.id for c in plan.courses] == ["eth3-apa"] and plan.total_cost == Decimal(10)
    # Without the weekly limit it is done on the first day, while the approval holds.
    assert [c.id for c in make_plan(states, catalog, as_of=AS_OF).courses] == ["eth3-aca"]
