"""The sync benchmark runs at a tiny size and prints its figures in the documented shape."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_bench_sync_prints_rate_ratio_and_rss() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_sync.py"), "--n", "300", "--backends", "sqlite"],
        capture_output=True, text=True, timeout=300, check=True, cwd=ROOT,
    ).stdout
    assert re.search(r"sqlite: n=300 pipeline [\d.]+s \([\d,]+ records/s.*ratio [\d.]+x \| peak RSS \d+ MB", out), out
