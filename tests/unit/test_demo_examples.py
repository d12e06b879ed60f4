"""The example rule pack for a board cebridge does not bundle (examples/packs/wa-lmhc.yaml): it loads only when
CEBRIDGE_PACKS_DIRS names its directory, and a license evaluated under it gets the numbers its rules give."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from cebridge.domain import Completion, License
from cebridge.domain.engine import evaluate
from cebridge.errors import UnknownBoard
from cebridge.rulepacks import PackRegistry

ROOT = Path(__file__).resolve().parents[2]
PACKS = ROOT / "examples" / "packs"
CEBRIDGE = str(Path(sys.executable).with_name("cebridge"))


def _inputs(**license_changes: object) -> tuple[License, list[Completion]]:
    lic = json.loads((PACKS / "wa-lmhc-license.json").read_text()) | license_changes
    done = json.loads((PACKS / "wa-lmhc-completions.json").read_text())
    return License.model_validate(lic), [Completion.model_validate(c) for c in done]


def test_the_pack_is_not_bundled_and_loads_from_an_extra_directory() -> None:
    with pytest.raises(UnknownBoard):
        PackRegistry().get("wa-lmhc")
    pack = PackRegistry(extra_dirs=[PACKS]).get("wa-lmhc")
    assert pack.state == "WA" and pack.versions[0].unknowns
    assert all(s.url.startswith("http") for s in pack.versions[0].sources)


def test_a_washington_license_under_the_example_pack() -> None:
    """36 hours; ethics and law 6 (wa1); renewal 6 owes the six-yearly suicide training (6 % 3 == 0: wa2) and the
    four-yearly health equity training (6 % 2 == 0: wa3); EMDR 12 (ASWB-ACE); presenting 8 capped at 6 as an
    'other learning experience'; a CAMFT-only course is not from an accepted approver. 6+6+2+12+6 = 32, short 4."""
    lic, done = _inputs()
    report = evaluate(lic, done, PackRegistry(extra_dirs=[PACKS]).get("wa-lmhc"), as_of=date(2026, 6, 1))
    data = report.to_json()
    assert data["total"] == {"required": 36, "counted": 32, "short": 4}
    assert not data["compliant"]
    assert {r["id"]: r["satisfied"] for r in data["requirements"]} == {
        "ethics_law": True,
        "suicide_prevention": True,
        "health_equity": True,
    }
    by_id = {c["id"]: c for c in data["completions"]}
    assert (by_id["wa5"]["status"], by_id["wa5"]["hours_counted"]) == ("partially_accepted", 6)
    assert [r["code"] for r in by_id["wa5"]["reasons"]] == ["over_cap"]
    assert by_id["wa6"]["status"] == "rejected"
    assert [r["code"] for r in by_id["wa6"]["reasons"]] == ["approver_not_accepted"]


def test_the_six_yearly_and_four_yearly_trainings_apply_only_on_their_renewals() -> None:
    """Renewal 5: neither 5 % 3 nor 5 % 2 is 0, so only ethics and law is owed."""
    lic, done = _inputs(renewal_number=5)
    data = evaluate(lic, done, PackRegistry(extra_dirs=[PACKS]).get("wa-lmhc"), as_of=date(2026, 6, 1)).to_json()
    assert [r["id"] for r in data["requirements"]] == ["ethics_law"]
    assert {n["id"] for n in data["not_applicable"]} == {"suicide_prevention", "health_equity"}


def test_the_cli_finds_the_pack_through_cebridge_packs_dirs(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CEBRIDGE_")}
    env["CEBRIDGE_HOME"] = str(tmp_path / "home")
    args = [
        CEBRIDGE,
        "evaluate",
        "--license",
        str(PACKS / "wa-lmhc-license.json"),
        "--completions",
        str(PACKS / "wa-lmhc-completions.json"),
        "--as-of",
        "2026-06-01",
        "--format",
        "json",
    ]
    without = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    assert without.returncode == 2 and "wa-lmhc" in without.stderr
    env["CEBRIDGE_PACKS_DIRS"] = json.dumps([str(PACKS)])
    found = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout)["total"]["counted"] == 32
