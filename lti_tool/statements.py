"""The launch path's fixed statements, compiled once per database dialect and run on a DBAPI cursor.

Every login and launch runs the same few statements. Through a SQLAlchemy ``Connection`` each one costs more in
Python (events, execution context, parameter and result processing) than SQLite takes to run it, so these run
on the driver's cursor instead: the SQL still comes from the Core statements of the models (compiled once per
dialect, with PostgreSQL's bind casts), parameters are passed positionally or by name as the driver expects,
and JSON columns are serialised here (the one type processing these statements need). Driver errors leave as
cebridge's: a uniqueness or foreign-key violation as :class:`~cebridge.errors.ConcurrencyConflict`, anything else
as :class:`~cebridge.errors.StorageError`, both with the first line of the driver's message only (PostgreSQL's
second line repeats the offending values, and these statements carry nonces and claims).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import JSON, Dialect, Engine
from sqlalchemy.engine.interfaces import DBAPICursor
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

from cebridge.errors import ConcurrencyConflict, StorageError


class Prepared:
    """A Core statement, compiled once per dialect, that runs on a DBAPI cursor with named parameters."""

    __slots__ = ("_compiled", "_statement")

    def __init__(self, statement: ClauseElement) -> None:
        self._statement = statement
        self._compiled: dict[str, _Compiled] = {}

    def _for(self, dialect: Dialect) -> _Compiled:
        entry = self._compiled.get(dialect.name)
        if entry is None:
            compiled = cast(SQLCompiler, self._statement.compile(dialect=dialect))
            entry = _Compiled(
                sql=str(compiled),
                order=tuple(compiled.positiontup or ()) if compiled.positional else None,
                names=frozenset(compiled.binds),
                json_params=frozenset(name for name, bind in compiled.binds.items() if isinstance(bind.type, JSON)),
            )
            self._compiled[dialect.name] = entry
        return entry

    def sql(self, dialect: Dialect) -> str:
        """The statement as the dialect's driver receives it."""
        return self._for(dialect).sql

    def execute(self, cursor: DBAPICursor, dialect: Dialect, params: Mapping[str, Any]) -> DBAPICursor:
        """Run the statement on ``cursor``; a missing parameter is a ``KeyError`` naming it."""
        compiled = self._for(dialect)
        if not compiled.names <= params.keys():
            raise KeyError(", ".join(sorted(compiled.names - params.keys())))
        if compiled.json_params:
            params = {
                k: (json.dumps(v) if k in compiled.json_params and v is not None else v) for k, v in params.items()
            }
        args: Sequence[Any] | Mapping[str, Any] = (
            tuple(params[name] for name in compiled.order) if compiled.order is not None else params
        )
        try:
            cursor.execute(compiled.sql, args)
        except dialect.loaded_dbapi.Error as exc:
            raise _driver_error(exc, dialect) from None
        return cursor


@dataclass(frozen=True)
class _Compiled:
    sql: str
    order: tuple[str, ...] | None  # parameter names in placeholder order, for positional drivers
    names: frozenset[str]
    json_params: frozenset[str]


def json_value(value: Any) -> Any:
    """A JSON column's value as read by the driver: text on SQLite, already decoded on PostgreSQL."""
    return json.loads(value) if isinstance(value, str | bytes) else value


@contextmanager
def autocommit(engine: Engine) -> Iterator[DBAPICursor]:
    """A cursor on a pooled connection in the driver's autocommit mode, for one statement that is its own
    transaction.

    On SQLite the store's connections always run so (an insert holds the write lock only while it runs); on
    PostgreSQL psycopg is switched to autocommit for the block, which saves the ``BEGIN`` and ``COMMIT`` round
    trips, and switched back before the connection returns to the pool.
    """
    with _pooled_cursor(engine, autocommit=True) as cursor:
        yield cursor


@contextmanager
def write_transaction(engine: Engine) -> Iterator[DBAPICursor]:
    """A cursor in one write transaction on a pooled connection: committed when the block ends, rolled back
    on any error. On SQLite it starts with ``BEGIN IMMEDIATE``, the store's rule for writers (take the write
    lock up front, so that concurrent writers queue instead of failing to upgrade a read lock)."""
    with _pooled_cursor(engine, autocommit=False) as cursor:
        yield cursor


@contextmanager
def _pooled_cursor(engine: Engine, *, autocommit: bool) -> Iterator[DBAPICursor]:
    dialect = engine.dialect
    dbapi_error = dialect.loaded_dbapi.Error
    try:
        raw = engine.raw_connection()
    except (DBAPIError, dbapi_error) as exc:
        raise _driver_error(exc.orig if isinstance(exc, DBAPIError) else exc, dialect) from None
    switch = autocommit and dialect.name == "postgresql"
    try:
        if switch:
            raw.driver_connection.autocommit = True  # type: ignore[union-attr]
        cursor = raw.cursor()
        try:
            if not autocommit and dialect.name == "sqlite":
                cursor.execute("BEGIN IMMEDIATE")
            yield cursor
            raw.commit()  # a no-op in autocommit mode (and for a SQLite connection set up otherwise, a commit)
        except BaseException:
            with suppress(dbapi_error):
                raw.rollback()
            raise
        finally:
            cursor.close()
            if switch:
                raw.driver_connection.autocommit = False  # type: ignore[union-attr]
    except dbapi_error as exc:
        raise _driver_error(exc, dialect) from None
    finally:
        raw.close()


def _driver_error(exc: BaseException | None, dialect: Dialect) -> StorageError:
    """cebridge's error for a driver's, with the first line of its message only."""
    text = str(exc).strip() if exc is not None else ""
    reason = text.splitlines()[0] if text else type(exc).__name__
    if isinstance(exc, dialect.loaded_dbapi.IntegrityError):
        return ConcurrencyConflict(f"conflicting write: {reason}", user_message="this was already done")
    return StorageError(f"database error: {reason}", user_message="the database is unavailable")
