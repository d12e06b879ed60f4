"""Benchmark the planner: a seeded catalog of 10,000 offerings, a Texas LPC supervisor with 5 open
requirements (ethics, cultural diversity, supervision, jurisprudence exam, human trafficking) and the total.

Prints the time to an optimal plan and its ratio to a floor measured in the same run (validating the catalog's
JSON into offerings, a pass every plan needs), how many offerings survive pruning, and checks the plan's
optimality against brute force on a reduced catalog (every subset, checked by the compliance engine).

    python benchmarks/bench_plan.py            # 10,000 offerings
    python benchmarks/bench_plan.py --n 500    # quicker
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
import time
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from pydantic import TypeAdapter

from cebridge.domain import Completion, CreditOffering, License
from cebridge.domain.engine import evaluate
from cebridge.domain.planner import LicenseState, make_plan
from cebridge.domain.planning.candidates import build_pool, clock_hours, scale_for
from cebridge.domain.planning.facts import LicenseView
from cebridge.domain.planning.inputs import PlanOptions, PlanRequest
from cebridge.domain.planning.prune import prune
from cebridge.rulepacks import PackRegistry

AS_OF = date(2026, 1, 5)
DEADLINE = date(2026, 5, 31)
BODIES = ["NBCC", "APA", "ASWB-ACE", "TX-BHEC", "NAADAC", "CAMFT", "NASW", "ACA"]
CATEGORIES = ["ethics", "cultural_diversity", "supervision", "clinical", "clinical", "general", "telehealth",
              "substance_use", "crisis_management"]
HOURS = ["1", "1.5", "2", "3", "3", "4", "6", "8", "12"]
_CATALOG = TypeAdapter(list[CreditOffering])


def _price(rnd: random.Random) -> str:
    if rnd.random() < 0.002:
        return "0.00"
    return f"{rnd.randrange(5, 200)}.{rnd.choice(['00', '50', '99'])}"


def catalog_data(n: int, seed: int) -> list[dict[str, Any]]:
    """``n`` offerings as catalog JSON data, the same for the same seed."""
    rnd = random.Random(seed)
    out: list[dict[str, Any]] = []
    for i in range(n):
        kind = rnd.random()
        data: dict[str, Any] = {
            "id": f"o{i:05d}",
            "title": f"Course {i}",
            "provider": f"Provider {rnd.randrange(60)}",
            "approvals": rnd.sample(BODIES, rnd.choice([1, 1, 2, 3])),
            "format": "self_study",
            "activity": "course",
            "credits": {"amount": rnd.choice(HOURS), "unit": "hours"},
            "categories": rnd.sample(CATEGORIES, rnd.choice([1, 1, 2])),
            "price": {"amount": _price(rnd)},
            "topics": rnd.sample(["trauma", "grief", "anxiety", "couples", "ethics", "dbt", "emdr"], 2),
            "flags": {"tx_listed_provider": rnd.random() < 0.5},
        }
        if kind < 0.01:
            data.update(activity="state_mandated_training", approvals=["TX-HHSC"], categories=["human_trafficking"],
                        credits={"amount": "1", "unit": "hours"})
        elif kind < 0.015:
            data.update(activity="jurisprudence_exam", approvals=[], categories=["jurisprudence_exam"],
                        credits={"amount": "1", "unit": "hours"})
        elif kind < 0.45:
            data["format"] = rnd.choice(["live_interactive_webinar", "live_in_person"])
            sessions = []
            for _ in range(rnd.choice([1, 2, 3])):
                day = AS_OF + timedelta(days=rnd.randrange(-30, 200))
                sessions.append({"start": f"{day}T15:00:00Z", "end": f"{day}T18:00:00Z"})
            data["sessions"] = sessions
        out.append(data)
    return out


def clinician() -> tuple[License, list[Completion]]:
    """A Texas LPC supervisor part way through the cycle: 9 hours done, every requirement still open."""
    lic = License.model_validate({
        "board": "tx-lpc", "license_number": "LPC 1", "cycle": {"start": "2024-06-01", "end": "2026-05-31"},
        "renewal_number": 4, "attributes": {"supervisor": True}, "history": {"prior_cycle_hours": 24},
    })
    done = [
        Completion.model_validate({
            "id": "c1", "title": "Done 1", "provider": "Elsewhere", "approvals": ["NBCC"], "format": "self_study",
            "credits": {"amount": "6", "unit": "hours"}, "categories": ["clinical"], "completed_on": "2024-10-01",
            "flags": {"tx_listed_provider": True}}),
        Completion.model_validate({
            "id": "c2", "title": "Done 2", "provider": "Elsewhere", "approvals": ["APA"], "format": "self_study",
            "credits": {"amount": "3", "unit": "hours"}, "categories": ["ethics"], "completed_on": "2025-03-01"}),
    ]
    return lic, done


def brute_force(
    states: Sequence[LicenseState], catalog: Sequence[CreditOffering], existing: Sequence[Completion]
) -> tuple[Decimal, Decimal] | None:
    """Least (cost, clock hours) over every subset the engine accepts, trying each order of on-demand courses
    from providers outside subsection (f) (the only capped ones here) and each session."""
    rows = []
    for k in range(len(catalog) + 1):
        for subset in itertools.combinations(catalog, k):
            rows.append((sum((o.price.amount for o in subset), Decimal(0)),
                         sum((clock_hours(o.credits) for o in subset), Decimal(0)), subset))
    rows.sort(key=lambda r: (r[0], r[1]))
    state = states[0]
    lic = state.license
    for cost, hours, subset in rows:
        live = [o for o in subset if o.sessions]
        plain = [o for o in subset if not o.sessions and o.flags.get("tx_listed_provider")]
        capped = [o for o in subset if not o.sessions and not o.flags.get("tx_listed_provider")]
        days = [sorted({s.end.date() for s in o.sessions if s.start.date() >= AS_OF and s.end.date() <= DEADLINE})
                for o in live]
        if any(not d for d in days):
            continue
        for pick in itertools.product(*days):
            fixed = [o.completed(d) for o, d in zip(live, pick, strict=True)]
            for order in itertools.permutations(capped):
                seq = plain + list(order)
                new = fixed + [o.completed(AS_OF + timedelta(days=n)) for n, o in enumerate(seq)]
                if evaluate(lic, [*existing, *new], state.pack, as_of=AS_OF).compliant:
                    return cost, hours
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=10_000, help="catalog size")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--reduced", type=int, default=12, help="catalog size for the brute-force check")
    args = parser.parse_args(argv)

    data = catalog_data(args.n, args.seed)
    t0, c0 = time.perf_counter(), time.process_time()
    catalog = _CATALOG.validate_python(data)
    floor, floor_cpu = time.perf_counter() - t0, time.process_time() - c0

    pack = PackRegistry().get("tx-lpc")
    lic, done = clinician()
    report = evaluate(lic, done, pack, as_of=AS_OF)
    states = [LicenseState(lic, pack, report)]
    open_reqs = [r.id for r in report.requirements if not r.satisfied]

    t0, c0 = time.perf_counter(), time.process_time()
    plan = make_plan(states, catalog, as_of=AS_OF, completions=done)
    took, cpu = time.perf_counter() - t0, time.process_time() - c0

    request = PlanRequest(tuple(states), tuple(catalog), tuple(done), PlanOptions(as_of=AS_OF))
    pool = build_pool(request, [LicenseView(s, request.completions) for s in request.licenses])
    kept = prune(pool, scale_for(pool))

    print(f"catalog: {len(catalog)} offerings; {report.board} open requirements: {', '.join(open_reqs)}; "
          f"total short {report.total.short} h")
    print(f"floor (validate the catalog JSON): {floor:.3f} s wall, {floor_cpu:.3f} s cpu")
    print(f"plan: {took:.3f} s wall, {cpu:.3f} s cpu ({cpu / floor_cpu:.2f}x floor); feasible={plan.feasible} "
          f"optimal={plan.optimal}; {len(plan.courses)} courses, {plan.total_cost} USD, {plan.total_hours} h")
    print(f"candidates: {len(pool.candidates)} usable, {len(kept)} after pruning dominated offerings")

    rnd = random.Random(args.seed)
    chosen = {c.id for c in plan.courses}
    others = [c.offering for c in kept if c.id not in chosen]
    extra = rnd.sample(others, min(len(others), max(0, args.reduced - len(chosen))))
    reduced = [o for o in catalog if o.id in chosen] + extra
    t0 = time.perf_counter()
    small = make_plan(states, reduced, as_of=AS_OF, completions=done)
    small_took = time.perf_counter() - t0
    t0 = time.perf_counter()
    expected = brute_force(states, reduced, done)
    brute_took = time.perf_counter() - t0
    got = (small.total_cost, small.total_hours) if small.feasible else None
    verdict = "OK" if got == expected else "MISMATCH"
    print(f"brute force on {len(reduced)} offerings: {brute_took:.3f} s, optimum {expected}; planner "
          f"{small_took:.3f} s, {got}: {verdict}")
    return 0 if verdict == "OK" else 1


if __name__ == "__main__":
    sys.exit(main())
