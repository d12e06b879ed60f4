"""``cebridge demo`` as a person runs it: a subprocess with its own CEBRIDGE_HOME, then again on the same home.

Checks the summary, the files it says it wrote (database, certificates with credentials that verify, keys and
token files that only their owner can read), that the second run adds nothing, and prints how long each run took
(nothing is asserted about time).
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

CEBRIDGE = str(Path(sys.executable).with_name("cebridge"))
TABLES = ("completions", "certificates", "clinicians", "licenses", "identities", "offerings", "outbox", "audit_log")


def run(args: list[str], home: Path, cwd: Path) -> tuple[subprocess.CompletedProcess[str], float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CEBRIDGE_")}
    env["CEBRIDGE_HOME"] = str(home)
    started = time.monotonic()
    out = subprocess.run([CEBRIDGE, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)
    return out, time.monotonic() - started


def counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}  # noqa: S608


def summary_rows(stdout: str) -> dict[str, list[str]]:
    rows = {}
    for line in stdout.splitlines():
        for name in ("Jordan Lee", "Maya Chen", "Andre Williams", "Sofia Martinez", "Priya Patel"):
            if line.startswith(name):
                rows[name] = line.split()
    return rows


@pytest.mark.slow
def test_cebridge_demo_twice_in_a_fresh_home(tmp_path: Path) -> None:
    home = tmp_path / "home"
    first, first_seconds = run(["demo"], home, tmp_path)
    print(f"\ncebridge demo, first run: {first_seconds:.1f} s wall clock")
    assert first.returncode == 0, first.stderr

    rows = summary_rows(first.stdout)
    assert set(rows) == {"Jordan Lee", "Maya Chen", "Andre Williams", "Sofia Martinez", "Priya Patel"}
    assert rows["Jordan Lee"][2:7] == ["tx-lpc", "LPC", "81234", "15", "/"] and rows["Jordan Lee"][-1] == "3"
    assert "yes" in rows["Sofia Martinez"] and rows["Sofia Martinez"][-1] == "7"
    for board in ("ca-lmft", "ny-lcsw", "fl-lmhc", "oh-lpcc"):
        assert board in first.stdout
    assert "telehealth 3" in first.stdout
    assert "empire-state-ce" in first.stderr and "[########################]" in first.stderr  # progress bars
    assert f"sqlite:///{(home / 'cebridge.db').resolve()}" in first.stdout
    assert str((home / "certificates").resolve()) in first.stdout and "demo finished in" in first.stdout

    pdfs = sorted((home / "certificates").glob("*.pdf"))
    assert len(pdfs) == 18 and all(p.read_bytes().startswith(b"%PDF") for p in pdfs)
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    private = list((home / "keys").glob("*.key.pem")) + list((home / "demo" / "secrets").iterdir())
    assert private and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in private)
    before = counts(home / "cebridge.db")
    assert before["completions"] == 24 and before["certificates"] == 18 and before["clinicians"] == 5

    verified, _ = run(["certificates", "verify", str(pdfs[0].with_suffix(".jwt")), "--format", "json"], home, tmp_path)
    assert verified.returncode == 0, verified.stderr
    assert json.loads(verified.stdout)["valid"] is True
    report, _ = run(["report", "LPC 81234", "--format", "json"], home, tmp_path)
    assert report.returncode == 0, report.stderr
    assert json.loads(report.stdout)["total"]["counted"] == 15

    second, second_seconds = run(["demo", "--format", "json"], home, tmp_path)
    print(f"cebridge demo, second run on the same home: {second_seconds:.1f} s wall clock")
    assert second.returncode == 0, second.stderr
    result = json.loads(second.stdout)
    assert [s["new"] for s in result["syncs"]] == [0, 0, 0]
    assert result["deliveries"]["delivered"] == 0
    assert [(line["clinician"], line["certificates"]) for line in result["licenses"]] == [
        (name, int(row[-1])) for name, row in rows.items()
    ]
    assert counts(home / "cebridge.db") == before
    assert len(list((home / "certificates").glob("*.pdf"))) == 18


def test_demo_help_names_serve() -> None:
    out = subprocess.run([CEBRIDGE, "demo", "--help"], capture_output=True, text=True, check=True)
    assert "--serve" in out.stdout and "--port" in out.stdout


@pytest.mark.slow
def test_the_demo_runs_from_a_built_package_without_the_source_tree(tmp_path: Path) -> None:
    """A non-editable install ships the demo's data: build and install the package into a directory of its own
    (no dependencies: the venv has them) and run the demo from there, away from the checkout."""
    target = tmp_path / "site"
    root = Path(__file__).resolve().parents[2]
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(target),
            str(root),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert (target / "cebridge" / "demo" / "data" / "providers.json").is_file()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CEBRIDGE_")}
    env |= {"CEBRIDGE_HOME": str(tmp_path / "home"), "PYTHONPATH": str(target)}
    code = "import cebridge.demo.data as d, sys; print(d.data_dir()); sys.argv = ['cebridge', 'demo']; "
    code += "from cebridge.cli import main; main()"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == str(target / "cebridge" / "demo" / "data")
    assert "Sofia Martinez" in out.stdout and len(list((tmp_path / "home" / "certificates").glob("*.pdf"))) == 18
