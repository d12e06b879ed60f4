"""One sync per connector at a time, across processes and machines.

PostgreSQL: a session-level advisory lock on a connection held for the whole sync. SQLite: an exclusive
``flock`` on a file beside the database. Both are released by the operating system or the server when the
holder dies (``kill -9`` included), so a crashed sync never blocks the next one. Correctness does not rest on
the lock alone: completions are unique by ``(source, external_id)`` and written with ``ON CONFLICT``.
"""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import Engine, text

from cebridge.errors import ConcurrencyConflict

#: High 32 bits of cebridge's advisory lock keys ("cebr"), so they do not collide with other applications'.
_NAMESPACE = 0x63656272
_memory_locks: dict[tuple[str, int], threading.Lock] = {}
_memory_guard = threading.Lock()


class SyncLock:
    """Context manager: hold the sync lock of one connector or raise :class:`ConcurrencyConflict`."""

    def __init__(self, engine: Engine, connector_id: int, name: str) -> None:
        self._engine = engine
        self._id = connector_id
        self._name = name
        self._conn: Any = None
        self._fd: int | None = None
        self._mem: threading.Lock | None = None

    def _busy(self) -> ConcurrencyConflict:
        return ConcurrencyConflict(f"connector {self._name!r} is already syncing in another process; try again later")

    def __enter__(self) -> SyncLock:
        if self._engine.dialect.name == "postgresql":
            self._conn = self._engine.connect()
            got = self._conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": (_NAMESPACE << 32) | self._id})
            if not got.scalar():
                self._conn.close()
                raise self._busy()
            self._conn.commit()
            return self
        database = self._engine.url.database
        if database in (None, "", ":memory:"):
            with _memory_guard:
                self._mem = _memory_locks.setdefault((str(id(self._engine)), self._id), threading.Lock())
            if not self._mem.acquire(blocking=False):
                raise self._busy()
            return self
        path = Path(f"{database}.sync-{self._id}.lock")
        fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise self._busy() from None
        self._fd = fd
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": (_NAMESPACE << 32) | self._id})
                self._conn.commit()
            finally:
                self._conn.close()
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
        if self._mem is not None:
            self._mem.release()
