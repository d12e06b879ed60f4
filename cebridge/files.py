"""Two file habits the key store, the certificate ledger and the file sinks share.

``atomic_write`` replaces a file so that a reader sees the old or the new content, never a part of it (a key, a
ledger, a roster); ``exclusive_lock`` serialises writers across processes with an advisory lock file.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


def atomic_write(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Write ``data`` to ``path`` through a synced temporary file in the same directory, then rename it.

    The temporary file gets ``mode`` before any byte is written, so a private key is never readable by others,
    not even for a moment. Errors are the ``OSError`` of the step that failed; the temporary file is removed.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def exclusive_lock(lock_file: Path) -> Iterator[None]:
    """Hold an exclusive advisory lock on ``lock_file`` (created with mode 0600) for the block.

    The lock is the kernel's, so it is released when the holder exits, even by ``kill -9``.
    """
    fd = os.open(lock_file, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
