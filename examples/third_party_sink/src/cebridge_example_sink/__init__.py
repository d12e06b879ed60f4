"""An example third-party sink: one CSV row per piece of outbox work, for a spreadsheet or an auditor.

Registered with nothing but an entry point (``csv_ledger`` in ``cebridge.sinks``). Config::

    {"path": "/var/lib/cebridge/ledger.csv"}

Columns: ``key, kind, license_number, board, compliant, hours_counted, hours_required, completion_id``. A sink is
called at least once per item, so the idempotency key (first column) is checked before a row is written: a
retried delivery leaves one row. A disk fault raises ``SinkUnavailable`` (the outbox retries with backoff); a
kind this ledger does not record raises ``SinkRejected`` (dead letter, nothing retried).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cebridge.errors import ConfigError, SinkRejected, SinkUnavailable

COLUMNS = ["key", "kind", "license_number", "board", "compliant", "hours_counted", "hours_required", "completion_id"]
KINDS = ("compliance.updated", "certificate.issue", "certificate.revoke")


class CsvLedgerSink:
    """Entry point ``csv_ledger``: append a row per delivered item, once per idempotency key."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        path = config.get("path")
        if not isinstance(path, str) or not path:
            raise ConfigError("csv_ledger sink config needs 'path', the CSV file to append to")
        self.path = Path(path)

    def _keys(self) -> set[str]:
        if not self.path.exists():
            return set()
        with self.path.open(newline="", encoding="utf-8") as fh:
            return {row["key"] for row in csv.DictReader(fh)}

    def deliver(self, kind: str, payload: dict[str, Any], idempotency_key: str) -> None:
        if kind not in KINDS:
            raise SinkRejected(f"csv_ledger records {', '.join(KINDS)}, not {kind!r}")
        report = payload.get("report") or {}
        total = report.get("total") or {}
        row = {
            "key": idempotency_key,
            "kind": kind,
            "license_number": payload.get("license_number") or "",
            "board": payload.get("board") or "",
            "compliant": "" if not report else str(bool(report.get("compliant"))).lower(),
            "hours_counted": total.get("counted", ""),
            "hours_required": total.get("required", ""),
            "completion_id": payload.get("completion_id", ""),
        }
        try:
            if idempotency_key in self._keys():
                return
            new = not self.path.exists() or self.path.stat().st_size == 0
            with self.path.open("a", newline="", encoding="utf-8") as fh:
                writer = csv.DictWriter(fh, fieldnames=COLUMNS)
                if new:
                    writer.writeheader()
                writer.writerow(row)
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:
            raise SinkUnavailable(f"cannot append to {self.path.name}: {exc.strerror}") from None
