"""The sync benchmark runs at a tiny size, with either provider, and prints its figures in the documented shape."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "n"),
    [(["--n", "300"], 300), (["--n", "60", "--provider", "canvas", "--students", "20"], 60)],
    ids=["paged", "canvas"],
)
def test_bench_sync_prints_rate_ratio_and_rss(args: list[str], n: int) -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_sync.py"), *args, "--backends", "sqlite"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
        cwd=ROOT,
    ).stdout
    pattern = (
        rf"sqlite: n={n} pipeline [\d.]+s \([\d,]+ records/s, cpu [\d.]+s, \d+ licenses recomputed\) "
        r"\| floor [\d.]+s \([\d,]+ rows/s, (bulk|executemany); (bulk|executemany) [\d.]+s\) "
        r"\| ratio [\d.]+x \| peak RSS \d+ MB"
    )
    assert re.search(pattern, out), out
