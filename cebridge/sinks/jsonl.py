"""The ``jsonl`` sink: append each outbox item to a JSON-lines file, once per idempotency key.

Config: ``{"path": "/var/lib/cebridge/events.jsonl"}``. Each line is
``{"id": <idempotency key>, "kind": ..., "delivered_at": ..., "data": <payload>}``. A key already in the file is
not written again, so a retried delivery leaves one line. Appends are locked across processes and fsynced
before the delivery counts as done; a disk fault is retried by the outbox.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cebridge.errors import ConfigError, SinkUnavailable
from cebridge.sinks.filelock import locked


class JsonLinesSink:
    """Entry point ``jsonl`` in ``cebridge.sinks``."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        raw = config.get("path")
        if not isinstance(raw, str) or not raw:
            raise ConfigError("jsonl sink config needs 'path', the file to append to")
        self.path = Path(raw)
        self._seen: set[str] | None = None
        self._size = -1

    def _keys(self) -> set[str]:
        """Ids already in the file (re-read when another process has appended since)."""
        size = self.path.stat().st_size if self.path.exists() else 0
        if self._seen is None or size != self._size:
            seen: set[str] = set()
            if size:
                with self.path.open("r", encoding="utf-8") as fh:
                    for line in fh:
                        try:
                            seen.add(str(json.loads(line)["id"]))
                        except (ValueError, KeyError, TypeError):
                            continue  # a torn last line from a crash is ignored, not fatal
            self._seen, self._size = seen, size
        return self._seen

    def deliver(self, kind: str, payload: dict[str, Any], idempotency_key: str) -> None:
        line = json.dumps(
            {"id": idempotency_key, "kind": kind, "delivered_at": datetime.now(UTC).isoformat(), "data": payload},
            default=str,
            separators=(",", ":"),
        )
        with locked(self.path.parent, f".{self.path.name}.lock"):
            try:
                if idempotency_key in self._keys():
                    return
                with self.path.open("a+b") as fh:
                    if fh.tell() > 0:
                        fh.seek(-1, os.SEEK_END)
                        if fh.read(1) != b"\n":
                            fh.write(b"\n")  # end a line torn by a crash before adding ours
                    fh.write(line.encode("utf-8") + b"\n")
                    fh.flush()
                    os.fsync(fh.fileno())
                    self._size = fh.tell()
            except OSError as exc:
                raise SinkUnavailable(f"cannot append to {self.path.name}: {exc.strerror}") from None
            assert self._seen is not None
            self._seen.add(idempotency_key)
