"""``cebridge plan`` on the example catalogs: JSON and table output, the .ics file, and bad input (exit 2)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from cebridge.cli import cli

ROOT = Path(__file__).resolve().parents[3]
CATALOGS = ROOT / "examples" / "catalogs"
CLINICIAN = CATALOGS / "clinician"
TX = str(CLINICIAN / "tx-lpc-license.json")
CA = str(CLINICIAN / "ca-lpcc-license.json")
DONE = str(CLINICIAN / "completions.json")


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["plan", *args], catch_exceptions=False)


def plan_json(*args: str) -> dict[str, Any]:
    result = run(*args, "--format", "json")
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_texas_plan_as_json() -> None:
    data = plan_json("--license", TX, "--completions", DONE, "--catalog", str(CATALOGS / "texas-counselors.json"),
                     "--as-of", "2026-01-05")
    assert data["feasible"] is True and data["unmet"] == []
    catalog = {o["id"]: o for o in json.loads((CATALOGS / "texas-counselors.json").read_text())}
    assert set(data["courses"]) <= set(catalog)
    assert data["total_cost"] == f"{sum(float(catalog[c]['price']['amount']) for c in data['courses']):.2f}"
    closes = {c["requirement"] for c in data["closes"]}
    assert {"ethics", "cultural_diversity", "supervision", "jurisprudence_exam", "human_trafficking", "total"} == closes
    assert [s["course"] for s in data["schedule"]] == data["courses"]
    assert all(s["week_of"] >= "2026-01-05" and s["completes_on"] <= "2026-05-31" for s in data["schedule"])
    assert data["licenses"][0]["compliant_after"] is True


def test_two_licenses_prefix_requirements_and_share_courses() -> None:
    data = plan_json("--license", TX, "--license", CA, "--completions", DONE,
                     "--catalog", str(CATALOGS / "multistate.json"), "--as-of", "2026-01-05")
    assert data["feasible"] is True
    names = {c["requirement"] for c in data["closes"]}
    assert "tx-lpc:ethics" in names and "ca-lpcc:law_ethics" in names
    shared = [s for s in data["schedule"] if s["counts_for"] == ["tx-lpc", "ca-lpcc"]]
    assert shared, "at least one course counts for both licenses"


def test_limits_goals_table_and_ics(tmp_path: Path) -> None:
    ics = tmp_path / "plan.ics"
    result = run("--license", TX, "--completions", DONE, "--catalog", str(CATALOGS / "texas-counselors.json"),
                 "--as-of", "2026-01-05", "--budget", "150", "--hours-per-week", "3", "--goal", "trauma",
                 "--goal-budget", "40", "--ics", str(ics))
    assert result.exit_code == 0, result.output
    assert "NO PLAN CLOSES EVERY GAP" in result.stdout
    assert "supervision: short 6 h [weekly_hours_too_low]" in result.stdout
    raw = ics.read_bytes()
    assert raw.startswith(b"BEGIN:VCALENDAR\r\n") and raw.endswith(b"END:VCALENDAR\r\n")
    assert raw.count(b"BEGIN:VEVENT") >= 2


def test_empty_completions_file(tmp_path: Path) -> None:
    empty = tmp_path / "none.json"
    empty.write_text("[]")
    data = plan_json("--license", CA, "--completions", str(empty), "--catalog",
                     str(CATALOGS / "california-therapists.json"), "--as-of", "2026-01-05")
    assert data["feasible"] is True
    assert {"law_ethics", "telehealth", "total"} <= {c["requirement"] for c in data["closes"]}


def test_a_new_completion_shrinks_the_plan(tmp_path: Path) -> None:
    args = ["--license", TX, "--catalog", str(CATALOGS / "texas-counselors.json"), "--as-of", "2026-01-05"]
    before = plan_json(*args, "--completions", DONE)
    done = json.loads(Path(DONE).read_text())
    done.append({"id": "done-4", "title": "Clinical Supervision Refresher", "provider": "Lone Star CE",
                 "approvals": ["NBCC"], "format": "live_interactive_webinar", "activity": "course",
                 "credits": {"amount": 6, "unit": "hours"}, "categories": ["supervision"],
                 "completed_on": "2026-01-03", "flags": {"tx_listed_provider": True}})
    more = tmp_path / "more.json"
    more.write_text(json.dumps(done))
    after = plan_json(*args, "--completions", str(more))
    assert "ls-supervision-6" in before["courses"] and "ls-supervision-6" not in after["courses"]
    assert float(after["total_cost"]) < float(before["total_cost"])


@pytest.mark.parametrize(
    ("catalog", "extra", "message"),
    [
        ("[{", [], "is not valid JSON"),
        ('{"id": "x"}', [], "a catalog is a JSON list of offerings"),
        ('[{"id": "x", "credits": {"amount": 1, "unit": "hours"}, "categories": ["astrology"]}]', [],
         "unknown category 'astrology'"),
        ('[{"id": "x"}]', [], "catalog file 'c.json': at 0.credits: Field required"),
        ("[]", ["--budget", "-5"], "--budget must not be negative"),
        ("[]", ["--budget", "lots"], "--budget 'lots' is not a number"),
        ("[]", ["--hours-per-week", "0"], "--hours-per-week must be more than 0"),
        ("[]", ["--as-of", "2026-13-01"], "--as-of '2026-13-01' is not a date"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, catalog: str, extra: list[str], message: str) -> None:
    path = tmp_path / "c.json"
    path.write_text(catalog)
    result = run("--license", TX, "--completions", DONE, "--catalog", str(path), "--as-of", "2026-01-05", *extra)
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr


def test_missing_license_file_is_exit_2(tmp_path: Path) -> None:
    result = run("--license", str(tmp_path / "nope.json"), "--completions", DONE, "--catalog",
                 str(CATALOGS / "texas-counselors.json"))
    assert result.exit_code == 2 and "cannot read" in result.stderr


def test_native_prints_during_planning_go_to_stderr(capfd: pytest.CaptureFixture[str]) -> None:
    from cebridge.cli.plan import native_output_to_stderr

    with native_output_to_stderr():
        os.write(1, b"HighsMipSolverData chatter\n")
    os.write(1, b"the plan\n")
    out, err = capfd.readouterr()
    assert out == "the plan\n" and "chatter" in err
