"""Alembic environment: run against the connection cebridge hands in, or the URL in the Alembic config."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from sqlalchemy import JSON
from sqlalchemy.types import TypeDecorator

from cebridge.store.db import make_engine
from cebridge.store.tables import metadata

config = context.config


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    # Migrations spell cebridge's portable column types as their plain SQL types, so they never import app code.
    if type_ == "type" and isinstance(obj, JSON):
        autogen_context.imports.add("from sqlalchemy.dialects import postgresql")
        return 'sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")'
    if type_ == "type" and isinstance(obj, TypeDecorator):
        return repr(obj.impl).replace("String(", "sa.String(").replace("DateTime(", "sa.DateTime(")
    return False


def _run(connection: Any) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Use the caller's connection when given (``cebridge db upgrade``), else build an engine from the URL."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("cebridge migrations run online only: use `cebridge db upgrade`")
run_migrations_online()
