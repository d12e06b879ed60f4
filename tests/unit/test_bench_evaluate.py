"""The evaluation benchmark runs and prints its figures (a tiny size: the figures themselves are not asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_evaluate_prints_ratio_and_memory() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_evaluate.py"), "--n", "60", "--repeats", "1", "--json"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    figures = json.loads(out.stdout)
    assert figures["licenses"] == 60
    assert figures["ratio_to_floor"] > 1  # the full path includes the floor's validation
    assert figures["peak_rss_mb"] > 0
