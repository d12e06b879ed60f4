"""A real Celery worker process on Redis runs the same pipeline into PostgreSQL (and SQLite)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from celery import Celery
from sqlalchemy import func, select

from cebridge.config import Settings
from cebridge.store.db import SessionFactory, transaction
from cebridge.store.tables import CompletionRow, ComplianceSnapshot, ConnectorConfig, SyncRun
from cebridge.worker import due_connectors, make_celery
from tests.integration.conftest import REDIS_URL
from tests.integration.helpers import add_clinicians, setup_provider
from tests.integration.provider import ProviderServer, Site

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.redis, pytest.mark.slow]


def _wait(pred: object, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():  # type: ignore[operator]
            return True
        time.sleep(0.2)
    return False


def _count(factory: SessionFactory) -> int:
    with transaction(factory, write=False) as s:
        return int(s.scalar(select(func.count()).select_from(CompletionRow)) or 0)


def test_worker_runs_syncs_and_the_schedule(
    factory: SessionFactory, db_url: str, redis_prefix: str, tmp_path: Path
) -> None:
    site = Site(300, learners=6, courses=3)
    with ProviderServer(site) as server:
        setup_provider(factory, server.url, courses=3)
        add_clinicians(factory, range(6))
        env = {
            **os.environ,
            "CEBRIDGE_DATABASE_URL": db_url,
            "CEBRIDGE_REDIS_URL": REDIS_URL,
            "CEBRIDGE_HOME": str(tmp_path / "home"),
            "PYTHONPATH": str(ROOT),
        }
        worker = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from cebridge.cli import main; main()",
                "worker",
                "--no-beat",
                "--concurrency",
                "1",
                "--key-prefix",
                redis_prefix,
                "--loglevel",
                "WARNING",
            ],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        client: Celery = make_celery(Settings(redis_url=REDIS_URL, database_url=db_url), key_prefix=redis_prefix)
        try:
            client.send_task("cebridge.sync_connector", args=["testlms"])
            assert _wait(lambda: _count(factory) == 300), "the worker did not store the completions"

            def runs_done() -> bool:
                with transaction(factory, write=False) as s:
                    return s.scalar(select(SyncRun.outcome).order_by(SyncRun.id.desc()).limit(1)) == "ok"

            assert _wait(runs_done)
            with transaction(factory, write=False) as s:
                assert s.scalar(select(func.count()).select_from(ComplianceSnapshot)) == 6
                row = s.scalar(select(ConnectorConfig).where(ConnectorConfig.name == "testlms"))
                assert row is not None
                row.schedule_seconds = 60
            with transaction(factory) as s:
                s.execute(ConnectorConfig.__table__.update().values(schedule_seconds=60))
            # Ran just now: not due. The tick task queues only what is due, through the same worker.
            assert due_connectors(factory) == []
            with transaction(factory) as s:
                s.execute(SyncRun.__table__.delete())
            assert due_connectors(factory) == ["testlms"]
            client.send_task("cebridge.tick")
            assert _wait(runs_done), "the scheduled sync did not run"
            assert _count(factory) == 300  # the rerun duplicated nothing
        finally:
            client.close()
            worker.send_signal(signal.SIGTERM)
            try:
                worker.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.communicate()
