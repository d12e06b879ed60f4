"""``INSERT ... ON CONFLICT`` for whichever backend a session is on (SQLite and PostgreSQL share the syntax)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def dialect_name(target: Session | Connection) -> str:
    """``sqlite`` or ``postgresql``: the backend of a session or a connection."""
    if isinstance(target, Session):
        return target.get_bind().dialect.name
    return target.dialect.name


def insert_for(target: Session | Connection, model: Any) -> Any:
    """A dialect ``insert()`` (of a mapped class or a table) that has ``on_conflict_do_nothing/update``."""
    name = dialect_name(target)
    if name == "postgresql":
        return postgresql.insert(model)
    if name == "sqlite":
        return sqlite.insert(model)
    raise NotImplementedError(f"cebridge's store runs on SQLite or PostgreSQL, not {name}")


def insert_ignore(target: Session | Connection, model: Any, rows: list[dict[str, Any]], *index_elements: str) -> None:
    """Insert ``rows``, skipping those that collide on ``index_elements`` (idempotent enqueue)."""
    if rows:
        stmt = insert_for(target, model).on_conflict_do_nothing(index_elements=list(index_elements))
        target.execute(stmt, rows)
