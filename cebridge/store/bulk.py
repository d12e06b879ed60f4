"""Many rows into one table in one go, the fastest way each backend offers, inside the caller's transaction.

Values are converted by the columns' own SQLAlchemy types (the same bind processors SQLAlchemy would apply, run
once per distinct value object, so a batch's shared timestamps are converted once), then handed to the driver
directly: SQLAlchemy's per-row parameter handling cost more than the insert itself.

SQLite: ``executemany`` of a one-row INSERT, or multi-row ``INSERT ... VALUES ... RETURNING`` statements
when rows must come back. PostgreSQL: ``COPY`` into a temporary staging table, then one ``INSERT ... SELECT``
from it (with ``ON CONFLICT`` and ``RETURNING`` when asked). A multi-row ``INSERT ... VALUES`` with thousands
of placeholders spends most of its time in the PostgreSQL driver rewriting the statement's placeholders on every
batch; ``COPY`` sends the rows as data, with no statement to rewrite, and the ``INSERT ... SELECT`` is short.

The staging table is per connection (``TEMPORARY``), holds only the columns given, and is emptied after each
use and at commit (``ON COMMIT DELETE ROWS``), so a rollback or a crash leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Column, Connection, Table
from sqlalchemy.exc import DBAPIError, StatementError

from cebridge.store.types import JSONText

#: Below this many rows (PostgreSQL) a pipelined INSERT per row is as fast as staging them.
COPY_MIN_ROWS = 50


def bulk_insert(
    conn: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    conflict: Sequence[str] = (),
    returning: Sequence[Column[Any]] = (),
) -> list[tuple[Any, ...]]:
    """Insert ``rows`` (dicts with the same keys) into ``table``; returns the ``returning`` columns of new rows.

    With ``conflict`` (the columns of a unique index), rows that collide with an existing row are skipped
    (``ON CONFLICT DO NOTHING``) and return nothing.
    """
    if not rows:
        return []
    if conn.dialect.name == "sqlite":
        return _sqlite_insert(conn, table, rows, conflict, returning)
    if conn.dialect.name != "postgresql":
        raise NotImplementedError(f"cebridge's store runs on SQLite or PostgreSQL, not {conn.dialect.name}")
    if len(rows) < COPY_MIN_ROWS:
        return _pg_insert(conn, table, rows, conflict, returning)
    return _copy_insert(conn, table, rows, conflict, returning)


def _processors(conn: Connection, columns: list[Column[Any]]) -> list[Callable[[Any], Any] | None]:
    dialect = conn.dialect
    return [col.type.dialect_impl(dialect).bind_processor(dialect) for col in columns]


def _converted(
    rows: Sequence[dict[str, Any]], names: list[str], processors: list[Callable[[Any], Any] | None]
) -> list[list[Any]]:
    """Each row's values in ``names`` order, through the column's bind processor (once per distinct object).

    :class:`~cebridge.store.types.JSONText` is already serialized: it goes to the driver as it is.
    """
    plan = list(enumerate(zip(names, processors, strict=True)))
    last: list[tuple[Any, Any]] = [(_NOTHING, None)] * len(names)
    out = []
    for row in rows:
        values = []
        for i, (name, process) in plan:
            value = row[name]
            if process is not None and value is not None and not isinstance(value, JSONText):
                seen, converted = last[i]
                if seen is not value:
                    converted = process(value)
                    last[i] = (value, converted)
                value = converted
            values.append(value)
        out.append(values)
    return out


_NOTHING = object()


def _statement_parts(
    conn: Connection, table: Table, names: list[str], conflict: Sequence[str], returning: Sequence[Column[Any]]
) -> tuple[str, str, str]:
    """Quoted table name, quoted column list, and the ``ON CONFLICT ... RETURNING ...`` tail."""
    # Every identifier comes from the table's metadata (never from data) and is quoted by the dialect.
    quote = conn.dialect.identifier_preparer.quote
    tail = ""
    if conflict:
        tail += f" ON CONFLICT ({', '.join(quote(c) for c in conflict)}) DO NOTHING"
    if returning:
        tail += " RETURNING " + ", ".join(quote(col.name) for col in returning)
    return quote(table.name), ", ".join(quote(n) for n in names), tail


def _raised(conn: Connection, statement: str, exc: Exception) -> StatementError:
    """A driver error as SQLAlchemy would raise it, so callers tell a lost database from a refused row."""
    return DBAPIError.instance(statement, None, exc, conn.dialect.loaded_dbapi.Error)


def _sqlite_insert(
    conn: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    conflict: Sequence[str],
    returning: Sequence[Column[Any]],
) -> list[tuple[Any, ...]]:
    names = list(rows[0])
    values = _converted(rows, names, _processors(conn, [table.c[name] for name in names]))
    target, cols, tail = _statement_parts(conn, table, names, conflict, returning)
    one = "(" + ", ".join("?" for _ in names) + ")"
    driver = conn.connection.driver_connection
    cursor = driver.cursor()  # type: ignore[union-attr]
    out: list[tuple[Any, ...]] = []
    statement = f"INSERT INTO {target} ({cols}) VALUES {one}{tail}"  # noqa: S608
    try:
        if not returning:
            cursor.executemany(statement, values)
            return out
        per = max(1, driver.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // len(names))  # type: ignore[union-attr]
        for start in range(0, len(values), per):
            chunk = values[start : start + per]
            statement = f"INSERT INTO {target} ({cols}) VALUES {', '.join([one] * len(chunk))}{tail}"  # noqa: S608
            cursor.execute(statement, [v for row in chunk for v in row])
            out += [tuple(r) for r in cursor.fetchall()]
    except sqlite3.Error as exc:
        raise _raised(conn, statement, exc) from exc
    finally:
        cursor.close()
    return out


def _pg_insert(
    conn: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    conflict: Sequence[str],
    returning: Sequence[Column[Any]],
) -> list[tuple[Any, ...]]:
    """A few rows: one prepared INSERT, ``executemany`` in the driver's pipeline mode."""
    names = list(rows[0])
    values = _converted(rows, names, _processors(conn, [table.c[name] for name in names]))
    target, cols, tail = _statement_parts(conn, table, names, conflict, returning)
    statement = f"INSERT INTO {target} ({cols}) VALUES ({', '.join('%s' for _ in names)}){tail}"  # noqa: S608
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    out: list[tuple[Any, ...]] = []
    try:
        cursor.executemany(statement, values, returning=bool(returning))
        if returning:
            while True:
                out += [tuple(r) for r in cursor.fetchall()]
                if not cursor.nextset():
                    break
    except conn.dialect.loaded_dbapi.Error as exc:
        raise _raised(conn, statement, exc) from exc
    finally:
        cursor.close()
    return out


def _copy_insert(
    conn: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    conflict: Sequence[str],
    returning: Sequence[Column[Any]],
) -> list[tuple[Any, ...]]:
    names = list(rows[0])
    values = _converted(rows, names, _processors(conn, [table.c[name] for name in names]))
    target, cols, tail = _statement_parts(conn, table, names, conflict, returning)
    quote = conn.dialect.identifier_preparer.quote
    stage = quote(f"cebridge_stage_{hashlib.sha256(f'{table.name}:{cols}'.encode()).hexdigest()[:16]}")
    create = f"CREATE TEMPORARY TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS AS SELECT {cols} FROM {target}"  # noqa: S608
    insert = f"INSERT INTO {target} ({cols}) SELECT {cols} FROM {stage}{tail}"  # noqa: S608
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(create + " WITH NO DATA")
        with cursor.copy(f"COPY {stage} ({cols}) FROM STDIN") as copy:
            for row in values:
                copy.write_row(row)
        cursor.execute(insert)
        out = [tuple(r) for r in cursor.fetchall()] if returning else []
        cursor.execute(f"DELETE FROM {stage}")  # noqa: S608
    except conn.dialect.loaded_dbapi.Error as exc:
        raise _raised(conn, insert, exc) from exc
    finally:
        cursor.close()
    return out
