"""A third-party connector installs with nothing but an entry point, shows up in the CLI and passes the kit.

The example package (examples/third_party_connector) is pip-installed into a temporary target directory
(not into the venv), which is then put on the path of a fresh ``cebridge`` process and of this one.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from connectors import registry
from connectors.testing import assert_contract

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "third_party_connector"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("third_party")
    source = work / "src"
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    target = work / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(source)],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return target


@pytest.mark.slow
def test_cebridge_connectors_list_shows_the_installed_plugin(installed: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(installed)}
    cebridge = Path(sys.executable).with_name("cebridge")
    out = subprocess.run(
        [str(cebridge), "connectors", "list", "--format", "json"], env=env, capture_output=True, text=True, check=True
    )
    rows = {r["name"]: r for r in json.loads(out.stdout)}
    plugin = rows["example_jsonl"]
    assert plugin["loads"] and not plugin["first_party"] and plugin["package"] == "cebridge-example-connector"
    assert plugin["title"] == "Example: JSON Lines file"
    assert {"canvas", "moodle", "xapi", "csv"} <= set(rows)
    table = subprocess.run([str(cebridge), "connectors", "list"], env=env, capture_output=True, text=True, check=True)
    line = next(x for x in table.stdout.splitlines() if x.startswith("example_jsonl"))
    assert "third-party" in line and "ok" in line


@pytest.mark.slow
def test_the_plugin_passes_the_contract_kit(installed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(installed))
    registry.refresh()
    try:
        cls = registry.get("example_jsonl")
        data = tmp_path / "completions.jsonl"
        lines = [
            json.dumps(
                {
                    "id": f"c-{i}",
                    "email": f"u{i}@example.org",
                    "course": f"ETH-{i % 3}",
                    "title": "Ethics",
                    "status": "completed",
                    "completed_at": "2024-05-01T15:00:00Z",
                    "hours": "3",
                }
            )
            for i in range(12)
        ]
        data.write_text("\n".join([*lines, "{not json"]) + "\n")
        config = registry.parse_config(cls.config_model, {"path": str(data), "batch_size": 5})
        bad = registry.parse_config(cls.config_model, {"path": str(tmp_path / "missing.jsonl")})
        report = assert_contract(lambda: cls(config), bad_credentials=lambda: cls(bad))
        assert report.records == 12
        problems = [p for b in cls(config).read({}) for p in b.problems]
        assert [p.line for p in problems] == [13]
    finally:
        registry.refresh()
