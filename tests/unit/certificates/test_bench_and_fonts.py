"""The certificate benchmark runs at a tiny size and prints its figures; the reduced DejaVu cut is chosen right."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from cebridge.certificates import fonts
from cebridge.certificates.pdf import DEJAVU_DIR

ROOT = Path(__file__).resolve().parents[3]
BENCH = ROOT / "benchmarks" / "bench_certificates.py"


def test_bench_prints_rate_floor_and_ratio() -> None:
    out = subprocess.run(
        [sys.executable, str(BENCH), "--n", "4"], capture_output=True, text=True, timeout=300, check=True, cwd=ROOT
    ).stdout
    assert re.search(r"certificates \(PDF \+ signed credential\): +[\d.]+/s", out), out
    assert re.search(r"floor \(RS256 signing alone\): +[\d.]+/s", out), out
    assert re.search(r"ratio full / floor: +[\d.]+x", out), out


def test_bench_json_shape() -> None:
    out = subprocess.run(
        [sys.executable, str(BENCH), "--n", "3", "--json", "--unicode-share", "1"],
        capture_output=True, text=True, timeout=300, check=True, cwd=ROOT,
    ).stdout  # fmt: skip
    data = json.loads(out)
    assert data["n"] == 3 and data["certificates_per_s"] > 0 and data["signing_per_s"] > data["certificates_per_s"]
    assert data["ratio"] > 1


def test_bench_refuses_bad_sizes() -> None:
    done = subprocess.run([sys.executable, str(BENCH), "--n", "0"], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 2 and "--n" in done.stderr


@pytest.mark.skipif(not (DEJAVU_DIR / "DejaVuSans.ttf").is_file(), reason="fonts-dejavu-core is not installed")
def test_reduced_cut_covers_latin_greek_cyrillic_and_falls_back_to_the_full_font() -> None:
    reduced = fonts.font_file(DEJAVU_DIR, "", "Nguyễn Thị Ἀλέξανδρος Дмитрий Łukasz")
    assert reduced is not None and reduced != DEJAVU_DIR / "DejaVuSans.ttf"
    assert reduced.stat().st_size < (DEJAVU_DIR / "DejaVuSans.ttf").stat().st_size / 2
    assert fonts.font_file(DEJAVU_DIR, "B", "שלום") == DEJAVU_DIR / "DejaVuSans-Bold.ttf"
    assert fonts.font_file(Path("/nonexistent"), "", "x") is None
