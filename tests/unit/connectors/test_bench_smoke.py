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
            "--repeat",
            "1",
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
    result = json.loads(run("--json"))
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


def test_text_output_shape() -> None:
    lines = run().splitlines()
    assert lines[0].startswith("records:   300 in 15 requests")
    assert "records/s" in lines[1] and lines[1].startswith("connector:")
    assert "records/s" in lines[2] and lines[2].startswith("floor:")
    assert lines[3].startswith("ratio:") and "1.5x target" in lines[3]
    assert lines[4].startswith("cpu ratio:") and "us of CPU per record" in lines[4]
    assert "(CPU " in lines[1] and "(CPU " in lines[2]
    assert lines[5].startswith("load:") and "load average" in lines[5]
