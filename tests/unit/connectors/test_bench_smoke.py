"""The connector benchmark runs at a tiny size and prints its figures in the documented shape."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def run(*args: str) -> str:
    out = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "bench_connectors.py"),
            "--n",
            "300",
            "--students",
            "100",
            *args,
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        cwd=ROOT,
    )
    return out.stdout


def test_json_output_shape() -> None:
    result = json.loads(run("--json", "--repeat", "3", "--every", "4"))
    assert result["records"] == 300
    assert result["requests"] == 3 * (2 + 3 * 1)  # per course: course, blueprint, and one page each of three lists
    assert result["connector_records_per_second"] > 0 and result["floor_records_per_second"] > 0
    assert isinstance(result["ratio"], float) and result["ratio"] > 0
    assert result["connector_cpu_seconds"] > 0 and result["floor_cpu_seconds"] > 0
    cpu_ratio = result["connector_cpu_seconds"] / result["floor_cpu_seconds"]
    assert abs(result["cpu_ratio"] - cpu_ratio) <= 0.1 * cpu_ratio  # the same figure, up to rounding
    assert isinstance(result["overhead_cpu_us_per_record"], float)
    assert result["target_ratio"] == 1.5
    assert result["load_average_before"] >= 0 and result["load_average_after"] >= 0
    assert result["interleave_every"] == 4
    # every run is listed, and the reported one is the run with the median ratio
    ratios = sorted(r["ratio"] for r in result["runs"])
    assert len(ratios) == 3 and result["ratio"] == ratios[1]
    assert all(r["floor_seconds"] > 0 and r["connector_cpu_seconds"] > 0 for r in result["runs"])


def test_text_output_shape() -> None:
    lines = run("--repeat", "1").splitlines()
    assert lines[0].startswith("records:   300 in 15 requests") and "1 runs" in lines[0]
    assert lines[1].startswith("run 1:") and "ratio" in lines[1]
    summary = {line.split(":", 1)[0]: line for line in lines[2:]}
    assert "records/s" in summary["connector"] and "(CPU " in summary["connector"]
    assert "records/s" in summary["floor"] and "(CPU " in summary["floor"]
    assert "1.5x target" in summary["ratio"]
    assert "us of CPU per record" in summary["cpu ratio"]
    assert "load average" in summary["load"]
