"""Many rows into one table in one go, the fastest way each backend offers, inside the caller's transaction.

SQLite: one SQLAlchemy Core ``executemany`` (the driver is in-process; a multi-row INSERT costs little).
PostgreSQL: ``COPY`` into a temporary staging table, then one ``INSERT ... SELECT`` from it (with
``ON CONFLICT`` and ``RETURNING`` when asked). A multi-row ``INSERT ... VALUES`` with thousands of
placeholders spends most of its time in the driver rewriting the statement's placeholders on every batch;
``COPY`` sends the rows as data, with no statement to rewrite, and the ``INSERT ... SELECT`` is one short
statement. Values are converted by the columns' own SQLAlchemy types first, so both paths store the same thing.

The staging table is per connection (``TEMPORARY``), holds only the columns given, and is emptied after each
use and at commit (``ON COMMIT DELETE ROWS``), so a rollback or a crash leaves nothing behind.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Column, Connection, Table
from sqlalchemy.exc import DBAPIError

from cebridge.store.dialect import insert_for

#: Below this many rows a plain multi-row INSERT is as fast as staging them.
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
    if conn.dialect.name != "postgresql" or len(rows) < COPY_MIN_ROWS:
        stmt = insert_for(conn, table)
        if conflict:
            stmt = stmt.on_conflict_do_nothing(index_elements=list(conflict))
        if returning:
            return [tuple(r) for r in conn.execute(stmt.returning(*returning), list(rows))]
        conn.execute(stmt, list(rows))
        return []
    return _copy_insert(conn, table, rows, conflict, returning)


def _processors(conn: Connection, columns: list[Column[Any]]) -> list[Callable[[Any], Any] | None]:
    dialect = conn.dialect
    return [col.type.dialect_impl(dialect).bind_processor(dialect) for col in columns]


def _copy_insert(
    conn: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    conflict: Sequence[str],
    returning: Sequence[Column[Any]],
) -> list[tuple[Any, ...]]:
    names = list(rows[0])
    columns = [table.c[name] for name in names]
    processors = _processors(conn, columns)
    # Every identifier below comes from the table's metadata (never from data) and is quoted by the dialect.
    quote = conn.dialect.identifier_preparer.quote
    target, cols = quote(table.name), ", ".join(quote(n) for n in names)
    stage = quote(f"cebridge_stage_{hashlib.sha256(f'{table.name}:{cols}'.encode()).hexdigest()[:16]}")
    create = f"CREATE TEMPORARY TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS AS SELECT {cols} FROM {target}"  # noqa: S608
    insert = f"INSERT INTO {target} ({cols}) SELECT {cols} FROM {stage}"  # noqa: S608
    if conflict:
        insert += f" ON CONFLICT ({', '.join(quote(c) for c in conflict)}) DO NOTHING"
    if returning:
        insert += " RETURNING " + ", ".join(quote(col.name) for col in returning)
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(create + " WITH NO DATA")
        pairs = list(zip(names, processors, strict=True))
        with cursor.copy(f"COPY {stage} ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[n] if p is None or row[n] is None else p(row[n]) for n, p in pairs])
        cursor.execute(insert)
        out = [tuple(r) for r in cursor.fetchall()] if returning else []
        cursor.execute(f"DELETE FROM {stage}")  # noqa: S608
    except conn.dialect.loaded_dbapi.Error as exc:
        # As SQLAlchemy would raise it, so callers tell a lost database from a refused row the same way.
        raise DBAPIError.instance(insert, None, exc, conn.dialect.loaded_dbapi.Error) from exc
    finally:
        cursor.close()
    return out
