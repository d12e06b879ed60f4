"""Every bundled rule pack: it loads, it is sourced and dated consistently, and versions switch where rules changed.

Also the loader's errors for a broken pack in a directory of one's own: they name the file and the path inside it.
"""

from __future__ import annotations

import itertools
import shutil
from datetime import date
from pathlib import Path

import pytest
import yaml

from cebridge.domain.rules import WEAK_STRENGTHS, RulePack
from cebridge.errors import RulePackError, UnknownBoard
from cebridge.rulepacks import PackRegistry, load_pack_file

PACK_IDS = [
    "ca-lmft", "ca-lcsw", "ca-lpcc", "tx-lpc", "tx-lcsw", "tx-lmft", "fl-lmhc", "fl-lcsw", "fl-lmft",
    "fl-psychologist", "ny-lcsw", "ny-lmhc", "oh-lpcc", "oh-lisw", "il-lcsw", "il-lcpc", "pa-lpc", "pa-lcsw",
]  # fmt: skip
PACKS_DIR = Path(__file__).resolve().parents[3] / "cebridge" / "packs"


@pytest.fixture(scope="module")
def registry() -> PackRegistry:
    return PackRegistry()


def test_all_eighteen_packs_load(registry: PackRegistry) -> None:
    assert sorted(PACK_IDS) == registry.ids()
    for pack_id in PACK_IDS:
        pack = registry.get(pack_id)
        assert pack.id == pack_id
        assert pack.state == pack_id[:2].upper()


@pytest.mark.parametrize("pack_id", PACK_IDS)
def test_each_file_is_named_for_its_pack(pack_id: str) -> None:
    assert load_pack_file(PACKS_DIR / f"{pack_id}.yaml").id == pack_id


@pytest.mark.parametrize("pack_id", PACK_IDS)
def test_every_rule_line_cites_sources_of_its_version(registry: PackRegistry, pack_id: str) -> None:
    for v in registry.get(pack_id).versions:
        ids = {s.id for s in v.sources}
        for line in v.cited():
            assert line.source, f"{pack_id} {v.version}: a {type(line).__name__} cites nothing"
            assert set(line.source) <= ids, f"{pack_id} {v.version}: {line.source} not in {sorted(ids)}"


@pytest.mark.parametrize("pack_id", PACK_IDS)
def test_every_version_rests_on_at_least_one_regulation_or_board_source(registry: PackRegistry, pack_id: str) -> None:
    for v in registry.get(pack_id).versions:
        strong = [s.id for s in v.sources if s.strength not in WEAK_STRENGTHS]
        assert strong, f"{pack_id} {v.version} has only provider pages and interpretations"
        # The total, the one number every report shows, must not rest on interpretation alone.
        assert not v.is_weak(v.total), f"{pack_id} {v.version}: the total cites only weak sources"


@pytest.mark.parametrize("pack_id", PACK_IDS)
def test_every_version_has_a_total_and_an_approver(registry: PackRegistry, pack_id: str) -> None:
    for v in registry.get(pack_id).versions:
        assert v.total.hours > 0
        assert v.approvers
        assert v.summary.strip()


@pytest.mark.parametrize("pack_id", PACK_IDS)
def test_versions_do_not_overlap_and_the_last_is_open(registry: PackRegistry, pack_id: str) -> None:
    ordered = sorted(registry.get(pack_id).versions, key=lambda v: v.effective_from)
    for before, after in itertools.pairwise(ordered):
        assert before.effective_to is not None
        assert before.effective_to < after.effective_from
        # No gap either: a cycle ending between two versions would have no rules.
        assert (after.effective_from - before.effective_to).days == 1, (before.version, after.version)
    assert ordered[-1].effective_to is None


def test_interpreted_approver_lists_are_reported_as_weak(registry: PackRegistry) -> None:
    """An approver list the sources did not give is an interpretation and the report must say so."""
    v = registry.get("tx-lpc").versions[-1]
    nbcc = next(a for a in v.approvers if a.body == "NBCC")
    assert v.is_weak(nbcc)
    ethics = next(r for r in v.requirements if r.id == "ethics")
    assert not v.is_weak(ethics)


def _version(pack_id: str, start: str, end: str) -> str:
    found = PackRegistry().get(pack_id).version_for(date.fromisoformat(start), date.fromisoformat(end))
    assert found is not None, f"{pack_id} has no rules for {start}..{end}"
    return found.version


@pytest.mark.parametrize("pack_id", ["ca-lmft", "ca-lcsw", "ca-lpcc"])
def test_california_first_renewal_rule_switches_for_cycles_ending_after_2023_07_01(pack_id: str) -> None:
    """BBS: a first renewal expiring after 2023-07-01 needs 36 hours, before it 18 (licenses end on a month's end)."""
    registry = PackRegistry()
    old = _version(pack_id, "2021-07-01", "2023-06-30")
    new = _version(pack_id, "2021-08-01", "2023-07-31")
    assert (old, new) == ("2021-01-01", "2023-07-01")
    by_id = {v.version: v for v in registry.get(pack_id).versions}
    assert by_id[old].total.first_renewal_hours == 18
    assert by_id[new].total.first_renewal == "same"
    assert "telehealth" in {r.id for r in by_id[new].requirements}
    assert "telehealth" not in {r.id for r in by_id[old].requirements}


@pytest.mark.parametrize("pack_id,old", [("ny-lcsw", "2015-01-01"), ("ny-lmhc", "2017-01-01")])
def test_new_york_boundaries_version_follows_the_period_start(pack_id: str, old: str) -> None:
    """NYSED: boundaries apply to registration periods starting on or after 2023-04-01, whatever their end."""
    assert PackRegistry().get(pack_id).version_by == "cycle_start"
    assert _version(pack_id, "2023-03-01", "2026-02-28") == old
    assert _version(pack_id, "2023-04-01", "2026-03-31") == "2023-04-01"
    # A period that started before the change keeps the old rules although it ends long after it.
    assert _version(pack_id, "2022-05-01", "2025-04-30") == old


@pytest.mark.parametrize(
    "pack_id,end_before,end_after,old,new",
    [
        ("tx-lpc", "2023-05-31", "2023-06-30", "2020-09-01", "2023-06-01"),
        ("tx-lpc", "2020-08-31", "2020-09-30", "2016-12-01", "2020-09-01"),
        ("tx-lcsw", "2022-08-31", "2022-09-30", "2020-09-01", "2022-09-16"),
        ("tx-lmft", "2022-08-31", "2022-09-30", "2020-09-01", "2022-09-16"),
        ("tx-lmft", "2024-08-31", "2024-09-30", "2022-09-16", "2024-09-01"),
    ],
)
def test_texas_rewrites_pick_the_version_by_cycle_end(
    pack_id: str, end_before: str, end_after: str, old: str, new: str
) -> None:
    assert _version(pack_id, "2019-01-01", end_before) == old
    assert _version(pack_id, "2019-01-01", end_after) == new


def test_texas_listed_provider_share_is_a_cap_from_2024() -> None:
    for pack_id in ("tx-lpc", "tx-lcsw", "tx-lmft"):
        v = PackRegistry().get(pack_id).versions[-1]
        share = next(c for c in v.caps if c.id == "listed_provider_share")
        assert share.applies_from == date(2024, 1, 1)
        assert share.max_fraction == pytest.approx(0.5)
        assert share.match.flag_false == "tx_listed_provider"


def test_docs_table_names_every_pack() -> None:
    doc = (PACKS_DIR.parents[1] / "docs" / "rule-packs.md").read_text(encoding="utf-8")
    missing = [p for p in PACK_IDS if f"`{p}`" not in doc]
    assert missing == []


# Loader errors for packs that are not bundled -------------------------------------------------------------------


def _broken_copy(tmp_path: Path, edit: str, replacement: str, name: str = "tx-lpc.yaml") -> Path:
    text = (PACKS_DIR / "tx-lpc.yaml").read_text(encoding="utf-8")
    assert edit in text
    path = tmp_path / name
    path.write_text(text.replace(edit, replacement, 1), encoding="utf-8")
    return path


def test_unknown_category_names_the_file_and_the_path(tmp_path: Path) -> None:
    path = _broken_copy(tmp_path, "categories: [ethics], hours: 6, source: [tac681142]",
                        "categories: [ethcs], hours: 6, source: [tac681142]")  # fmt: skip
    with pytest.raises(RulePackError) as err:
        load_pack_file(path)
    message = str(err.value)
    assert message.startswith("tx-lpc.yaml: at versions[0]")
    assert "ethcs" in message


def test_misspelt_field_names_the_path_to_it(tmp_path: Path) -> None:
    path = _broken_copy(tmp_path, "total: {hours: 24, source: [tac681142]}", "total: {hourz: 24, source: [tac681142]}")
    with pytest.raises(RulePackError) as err:
        load_pack_file(path)
    assert "tx-lpc.yaml" in str(err.value)
    assert "versions[0].total" in str(err.value)


def test_overlapping_versions_are_refused(tmp_path: Path) -> None:
    path = _broken_copy(tmp_path, "effective_to: 2020-08-31", "effective_to: 2021-08-31")
    with pytest.raises(RulePackError, match=r"tx-lpc\.yaml: .*overlap"):
        load_pack_file(path)


def test_a_rule_citing_a_missing_source_is_refused(tmp_path: Path) -> None:
    path = _broken_copy(tmp_path, "{id: ethics, title: Ethics, categories: [ethics], hours: 6, source: [tac681142]}",
                        "{id: ethics, title: Ethics, categories: [ethics], hours: 6, source: [tac999]}")  # fmt: skip
    with pytest.raises(RulePackError, match=r"tx-lpc\.yaml: .*unknown sources \['tac999'\]"):
        load_pack_file(path)


def test_not_yaml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "zz-bad.yaml"
    path.write_text("id: zz-bad\nversions: [\n", encoding="utf-8")
    with pytest.raises(RulePackError, match=r"^zz-bad\.yaml: not valid YAML"):
        load_pack_file(path)


def test_a_pack_in_an_extra_directory_is_loaded_and_errors_name_it(tmp_path: Path) -> None:
    """A board not yet bundled: a directory of packs passed as extra_dirs (CEBRIDGE_PACKS_DIRS)."""
    data = yaml.safe_load((PACKS_DIR / "tx-lpc.yaml").read_text(encoding="utf-8"))
    data.update(id="wa-lmhc", state="WA", profession="lmhc", title="Washington LMHC")
    (tmp_path / "wa-lmhc.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    registry = PackRegistry(extra_dirs=[tmp_path])
    assert "wa-lmhc" in registry.ids()
    assert "tx-lpc" in registry.ids()  # the bundled packs stay
    assert isinstance(registry.get("WA-LMHC"), RulePack)

    broken = tmp_path / "broken"
    broken.mkdir()
    data["versions"][0]["cycle"]["anchor"] = "lunar"
    (broken / "wa-lmhc.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    with pytest.raises(RulePackError) as err:
        PackRegistry(extra_dirs=[broken])
    assert str(err.value).startswith("wa-lmhc.yaml: at versions[0].cycle.anchor")


def test_an_extra_directory_overrides_a_bundled_pack(tmp_path: Path) -> None:
    shutil.copy(PACKS_DIR / "pa-lpc.yaml", tmp_path / "pa-lpc.yaml")
    text = (tmp_path / "pa-lpc.yaml").read_text(encoding="utf-8")
    (tmp_path / "pa-lpc.yaml").write_text(text.replace("total: {hours: 30,", "total: {hours: 40,", 1), encoding="utf-8")
    assert PackRegistry(extra_dirs=[tmp_path]).get("pa-lpc").versions[0].total.hours == 40
    assert PackRegistry().get("pa-lpc").versions[0].total.hours == 30


def test_file_named_for_another_pack_is_refused(tmp_path: Path) -> None:
    shutil.copy(PACKS_DIR / "oh-lisw.yaml", tmp_path / "oh-lsw.yaml")
    with pytest.raises(RulePackError, match=r"oh-lsw\.yaml: the file holds pack 'oh-lisw'; name it oh-lisw\.yaml"):
        load_pack_file(tmp_path / "oh-lsw.yaml")


def test_unknown_board_lists_the_known_ones() -> None:
    with pytest.raises(UnknownBoard) as err:
        PackRegistry().get("zz-none")
    assert "tx-lpc" in str(err.value)
