"""The example third-party sink (examples/third_party_sink) installs with nothing but an entry point in
``cebridge.sinks`` and receives the pipeline's outbox work: pip-installed into a temporary directory, subscribed
next to the demo's own sinks, fed by a demo run, idempotent under redelivery, retried or refused as it says."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cebridge.config import Settings
from cebridge.demo.run import open_demo_store, run_demo
from cebridge.errors import ConfigError, SinkRejected, SinkUnavailable
from cebridge.services import providers
from cebridge.sinks.base import load_sink_factory
from cebridge.store.db import transaction

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "third_party_sink"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("third_party_sink")
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


@pytest.fixture
def ledger_factory(installed: Path, monkeypatch: pytest.MonkeyPatch) -> object:
    monkeypatch.syspath_prepend(str(installed))
    return load_sink_factory("csv_ledger")


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.slow
def test_the_installed_sink_receives_the_demos_compliance_updates_once(ledger_factory: object, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    ledger = tmp_path / "ledger.csv"
    engine, factory = open_demo_store(settings)
    try:
        with transaction(factory) as session:
            providers.add_sink(
                session, "ledger", plugin="csv_ledger", kinds=["compliance.updated"], config={"path": str(ledger)}
            )
        run_demo(settings, lambda text, final: None, engine=engine)
        written = rows(ledger)
        # One row per change of a license's report (added, then after each provider's sync); the last is current.
        latest = {r["board"]: r for r in written}
        assert sorted(latest) == ["ca-lmft", "fl-lmhc", "ny-lcsw", "oh-lpcc", "tx-lpc"]
        assert latest["fl-lmhc"]["compliant"] == "true" and latest["tx-lpc"]["compliant"] == "false"
        assert latest["tx-lpc"]["hours_counted"] == "15" and latest["tx-lpc"]["hours_required"] == "24"
        assert len({r["key"] for r in written}) == len(written)
        assert all(r["kind"] == "compliance.updated" and r["key"].startswith("ledger:") for r in written)
        run_demo(settings, lambda text, final: None, engine=engine)
        assert rows(ledger) == written  # nothing changed, nothing new
    finally:
        engine.dispose()


def test_a_redelivered_item_is_written_once(ledger_factory: object, tmp_path: Path) -> None:
    assert callable(ledger_factory)
    sink = ledger_factory({"path": str(tmp_path / "ledger.csv")})
    payload = {"license_number": "LPC 1", "board": "tx-lpc", "report": {"compliant": False, "total": {"counted": 3}}}
    sink.deliver("compliance.updated", payload, "k-1")
    sink.deliver("compliance.updated", payload, "k-1")
    sink.deliver("certificate.issue", {"board": "tx-lpc", "completion_id": 9}, "k-2")
    assert [(r["key"], r["hours_counted"], r["completion_id"]) for r in rows(tmp_path / "ledger.csv")] == [
        ("k-1", "3", ""),
        ("k-2", "", "9"),
    ]


def test_faults_are_retried_and_foreign_work_is_refused(ledger_factory: object, tmp_path: Path) -> None:
    assert callable(ledger_factory)
    with pytest.raises(ConfigError):
        ledger_factory({})
    sink = ledger_factory({"path": str(tmp_path / "missing-dir" / "ledger.csv")})
    with pytest.raises(SinkUnavailable) as unavailable:
        sink.deliver("compliance.updated", {}, "k-1")
    assert "ledger.csv" in str(unavailable.value)
    with pytest.raises(SinkRejected):
        sink.deliver("lti.score", {}, "k-2")
