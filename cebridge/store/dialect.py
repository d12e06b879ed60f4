"""Backend differences in one place: ``INSERT ... ON CONFLICT`` for SQLite and PostgreSQL, and long ``IN`` lists."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, Delete, Select, String, bindparam, delete, func, select, true
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


def rows_with(
    target: Session | Connection, columns: Sequence[Any], key: Any, values: list[Any], *where: Any
) -> Select[Any]:
    """``SELECT columns FROM key's table WHERE key IN (values) AND where``, one indexed lookup per value.

    On PostgreSQL the values drive the query: ``unnest(:array)`` joined ``LATERAL`` to a lookup of one key, which
    the planner cannot turn around. A plain ``IN``/``= ANY`` lets it scan the table and compare every row with every
    value when its statistics are missing or stale (a table bulk-loaded moments ago, or autovacuum off): seconds
    per batch at a million rows. SQLite looks each value up in the key's index anyway.
    """
    if dialect_name(target) != "postgresql":
        return select(*columns).where(one_of(target, key, values), *where)
    wanted = _unnest(key, values)
    found = select(*columns).where(key == wanted.c.v, *where).lateral()
    return select(*found.c).select_from(wanted).join(found, true())


def delete_with(target: Session | Connection, table: Any, key: Any, values: list[Any]) -> Delete:
    """``DELETE FROM table WHERE key IN (values)``; on PostgreSQL joined to ``unnest(:array)`` (:func:`rows_with`)."""
    if dialect_name(target) != "postgresql":
        return delete(table).where(one_of(target, key, values))
    wanted = _unnest(key, values)
    return delete(table).where(key == wanted.c.v)


def _unnest(key: Any, values: list[Any]) -> Any:
    """``unnest(:array) AS anon(v)``: the values as rows of one column ``v`` (PostgreSQL)."""
    return (
        func.unnest(bindparam(None, list(values), type_=postgresql.ARRAY(key.type))).table_valued("v").render_derived()
    )
