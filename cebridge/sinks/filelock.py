"""File helpers the file-writing sinks share: :mod:`cebridge.files` with its faults turned into retries."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from cebridge.errors import SinkUnavailable
from cebridge.files import atomic_write, exclusive_lock


@contextlib.contextmanager
def locked(directory: Path, name: str = ".lock") -> Iterator[None]:
    """Hold an exclusive lock on ``directory`` (across processes) for the block."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        lock = exclusive_lock(directory / name)
        lock.__enter__()
    except OSError as exc:
        raise SinkUnavailable(f"cannot use {directory}: {exc.strerror}") from None
    try:
        yield
    finally:
        lock.__exit__(None, None, None)


def replace_file(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Write ``data`` to ``path`` atomically; an I/O fault is a retriable :class:`SinkUnavailable`."""
    try:
        atomic_write(path, data, mode)
    except OSError as exc:
        raise SinkUnavailable(f"cannot write {path.name}: {exc.strerror}") from None
