"""``INSERT ... ON CONFLICT`` for whichever backend a session is on (SQLite and PostgreSQL share the syntax)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, any_, bindparam
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


def one_of(target: Session | Connection, column: Any, values: list[Any]) -> ColumnElement[bool]:
    """``column IN (values)``; on PostgreSQL ``column = ANY(:array)``, one parameter however many values.

    A long ``IN (...)`` list costs the PostgreSQL driver a rewrite of every placeholder on every call; an array
    is one value. SQLite has no arrays, and its in-process driver does not pay that cost.
    """
    if dialect_name(target) == "postgresql":
        return column == any_(bindparam(None, list(values), type_=postgresql.ARRAY(column.type)))  # type: ignore[no-any-return]
    return column.in_(values)  # type: ignore[no-any-return]
