"""Evaluate N synthetic licenses x 40 completions and compare with validating the same inputs alone.

Prints licenses/s for the floor (pydantic validation of the license and its completions) and for the full
path (validation + evaluation), their ratio (target: within 3x), and the peak RSS. Seeded, so every run
evaluates the same inputs.

    python benchmarks/bench_evaluate.py            # 100,000 licenses
    python benchmarks/bench_evaluate.py --n 2000   # a quick look
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import time
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from pydantic import TypeAdapter

from cebridge.domain import Completion, License
from cebridge.domain.engine import evaluate
from cebridge.rulepacks import PackRegistry

COMPLETIONS = TypeAdapter(list[Completion])
BOARDS = ["tx-lpc", "tx-lcsw", "ca-lmft", "fl-lmhc", "ny-lcsw", "oh-lpcc", "il-lcsw", "pa-lcsw"]
CATEGORIES = ["ethics", "cultural_diversity", "clinical", "general", "supervision", "law_ethics", "suicide_prevention"]
APPROVALS = [["APA"], ["NBCC"], ["ASWB-ACE"], ["NBCC", "APA"], ["NAADAC"]]
FORMATS = ["live_in_person", "live_interactive_webinar", "self_study"]


def inputs(n: int, seed: int, packs: PackRegistry) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """``n`` (license, completions) pairs as plain JSON-like data, the way they arrive from a file or API."""
    rnd = random.Random(seed)
    boards = [b for b in BOARDS if b in packs.ids()] or packs.ids()
    for i in range(n):
        board = rnd.choice(boards)
        end = date(2025, rnd.randint(1, 12), 1) - timedelta(days=1)
        start = date(end.year - 2, end.month, 1) if end.month != 12 else date(end.year - 1, 1, 1)
        lic = {
            "board": board,
            "license_number": f"L{i:07d}",
            "cycle": {"start": start.isoformat(), "end": end.isoformat()},
            "issued_on": "2015-03-01",
            "birth_date": "1980-05-17",
            "renewal_number": rnd.randint(2, 9),
            "attributes": {
                "supervisor": rnd.random() < 0.3,
                "provides_telehealth": rnd.random() < 0.5,
                "treats_couples_or_families": rnd.random() < 0.3,
                "serves_adults": True,
                "degree_level": "masters",
            },
            "history": {"one_time_completed": [], "prior_cycle_hours": rnd.randint(20, 50)},
        }
        span = (end - start).days
        comps = [
            {
                "id": f"c{j}",
                "title": f"Course {rnd.randint(0, 500)}",
                "provider": rnd.choice(["Alpha CE", "Beta Learning", "Gamma Institute"]),
                "approvals": rnd.choice(APPROVALS),
                "format": rnd.choice(FORMATS),
                "activity": "course",
                "credits": {"amount": rnd.choice(["1", "1.5", "2", "3", "6"]), "unit": "hours"},
                "categories": rnd.sample(CATEGORIES, rnd.randint(0, 2)),
                "completed_on": (start + timedelta(days=rnd.randint(-20, span + 20))).isoformat(),
                "flags": {"tx_listed_provider": rnd.random() < 0.5},
            }
            for j in range(40)
        ]
        yield lic, comps


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="licenses (default 100,000)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeats", type=int, default=3, help="time each chunk this often and keep the fastest")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    packs = PackRegistry()
    by_id = {p: packs.get(p) for p in packs.ids()}
    as_of = date(2025, 6, 1)

    # Floor and full path alternate in small chunks over the same inputs, timed in this process's CPU time, and
    # each chunk is timed --repeats times keeping the fastest: other work on the machine slows neither side.
    floor = full = 0.0
    compliant = 0
    wall = time.perf_counter()
    chunk: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []
    stream = inputs(args.n, args.seed, packs)
    while True:
        chunk = [pair for _, pair in zip(range(50), stream, strict=False)]
        if not chunk:
            break
        floor_times, full_times = [], []
        for _ in range(args.repeats):
            t0 = time.process_time()
            for lic, comps in chunk:
                License.model_validate(lic)
                COMPLETIONS.validate_python(comps)
            t1 = time.process_time()
            for lic, comps in chunk:
                license = License.model_validate(lic)
                evaluate(license, COMPLETIONS.validate_python(comps), by_id[license.board], as_of=as_of)
            t2 = time.process_time()
            floor_times.append(t1 - t0)
            full_times.append(t2 - t1)
        compliant += sum(
            evaluate(
                License.model_validate(lic), COMPLETIONS.validate_python(comps), by_id[lic["board"]], as_of=as_of
            ).compliant
            for lic, comps in chunk[:1]
        )
        floor += min(floor_times)
        full += min(full_times)

    wall = time.perf_counter() - wall
    figures = {
        "licenses": args.n,
        "completions_per_license": 40,
        "floor_licenses_per_s": round(args.n / floor, 1),
        "evaluate_licenses_per_s": round(args.n / full, 1),
        "ratio_to_floor": round(full / floor, 2),
        "target_ratio": 3.0,
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "wall_seconds": round(wall, 1),
        "compliant_share_sampled": round(compliant / max(1, -(-args.n // 50)), 3),
    }
    if args.json:
        print(json.dumps(figures))
    else:
        for key, value in figures.items():
            print(f"{key:>26}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
