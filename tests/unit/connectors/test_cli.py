"""``cebridge connectors list|check``: output and exit codes (0 ok, 1 check failed, 2 bad config)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from cebridge.cli import cli


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def csv_config(tmp_path: Path, csv_path: Path, **extra: object) -> Path:
    path = tmp_path / "csv.json"
    cfg = {"path": str(csv_path), "columns": {"course_id": "Course", "email": "Email", "completed_at": "Date"}, **extra}
    path.write_text(json.dumps(cfg))
    return path


def test_list_as_table_and_json() -> None:
    code, out, _ = run("connectors", "list")
    assert code == 0
    for name in ("canvas", "moodle", "xapi", "csv"):
        assert name in out
    assert "first-party" in out
    code, out, _ = run("connectors", "list", "--format", "json")
    rows = {r["name"]: r for r in json.loads(out)}
    assert code == 0 and rows["canvas"]["loads"] and rows["canvas"]["first_party"] and rows["xapi"]["title"]


def test_check_ok_exits_0(tmp_path: Path) -> None:
    data = tmp_path / "c.csv"
    data.write_text("Course,Email,Date\nETH-1,a@example.org,2024-05-01\n")
    code, out, _ = run("connectors", "check", "csv", "--config", str(csv_config(tmp_path, data)))
    assert code == 0 and out.startswith("ok: csv:")


def test_check_failed_exits_1_with_the_reason(tmp_path: Path) -> None:
    data = tmp_path / "c.csv"
    data.write_text("Course,Mail,Date\nETH-1,a@example.org,2024-05-01\n")
    code, out, _ = run("connectors", "check", "csv", "--config", str(csv_config(tmp_path, data)), "--format", "json")
    body = json.loads(out)
    assert code == 1 and body["ok"] is False and "'Email' (for email)" in body["message"]


def test_bad_config_exits_2_naming_file_and_field(tmp_path: Path) -> None:
    path = csv_config(tmp_path, tmp_path / "c.csv", delimeter=";")
    code, _, err = run("connectors", "check", "csv", "--config", str(path))
    assert code == 2 and "csv.json" in err and "delimeter" in err


def test_unknown_connector_exits_2() -> None:
    code, _, err = run("connectors", "check", "blackboard", "--config", "x.json")
    assert code == 2 and "blackboard" in err and "canvas" in err


def test_canvas_check_against_an_unreachable_host_fails_clearly(tmp_path: Path) -> None:
    path = tmp_path / "canvas.json"
    path.write_text(
        json.dumps(
            {
                "base_url": "http://127.0.0.1:9",
                "token": "tok-cli-secret-1",
                "max_retries": 0,
                "connect_timeout_seconds": 1,
            }
        )
    )
    code, out, _ = run("connectors", "check", "canvas", "--config", str(path))
    assert code == 1 and out.startswith("failed: canvas:") and "tok-cli-secret-1" not in out
