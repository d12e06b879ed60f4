"""The demo's data: the packaged copy and examples/demo/ are the same bytes, and the data is consistent (every
offering's approvals are in its provider's certificate profile, every course the sites serve is in a catalog,
every license validates against its board), and the example connector configs validate with secrets by reference.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from cebridge.certificates.model import ProviderProfile
from cebridge.demo import data
from cebridge.demo.run import bar
from cebridge.domain.completion import CreditOffering
from cebridge.domain.license import License
from cebridge.errors import InputError
from cebridge.rulepacks import PackRegistry
from cebridge.services import providers
from connectors import registry

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "demo"


def _files(base: Path) -> set[str]:
    return {str(p.relative_to(base)) for p in base.rglob("*") if p.is_file() and p.name != "README.md"}


def test_examples_demo_is_a_byte_for_byte_copy_of_the_packaged_data() -> None:
    packaged = data.data_dir()
    assert _files(packaged) == _files(EXAMPLES), "the same files in both places"
    assert len(_files(packaged)) >= 10
    for name in sorted(_files(packaged)):
        assert (packaged / name).read_bytes() == (EXAMPLES / name).read_bytes(), f"{name} differs"


def test_the_packaged_data_is_found_inside_the_package() -> None:
    assert data.data_dir().is_dir()
    assert data.data_dir().parent.name == "demo"
    assert (data.data_dir().parent / "__init__.py").is_file()


def _catalog(spec: data.ProviderSpec) -> list[tuple[CreditOffering, dict[str, object]]]:
    out = []
    for raw in data.read_json(spec.catalog):
        entry = dict(raw)
        keys = entry.pop("keys", {})
        out.append((CreditOffering.model_validate(entry), keys))
    return out


@pytest.mark.parametrize("spec", data.providers(), ids=lambda s: s.name)
def test_every_offering_claims_only_approvals_its_provider_profile_lists(spec: data.ProviderSpec) -> None:
    profile = ProviderProfile.model_validate(data.read_json(spec.profile))
    listed = {a.body for a in profile.approvals}
    for offering, _ in _catalog(spec):
        assert set(offering.approvals) <= listed, offering.id
        assert offering.provider == profile.name


@pytest.mark.parametrize("spec", data.providers(), ids=lambda s: s.name)
def test_every_course_a_provider_reports_is_in_its_catalog(spec: data.ProviderSpec) -> None:
    known: set[str] = set()
    for offering, keys in _catalog(spec):
        known.add(offering.id)
        known.update(str(v) for v in keys.values())
    if spec.site:
        site = data.read_json(spec.site)
        courses = {str(c["id"]) for c in site["courses"]}
        assert courses <= known
        rows = site.get("enrollments") or site.get("enrolments")
        assert {str(r["course_id"]) for r in rows} <= courses
    else:
        assert spec.export is not None
        with (data.data_dir() / spec.export).open(newline="", encoding="utf-8") as fh:
            assert {row["Course ID"] for row in csv.DictReader(fh)} <= known


def test_clinicians_are_five_boards_with_unique_keys() -> None:
    people = data.clinicians()
    registry_ = PackRegistry()
    boards = []
    for person in people:
        lic = License.model_validate(person.license)
        registry_.get(lic.board)  # an unknown board raises
        boards.append(lic.board)
        assert lic.holder == person.name and lic.license_number and lic.cycle is not None
    assert sorted(boards) == sorted(["tx-lpc", "ca-lmft", "ny-lcsw", "fl-lmhc", "oh-lpcc"])
    assert len({p.email for p in people}) == len({p.lms_user_id for p in people}) == len(people)


def test_config_templates_keep_secrets_as_file_references() -> None:
    for spec in data.providers():
        filled = data.fill(spec.config, {"server_url": "http://127.0.0.1:1", "secrets": "/s", "exports": "/e"})
        assert "{" not in json.dumps(filled).replace('{"', "").replace("{}", "")
        if "token" in filled:
            assert filled["token"] == {"file": f"/s/{spec.name}-{spec.server}-token"}


def test_fill_replaces_placeholders_at_every_depth() -> None:
    assert data.fill({"a": ["{x}/y", {"b": "{x}"}], "n": 3}, {"x": "X"}) == {"a": ["X/y", {"b": "X"}], "n": 3}


def test_bar_fills_in_proportion_and_never_overflows() -> None:
    assert bar(0, 10, width=10) == "[----------]"
    assert bar(5, 10, width=10) == "[#####-----]"
    assert bar(15, 10, width=10) == "[##########]"
    assert bar(3, 0, width=4) == "[----]"


# -- the example connector configs -------------------------------------------------------------------------

CONNECTOR_CONFIGS = [
    ("canvas", "canvas.json", "CANVAS_TOKEN"),
    ("moodle", "moodle.yaml", "MOODLE_TOKEN"),
    ("xapi", "xapi.json", "LRS_PASSWORD"),
    ("csv", "csv.yaml", None),
]


@pytest.mark.parametrize(("name", "file", "env"), CONNECTOR_CONFIGS)
def test_example_connector_configs_load_with_secrets_from_the_environment(
    name: str, file: str, env: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = ROOT / "examples" / "connectors" / file
    if env:
        monkeypatch.delenv(env, raising=False)
        with pytest.raises(InputError) as missing:
            registry.load_config(name, path)
        assert env in str(missing.value)
        monkeypatch.setenv(env, "s3cret-value")
    config = registry.load_config(name, path)
    assert type(config).__name__.lower().startswith(name)
    if env:
        assert "s3cret-value" not in repr(config)
    raw = json.loads(path.read_text()) if file.endswith(".json") else __import__("yaml").safe_load(path.read_text())
    stored = providers.validate_connector_config(name, raw, f"config file {file!r}", path.parent)
    assert stored == raw


def test_a_config_with_a_secret_in_clear_is_refused_when_stored() -> None:
    raw = json.loads((ROOT / "examples" / "connectors" / "canvas.json").read_text())
    raw["token"] = "a-real-token-in-clear"
    with pytest.raises(InputError) as refused:
        providers.validate_connector_config("canvas", raw, "config file 'canvas.json'", ROOT)
    assert "'token' is a secret" in str(refused.value)
    assert "a-real-token-in-clear" not in str(refused.value)
