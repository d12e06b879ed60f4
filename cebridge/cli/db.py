"""``cebridge db upgrade|current``: the store's schema migrations."""

from __future__ import annotations

import click

from cebridge.cli.store_context import open_store
from cebridge.store.db import safe_url
from cebridge.store.migrate import current, heads, upgrade


@click.group("db")
def db_group() -> None:
    """The database schema."""


@db_group.command("upgrade")
def upgrade_command() -> None:
    """Bring the database up to the latest schema (SQLite under CEBRIDGE_HOME, or CEBRIDGE_DATABASE_URL)."""
    store = open_store(migrated=False)
    upgrade(store.engine)
    click.echo(f"database {safe_url(store.engine.url)} is at revision {current(store.engine)}")


@db_group.command("current")
def current_command() -> None:
    """Show the database's schema revision and the latest one."""
    store = open_store(migrated=False)
    click.echo(f"at: {current(store.engine) or 'none'}\nlatest: {', '.join(heads())}")


commands = [db_group]
