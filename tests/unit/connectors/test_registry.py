"""Plugin discovery and config loading."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from cebridge.errors import InputError, PluginLoadError, PluginNotFound
from connectors import registry
from connectors.canvas import CanvasConfig, CanvasConnector
from connectors.csv import CsvConfig


@pytest.fixture
def fresh_registry() -> Iterator[None]:
    registry.refresh()
    yield
    registry.refresh()


def test_first_party_connectors_are_registered(fresh_registry: None) -> None:
    found = registry.available()
    assert {"canvas", "moodle", "xapi", "csv"} <= set(found)
    assert found["canvas"] is CanvasConnector
    infos = {i.name: i for i in registry.describe()}
    assert infos["canvas"].first_party and infos["canvas"].ok and infos["canvas"].package == "cebridge"


def test_unknown_name_lists_what_is_installed(fresh_registry: None) -> None:
    with pytest.raises(PluginNotFound) as err:
        registry.get("blackboard")
    assert "blackboard" in str(err.value) and "canvas" in str(err.value) and "moodle" in str(err.value)
    assert err.value.exit_code == 2


def test_a_broken_plugin_is_logged_and_skipped(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, fresh_registry: None
) -> None:
    group = registry.ENTRY_POINT_GROUP
    fake = [
        EntryPoint(name="canvas", value="connectors.canvas:CanvasConnector", group=group),
        EntryPoint(name="ghost", value="no_such_module_xyz:Connector", group=group),
        EntryPoint(name="notaconnector", value="connectors.canvas:CanvasConfig", group=group),
    ]
    monkeypatch.setattr(registry, "_entry_points", lambda: fake)
    with caplog.at_level(logging.WARNING, logger="connectors.registry"):
        found = registry.available()
    assert set(found) == {"canvas"}
    assert "ghost" in caplog.text and "notaconnector" in caplog.text
    assert set(registry.broken()) == {"ghost", "notaconnector"}
    with pytest.raises(PluginLoadError, match="cannot import no_such_module_xyz"):
        registry.get("ghost")
    assert {i.name: i.ok for i in registry.describe()} == {"canvas": True, "ghost": False, "notaconnector": False}


def test_load_json_config_with_env_and_file_secret_references(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_registry: None
) -> None:
    monkeypatch.setenv("CANVAS_TOKEN_T", "from-env-token")
    path = tmp_path / "canvas.json"
    path.write_text(json.dumps({"base_url": "https://canvas.example.edu/", "token": {"env": "CANVAS_TOKEN_T"}}))
    config = registry.load_config("canvas", path)
    assert isinstance(config, CanvasConfig)
    assert config.token.get_secret_value() == "from-env-token"
    assert config.base_url == "https://canvas.example.edu"
    assert "from-env-token" not in repr(config) and "from-env-token" not in str(config.model_dump())

    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "token").write_text("from-file-token\n")
    path.write_text(json.dumps({"base_url": "https://c.example", "token": {"file": "secrets/token"}}))
    assert registry.load_config("canvas", path).token.get_secret_value() == "from-file-token"  # type: ignore[attr-defined]


def test_load_yaml_config_with_nested_models(tmp_path: Path, fresh_registry: None) -> None:
    path = tmp_path / "csv.yaml"
    path.write_text("path: completions.csv\ncolumns:\n  course_id: Course\n  completed_at: Date\n  email: Email\n")
    config = registry.load_config("csv", path)
    assert isinstance(config, CsvConfig) and config.columns.course_id == "Course"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"base_url": "https://c.example", "token": "t", "tokne": "x"}', "field 'tokne': unknown field"),
        ('{"base_url": "https://c.example"}', "field 'token': Field required"),
        ('{"base_url": "ftp://c.example", "token": "t"}', "field 'base_url'"),
        ('{"base_url": "https://c.example", "token": {"env": "NOT_SET_ANYWHERE"}}', "NOT_SET_ANYWHERE"),
        ('{"base_url": "https://c.example", "token": {"file": "missing.txt"}}', "cannot be read"),
        ('{"base_url": "https://c.example", "token": {"vault": "x"}}', '{"env": "VAR"}'),
        ('{"base_url": "https://c.example", "token": "t", "per_page": 500}', "field 'per_page'"),
        ('{"base_url": "https://c.example", "token": "t", "user_ids": ["1"], "course_ids": ["2"]}', "not both"),
        ("[1, 2]", "expected a mapping"),
        ('{"base_url": ', "not valid JSON"),
    ],
)
def test_bad_configs_name_the_file_and_the_field(
    tmp_path: Path, content: str, message: str, fresh_registry: None
) -> None:
    path = tmp_path / "canvas.json"
    path.write_text(content)
    with pytest.raises(InputError) as err:
        registry.load_config("canvas", path)
    assert message in str(err.value)
    assert "canvas.json" in str(err.value)


def test_a_secret_never_appears_in_a_validation_error(tmp_path: Path, fresh_registry: None) -> None:
    path = tmp_path / "canvas.json"
    path.write_text(
        json.dumps({"base_url": "not a url", "token": "SuperSecretValue123", "per_page": "SuperSecretValue123"})
    )
    with pytest.raises(InputError) as err:
        registry.load_config("canvas", path)
    assert "SuperSecretValue123" not in str(err.value)


def test_missing_config_file(tmp_path: Path, fresh_registry: None) -> None:
    with pytest.raises(InputError, match="cannot read"):
        registry.load_config("canvas", tmp_path / "nope.yaml")
