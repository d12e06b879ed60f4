"""`cebridge evaluate` and `cebridge boards`: the DESIGN.md contract, run through the real console script."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cebridge.cli import cli

LICENSE = {
    "board": "tx-lpc",
    "license_number": "LPC 70000",
    "holder": "Jordan Lee",
    "cycle": {"start": "2023-06-01", "end": "2025-05-31"},
    "issued_on": "2019-06-01",
    "birth_date": None,
    "renewal_number": 3,
    "attributes": {"supervisor": False, "provides_telehealth": True},
    "history": {"one_time_completed": ["suicide_prevention"], "prior_cycle_hours": 38},
}
ETHICS = {
    "id": "t2",
    "title": "Ethics for Texas Counselors",
    "provider": "Lone Star CE",
    "approvals": ["NBCC"],
    "format": "live_interactive_webinar",
    "activity": "course",
    "credits": {"amount": 3, "unit": "hours"},
    "categories": ["ethics"],
    "completed_on": "2023-09-12",
    "flags": {"tx_listed_provider": True},
}
LATE = {
    **ETHICS,
    "id": "t4",
    "title": "Late course",
    "credits": {"amount": 2, "unit": "hours"},
    "categories": [],
    "completed_on": "2025-06-05",
}


def write(tmp_path: Path, name: str, data: Any) -> str:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return str(path)


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args))


def test_json_output_matches_the_contract(tmp_path: Path) -> None:
    lic = write(tmp_path, "l.json", LICENSE)
    comps = write(tmp_path, "c.json", [ETHICS, LATE])
    res = run("evaluate", "--license", lic, "--completions", comps, "--format", "json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["board"] == "tx-lpc"
    assert out["cycle"] == {"start": "2023-06-01", "end": "2025-05-31"}
    assert out["compliant"] is False
    assert out["total"] == {"required": 24, "counted": 3, "short": 21}
    ethics = next(r for r in out["requirements"] if r["id"] == "ethics")
    assert (ethics["required"], ethics["counted"], ethics["short"], ethics["satisfied"]) == (6, 3, 3, False)
    late = next(c for c in out["completions"] if c["id"] == "t4")
    assert late["status"] == "rejected" and late["hours_counted"] == 0 and late["hours_rejected"] == 2
    assert late["counts_toward"] == []
    assert late["reasons"][0]["code"] == "outside_cycle"
    assert late["reasons"][0]["message"] == "completed 2025-06-05, after the cycle ended 2025-05-31"


def test_table_output_has_a_bar_per_requirement(tmp_path: Path) -> None:
    lic = write(tmp_path, "l.json", LICENSE)
    comps = write(tmp_path, "c.json", [ETHICS])
    res = run("evaluate", "--license", lic, "--completions", comps)
    assert res.exit_code == 0
    assert "NOT YET COMPLIANT" in res.output
    assert "[##########----------]" in res.output  # ethics: 3 of 6


def test_fail_if_short_exits_1(tmp_path: Path) -> None:
    lic = write(tmp_path, "l.json", LICENSE)
    comps = write(tmp_path, "c.json", [ETHICS])
    assert run("evaluate", "--license", lic, "--completions", comps, "--fail-if-short").exit_code == 1


@pytest.mark.parametrize(
    ("license_data", "completions", "message"),
    [
        ({**LICENSE, "board": "zz-none"}, [ETHICS], "unknown board 'zz-none'"),
        (LICENSE, "[{not json", "is not valid JSON"),
        (LICENSE, [{**ETHICS, "credits": {"amount": 3, "unit": "fortnights"}}], "at 0.credits.unit"),
        (LICENSE, [{**ETHICS, "categories": ["astrology"]}], "unknown category 'astrology'"),
        ({**LICENSE, "attributes": {}}, [ETHICS], "attributes.supervisor"),
        ({**LICENSE, "cycle": {"start": "2025-01-01", "end": "2024-01-01"}}, [], "before it starts"),
        ({k: v for k, v in LICENSE.items() if k != "cycle"} | {"issued_on": None}, [], "issued_on"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, license_data: Any, completions: Any, message: str) -> None:
    lic = write(tmp_path, "l.json", license_data)
    comps = write(tmp_path, "c.json", completions)
    res = subprocess.run(
        [sys.executable, "-m", "cebridge", "evaluate", "--license", lic, "--completions", comps, "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 2, res.stderr
    assert res.stdout == ""
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert message in lines[0]


def test_missing_file_is_exit_2(tmp_path: Path) -> None:
    res = run("evaluate", "--license", str(tmp_path / "nope.json"), "--completions", str(tmp_path / "x.json"))
    assert res.exit_code == 2


def test_boards_list_and_show_include_sources() -> None:
    res = run("boards", "list", "--format", "json")
    assert res.exit_code == 0
    ids = [b["id"] for b in json.loads(res.output)]
    assert "tx-lpc" in ids and ids == sorted(ids)
    shown = json.loads(run("boards", "show", "tx-lpc", "--format", "json").output)
    sources = shown["versions"][-1]["sources"]
    assert all(s["url"].startswith("http") and s["says"] for s in sources)
    text = run("boards", "show", "TX-LPC").output
    assert "sources:" in text and "[weak source]" in text
    missing = run("boards", "show", "zz-none")
    assert missing.exit_code == 2


def test_every_command_of_every_module_is_reachable() -> None:
    import importlib

    from cebridge.cli import COMMAND_MODULES, MORE_COMMANDS

    for name in COMMAND_MODULES:
        module = importlib.import_module(f"cebridge.cli.{name}")
        assert module.commands[0].name == name, f"the first command of cebridge.cli.{name} is named {name}"
        for command in module.commands[1:]:
            assert MORE_COMMANDS.get(command.name) == name, f"list {command.name!r} in MORE_COMMANDS"
    assert run("no-such-command").exit_code == 2
