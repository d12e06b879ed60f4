"""The planner benchmark runs at a tiny size and prints its figures and a passing brute-force check."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.slow
def test_bench_plan_small() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_plan.py"), "--n", "300", "--reduced", "8"],
        capture_output=True, text=True, check=False, cwd=ROOT, timeout=300,
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("catalog: 300 offerings; tx-lpc open requirements: ethics, cultural_diversity, "
                               "supervision, jurisprudence_exam, human_trafficking")
    assert re.match(r"floor \(validate the catalog JSON\): [\d.]+ s wall, [\d.]+ s cpu$", lines[1])
    assert re.match(r"plan: [\d.]+ s wall, [\d.]+ s cpu \([\d.]+x floor\); feasible=True optimal=True", lines[2])
    assert re.match(r"candidates: \d+ usable, \d+ after pruning dominated offerings$", lines[3])
    assert lines[4].startswith("brute force on 8 offerings:") and lines[4].endswith(": OK")
