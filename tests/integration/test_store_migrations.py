"""The migrations build exactly the tables the code declares, on SQLite and PostgreSQL, from one head."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy import Engine, inspect

from cebridge.cli import cli
from cebridge.store.db import make_engine
from cebridge.store.migrate import current, heads
from cebridge.store.tables import metadata


def test_single_head() -> None:
    assert len(heads()) == 1


def test_migrations_match_metadata(engine: Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    assert diff == []
    assert current(engine) == heads()[0]
    assert {"completions", "outbox", "audit_log", "connector_states"} <= set(inspect(engine).get_table_names())


def test_db_upgrade_command(db_url: str) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["db", "upgrade"], env={"CEBRIDGE_DATABASE_URL": db_url})
    assert result.exit_code == 0, result.output
    assert heads()[0] in result.output
    assert "postgres@" not in result.output or ":***@" not in result.output  # no password to hide here
    engine = make_engine(db_url)
    assert current(engine) == heads()[0]
    engine.dispose()


def test_commands_refuse_an_unmigrated_database(db_url: str) -> None:
    result = CliRunner().invoke(cli, ["completions", "list"], env={"CEBRIDGE_DATABASE_URL": db_url})
    assert result.exit_code == 1
    assert "cebridge db upgrade" in result.output
