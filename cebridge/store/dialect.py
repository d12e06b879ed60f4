"""``INSERT ... ON CONFLICT`` for whichever backend a session is on (SQLite and PostgreSQL share the syntax)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_for(session: Session, model: Any) -> Any:
    """A dialect ``insert()`` that has ``on_conflict_do_nothing`` / ``on_conflict_do_update``."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(model)
    if name == "sqlite":
        return sqlite.insert(model)
    raise NotImplementedError(f"cebridge's store runs on SQLite or PostgreSQL, not {name}")


def insert_ignore(session: Session, model: Any, rows: list[dict[str, Any]], *index_elements: str) -> None:
    """Insert ``rows``, skipping those that collide on ``index_elements`` (idempotent enqueue)."""
    if rows:
        stmt = insert_for(session, model).on_conflict_do_nothing(index_elements=list(index_elements))
        session.execute(stmt, rows)
