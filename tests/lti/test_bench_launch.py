"""Smoke test of the launch benchmark: it runs both tools and prints rates and their ratio."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest


def test_bench_launch_prints_both_rates_and_the_ratio(capsys: pytest.CaptureFixture[str]) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    try:
        import bench_launch
    finally:
        sys.path.pop(0)
    result = bench_launch.main(["--n", "4", "--warmup", "1"])
    out = capsys.readouterr().out
    assert re.search(r"launches: 4 per tool .*load average [\d.]+ [\d.]+ [\d.]+", out)
    assert "SQLite journal_mode=wal, synchronous=NORMAL" in out  # the store's production settings
    assert re.search(r"CPU time ratio [\d.]+x", out)
    assert re.search(r"pylti1p3 floor:\s+[\d.]+ launches/s", out)
    assert re.search(r"cebridge tool\s*:\s+[\d.]+ launches/s", out)
    assert re.search(r"ratio \(cebridge time / floor time\): [\d.]+x", out)
    assert result["tool"] > 0 and result["floor"] > 0
    assert result["ratio"] == pytest.approx(result["floor"] / result["tool"])
    assert result["cpu_ratio"] > 0 and result["median_ratio"] > 0
