"""Engine and session setup, and the one transaction helper every writer uses.

Nothing here runs at import: :func:`make_engine` builds an engine from :class:`~cebridge.config.Settings` or a
URL when a command or the app factory asks for one.

SQLite (the embedded default, ``$CEBRIDGE_HOME/cebridge.db``) gets WAL, foreign keys and a busy timeout on every
connection, and its transactions are opened by cebridge rather than by the driver, so that writers can take the
write lock up front (``BEGIN IMMEDIATE``) and never dead-lock upgrading a read lock. PostgreSQL is reached through
``CEBRIDGE_DATABASE_URL=postgresql+psycopg://...``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from cebridge.config import Settings
from cebridge.errors import ConfigError, StorageError

SQLITE_BUSY_TIMEOUT_MS = 30_000
#: Execution option naming how a SQLite transaction begins: "DEFERRED" (readers) or "IMMEDIATE" (writers).
SQLITE_BEGIN = "cebridge_sqlite_begin"

SessionFactory = sessionmaker[Session]


def safe_url(url: str | URL) -> str:
    """The URL with any password hidden, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # a malformed URL: say nothing of its content
        return "(malformed database URL)"


def _url_of(target: Settings | str | URL) -> URL:
    if isinstance(target, Settings):
        if not target.database_url:
            target.ensure_home()
        raw: str | URL = target.resolved_database_url
    else:
        raw = target
    try:
        return make_url(raw)
    except Exception:
        raise ConfigError(
            "the database URL is malformed; expected sqlite:///PATH or postgresql+psycopg://USER@HOST/DB"
        ) from None


def make_engine(target: Settings | str | URL, **kwargs: Any) -> Engine:
    """An engine for the settings' database (or a URL), with cebridge's connection setup applied."""
    url = _url_of(target)
    backend = url.get_backend_name()
    if backend == "sqlite":
        engine = create_engine(url, **kwargs)
        _setup_sqlite(engine)
        return engine
    if backend == "postgresql":
        if url.get_driver_name() not in ("psycopg", ""):
            raise ConfigError(
                f"PostgreSQL is reached through psycopg 3: use postgresql+psycopg://, not {url.drivername}"
            )
        url = url.set(drivername="postgresql+psycopg")
        connect_args = {"connect_timeout": 10, **kwargs.pop("connect_args", {})}
        return create_engine(url, pool_pre_ping=True, connect_args=connect_args, **kwargs)
    raise ConfigError(f"unsupported database {url.drivername!r}: use sqlite or postgresql+psycopg")


def _setup_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event open transactions, not the driver (pysqlite's own BEGIN is DEFERRED).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            # Under WAL, NORMAL keeps every committed transaction across a process crash (kill -9 included); only
            # an operating-system crash or power cut may roll back the last ones, never corrupting the file.
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get(SQLITE_BEGIN, "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


def session_factory(engine: Engine) -> SessionFactory:
    """Sessions bound to ``engine``; objects stay readable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(factory: SessionFactory, *, write: bool = True) -> Iterator[Session]:
    """One unit of work: commit if the block ends normally, roll back on any exception.

    ``write=True`` takes SQLite's write lock at the start (``BEGIN IMMEDIATE``) so concurrent writers queue
    instead of failing; on PostgreSQL it changes nothing. Database errors leave as :class:`StorageError` with the
    driver's reason but never the URL's password.
    """
    session = factory()
    try:
        try:
            if write and session.get_bind().dialect.name == "sqlite":
                session.connection(execution_options={SQLITE_BEGIN: "IMMEDIATE"})
            yield session
            session.commit()
        except OperationalError as exc:
            session.rollback()
            raise StorageError(f"database error: {_reason(exc)}", user_message="the database is unavailable") from exc
        except BaseException:
            session.rollback()
            raise
    finally:
        session.close()


def _reason(exc: DBAPIError) -> str:
    return str(exc.orig).strip().splitlines()[0] if exc.orig is not None else type(exc).__name__


def check_connection(engine: Engine) -> None:
    """Connect once and run ``SELECT 1``; a database that cannot be reached is a clear :class:`StorageError`."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except DBAPIError as exc:
        where = safe_url(engine.url)
        raise StorageError(
            f"cannot reach the database at {where}: {_reason(exc)}",
            user_message=f"cannot reach the database at {where}",
        ) from None
