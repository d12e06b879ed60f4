"""Crash and concurrency behaviour of real ``cebridge sync`` processes, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cebridge.store.db import SessionFactory, make_engine, session_factory, transaction
from cebridge.store.migrate import upgrade
from cebridge.store.tables import CompletionRow, ConnectorState
from cebridge.sync.pipeline import sync_connector
from tests.integration.helpers import add_clinicians, setup_provider, totals
from tests.integration.provider import ProviderServer, Site

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _sync_process(db_url: str, home: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "CEBRIDGE_DATABASE_URL": db_url, "CEBRIDGE_HOME": str(home), "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", "from cebridge.cli import main; main()", "sync", "--connector", "testlms"],
        env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _count(factory: SessionFactory) -> int:
    with transaction(factory, write=False) as s:
        return int(s.scalar(select(func.count()).select_from(CompletionRow)) or 0)


def test_kill_9_midway_then_rerun_loses_and_duplicates_nothing(
    factory: SessionFactory, db_url: str, tmp_path: Path
) -> None:
    site = Site(3000, learners=40, courses=6)
    site.delay = 0.08
    with ProviderServer(site) as server:
        setup_provider(factory, server.url, courses=6)
        add_clinicians(factory, range(30))
        proc = _sync_process(db_url, tmp_path / "home")
        deadline = time.monotonic() + 60
        while _count(factory) < 800 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        assert proc.poll() is None, "the sync finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate()
        stored = _count(factory)
        with transaction(factory, write=False) as s:
            state = s.scalar(select(ConnectorState.state))
        assert 800 <= stored < 3000
        assert stored % 100 == 0  # whole batches only
        assert state == {"streams": {"completions": {"page": stored // 100}}}  # cursor committed with its records

        site.delay = 0
        rerun = _sync_process(db_url, tmp_path / "home")
        out, err = rerun.communicate(timeout=120)
        assert rerun.returncode == 0, err
        assert "testlms: ok" in out
        assert f"new {3000 - stored}," in out

        clean_engine = make_engine(f"sqlite:///{tmp_path / 'clean.db'}")
        upgrade(clean_engine)
        clean = session_factory(clean_engine)
        setup_provider(clean, server.url, courses=6)
        add_clinicians(clean, range(30))
        sync_connector(clean, "testlms")
        clean_engine.dispose()
    assert totals(factory) == totals(clean)
    assert totals(factory)["count"] == 3000


def test_two_sync_processes_at_once(factory: SessionFactory, db_url: str, tmp_path: Path) -> None:
    site = Site(1500, learners=20, courses=4)
    site.delay = 0.03
    with ProviderServer(site) as server:
        setup_provider(factory, server.url, courses=4)
        add_clinicians(factory, range(20))
        procs = [_sync_process(db_url, tmp_path / "home") for _ in range(2)]
        outputs = [p.communicate(timeout=180) for p in procs]
    codes = sorted(p.returncode for p in procs)
    assert codes in ([0, 0], [0, 1]), outputs
    if codes == [0, 1]:
        loser = next(o for p, o in zip(procs, outputs, strict=True) if p.returncode == 1)
        assert "already syncing" in loser[0]
    with transaction(factory, write=False) as s:
        dupes = s.execute(
            select(CompletionRow.external_id).group_by(CompletionRow.source, CompletionRow.external_id)
            .having(func.count() > 1)
        ).all()
    assert dupes == []
    assert _count(factory) == 1500
