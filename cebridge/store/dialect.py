"""Backend differences in one place: ``INSERT ... ON CONFLICT`` for SQLite and PostgreSQL, and long ``IN`` lists."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import ColumnElement, Connection, String, bindparam, func, select
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
    """``column IN (values)`` with one parameter however many values.

    A long ``IN (...)`` list costs a new statement per length (SQLAlchemy expands and compiles it, the
    PostgreSQL driver rewrites every placeholder); an array is one value: ``column IN (SELECT unnest(:array))``
    on PostgreSQL, ``column IN (SELECT value FROM json_each(:array))`` on SQLite. Values are ints or strings.
    """
    if dialect_name(target) == "postgresql":
        # IN (SELECT unnest(...)), not = ANY(...): the planner joins it (index probes or a hash), where ANY may end
        # up a filter comparing every candidate row with every element (seen on a table loaded before its statistics).
        array = bindparam(None, list(values), type_=postgresql.ARRAY(column.type))
        return column.in_(select(func.unnest(array)))  # type: ignore[no-any-return]
    if len(values) <= 8:
        return column.in_(values)  # type: ignore[no-any-return]
    each = func.json_each(bindparam(None, json.dumps(list(values)), type_=String())).table_valued("value")
    return column.in_(select(each.c.value))  # type: ignore[no-any-return]
