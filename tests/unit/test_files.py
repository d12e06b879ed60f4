"""Atomic replacement and the cross-process lock shared by the key store, the ledger and the file sinks."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cebridge.files import atomic_write, exclusive_lock


def test_atomic_write_sets_the_mode_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "secret.pem"
    atomic_write(target, b"old")
    atomic_write(target, b"new", 0o600)
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert os.listdir(tmp_path) == ["secret.pem"]


def test_atomic_write_failure_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "index.json"
    atomic_write(target, b"kept")
    with pytest.raises(FileNotFoundError):
        atomic_write(tmp_path / "missing-dir" / "x", b"lost")
    assert target.read_bytes() == b"kept"
    assert os.listdir(tmp_path) == ["index.json"]


def test_exclusive_lock_serialises_processes(tmp_path: Path) -> None:
    lock = tmp_path / ".lock"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from cebridge.files import exclusive_lock\n"
            f"with exclusive_lock(Path({str(lock)!r})):\n    print('held', flush=True); time.sleep(1.0)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    start = time.monotonic()
    with exclusive_lock(lock):
        waited = time.monotonic() - start
    holder.wait(timeout=30)
    holder.stdout.close()
    assert waited > 0.3, "the lock was taken while another process held it"
