"""Opening the store from a command: settings from the environment, a checked connection, an up-to-date schema."""

from __future__ import annotations

from dataclasses import dataclass

import click
from sqlalchemy import Engine

from cebridge.config import Settings
from cebridge.errors import StorageError
from cebridge.store.db import SessionFactory, check_connection, make_engine, safe_url, session_factory
from cebridge.store.migrate import current, heads


@dataclass
class Store:
    """An engine and its session factory for one command."""

    settings: Settings
    engine: Engine
    factory: SessionFactory


def open_store(*, migrated: bool = True) -> Store:
    """Connect to the configured database; with ``migrated``, refuse a database that is not at the head."""
    settings = Settings()
    engine = make_engine(settings)
    ctx = click.get_current_context(silent=True)
    if ctx is not None:  # connections close when the command ends, not when the garbage collector gets to them
        ctx.call_on_close(engine.dispose)
    try:
        check_connection(engine)
    except StorageError:
        engine.dispose()
        raise
    if migrated:
        at = current(engine)
        if at not in heads():
            where = safe_url(engine.url)
            raise StorageError(
                f"the database at {where} is at revision {at or 'none'}, not the latest; run `cebridge db upgrade`"
            )
    return Store(settings, engine, session_factory(engine))
