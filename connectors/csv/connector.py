"""The CSV / spreadsheet connector: a file of completions, mapped column by column, validated row by row.

State of the ``rows`` stream::

    {"fingerprint": "<sha256 of the file as last read>", "size": <bytes>, "rows_done": <last line handed over>}

Reading the same file again emits nothing new. A file that grew by appending (its first ``size`` bytes still
hash to ``fingerprint``) goes on after ``rows_done``. Any other change is a new file, read from the top
(records keep their ids, so the store does not duplicate them).

Duplicates: two rows with the same key (the ``external_id`` column, or course + learner + completion day)
are one fact: the first is emitted, each later one is reported as a duplicate of the first's line.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import requests

from cebridge.domain.records import CompletionRecord
from cebridge.errors import CebridgeError
from connectors.base import Batch, CheckResult, Connector, ConnectorConfig, RecordProblem, Stream
from connectors.csv.config import CsvConfig
from connectors.csv.rows import RowReader, decode, read_file

__all__ = ["CsvConnector", "CsvSummary"]


@dataclass
class CsvSummary:
    """What the last read did: rows seen, records emitted, rows rejected (of which duplicates)."""

    rows: int = 0
    ingested: int = 0
    rejected: int = 0
    duplicates: int = 0
    skipped_already_read: int = 0
    problems: list[RecordProblem] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "ingested": self.ingested,
            "rejected": self.rejected,
            "duplicates": self.duplicates,
            "skipped_already_read": self.skipped_already_read,
            "problems": [{"line": p.line, "reason": p.reason} for p in self.problems],
        }


class RowsStream(Stream):
    name = "rows"
    primary_key = ("source", "external_id")
    cursor_field = "line"

    def __init__(self, config: CsvConfig, source: str, summary: CsvSummary) -> None:
        self.config = config
        self.source = source
        self.summary = summary

    def read(self, state: Mapping[str, Any]) -> Iterator[Batch]:
        own = self.own_state(state)
        path = Path(self.config.path).expanduser()
        data = read_file(path)
        fingerprint = hashlib.sha256(data).hexdigest()
        done = int(own.get("rows_done") or 0)
        if own.get("fingerprint") != fingerprint:
            size = int(own.get("size") or 0)
            appended = 0 < size < len(data) and hashlib.sha256(data[:size]).hexdigest() == own.get("fingerprint")
            if not appended:
                done = 0
        file = decode(path, data, self.config.encoding)
        reader = RowReader(self.config, self.source)
        first_line: dict[str, int] = {}
        records: list[CompletionRecord] = []
        problems: list[RecordProblem] = []
        pending_rows = 0
        last_line = done
        whole = dict(state)

        def position(line: int) -> dict[str, Any]:
            return {"fingerprint": fingerprint, "size": len(data), "rows_done": line}

        for row in reader.rows(file):
            earlier = first_line.get(row.key) if row.key is not None else None
            if row.key is not None and earlier is None:
                first_line[row.key] = row.line
            if row.line <= done:
                self.summary.skipped_already_read += 1
                continue
            self.summary.rows += 1
            pending_rows += 1
            last_line = row.line
            if row.problem is not None or row.record is None:
                problem = RecordProblem(where=f"line {row.line}", reason=row.problem or "unreadable", line=row.line)
            elif earlier is not None:
                self.summary.duplicates += 1
                problem = RecordProblem(
                    where=f"line {row.line}", reason=f"duplicate of line {earlier} (same key)", line=row.line
                )
            else:
                records.append(row.record)
                self.summary.ingested += 1
                problem = None
            if problem is not None:
                problems.append(problem)
                self.summary.problems.append(problem)
                self.summary.rejected += 1
            if pending_rows >= self.config.batch_size:
                batch = self.batch(records, whole, position(last_line), tuple(problems))
                whole = batch.state
                yield batch
                records, problems, pending_rows = [], [], 0
        batch = self.batch(records, whole, position(last_line), tuple(problems))
        yield batch


class CsvConnector(Connector):
    """Reads completions from a CSV file (a spreadsheet export, a certificate log)."""

    name: ClassVar[str] = "csv"
    title: ClassVar[str] = "CSV / spreadsheet file"
    config_model: ClassVar[type[ConnectorConfig]] = CsvConfig

    def __init__(self, config: ConnectorConfig, *, session: requests.Session | None = None) -> None:
        super().__init__(config, session=session)
        assert isinstance(config, CsvConfig)
        self.cfg = config
        self.last_summary = CsvSummary()

    def default_source(self) -> str:
        return f"csv:{Path(self.cfg.path).name}"

    @property
    def problems(self) -> list[RecordProblem]:
        """Bad rows found by the last :meth:`read`, each with its line number and reason."""
        return self.last_summary.problems

    def summary(self) -> dict[str, Any]:
        """Counts of the last :meth:`read` and its problems, JSON-able."""
        return self.last_summary.as_dict()

    def streams(self) -> list[Stream]:
        return [RowsStream(self.cfg, self.source, self.last_summary)]

    def read(self, state: Mapping[str, Any] | None = None) -> Iterator[Batch]:
        self.last_summary = CsvSummary()
        return super().read(state)

    def check(self) -> CheckResult:
        """The file can be read and decoded, and its header has every mapped column."""
        path = Path(self.cfg.path).expanduser()
        try:
            file = decode(path, read_file(path), self.cfg.encoding)
            rows = RowReader(self.cfg, self.source).rows(file)
            first = next(rows, None)
        except CebridgeError as exc:
            return CheckResult(False, exc.user_message)
        lines = file.text.count("\n")
        what = "no data rows" if first is None else f"about {lines} lines"
        return CheckResult(True, f"CSV file {path.name!r} ({file.encoding}): header matches the column map; {what}")
