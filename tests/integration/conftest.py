"""Real databases and Redis for the integration tests, each isolated per test.

PostgreSQL: a uniquely named database on 127.0.0.1:5432 (user postgres), created per test and dropped after.
SQLite: a file under the test's tmp_path. Redis: a unique key prefix per test on 127.0.0.1:6379.
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from cebridge.store.db import SessionFactory, make_engine, session_factory
from cebridge.store.migrate import upgrade

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_BASE = "postgresql+psycopg://postgres@127.0.0.1:5432/"
REDIS_URL = "redis://127.0.0.1:6379/0"


def _up(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test, dropped afterwards."""
    if not _up(5432):
        pytest.fail("PostgreSQL is not running on 127.0.0.1:5432")
    name = f"cebridge_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_BASE + name
    finally:
        with admin.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = :n AND pid <> pg_backend_pid()"
                ),
                {"n": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty database: SQLite, then PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
def engine(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """A migrated database; CEBRIDGE_DATABASE_URL points at it for commands run in or out of process."""
    monkeypatch.setenv("CEBRIDGE_DATABASE_URL", db_url)
    eng = make_engine(db_url)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def factory(engine: Engine) -> SessionFactory:
    return session_factory(engine)


@pytest.fixture
def redis_prefix() -> str:
    """A key prefix no other test run uses."""
    if not _up(6379):
        pytest.fail("Redis is not running on 127.0.0.1:6379")
    return f"cebridge-test-{uuid.uuid4().hex[:10]}:"
