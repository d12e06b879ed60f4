"""An example third-party cebridge connector: completion facts from a JSON Lines file."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field, ValidationError

from cebridge.domain.records import CompletionRecord, CourseRef, LearnerRef
from connectors import Batch, CheckResult, Connector, ConnectorConfig, RecordProblem, Stream

__all__ = ["JsonLinesConfig", "JsonLinesConnector"]


class JsonLinesConfig(ConnectorConfig):
    """Where the file is and how many lines go in one batch."""

    path: str = Field(min_length=1)
    batch_size: int = Field(default=50, ge=1)


class LinesStream(Stream):
    """One record per line; the state is the last line handed over."""

    name = "lines"
    primary_key = ("source", "external_id")
    cursor_field = "line"

    def __init__(self, config: JsonLinesConfig, source: str) -> None:
        self.config = config
        self.source = source

    def read(self, state: Mapping[str, Any]) -> Iterator[Batch]:
        done = int(self.own_state(state).get("line", 0))
        whole = dict(state)
        records: list[CompletionRecord] = []
        problems: list[RecordProblem] = []
        number = done
        lines = Path(self.config.path).read_text(encoding="utf-8").splitlines()
        for number, text in enumerate(lines, start=1):
            if number <= done or not text.strip():
                continue
            try:
                records.append(self._record(json.loads(text)))
            except (ValueError, KeyError, ValidationError) as exc:
                problems.append(RecordProblem(where=f"line {number}", reason=str(exc)[:200], line=number))
            if len(records) + len(problems) >= self.config.batch_size:
                batch = self.batch(records, whole, {"line": number}, tuple(problems))
                whole = batch.state
                yield batch
                records, problems = [], []
        yield self.batch(records, whole, {"line": max(number, done)}, tuple(problems))

    def _record(self, item: dict[str, Any]) -> CompletionRecord:
        return CompletionRecord(
            source=self.source,
            external_id=str(item["id"]),
            learner=LearnerRef(email=item.get("email"), license_number=item.get("license_number")),
            course=CourseRef(external_id=str(item["course"]), title=item.get("title")),
            status=item.get("status", "completed"),
            completed_at=datetime.fromisoformat(item["completed_at"].replace("Z", "+00:00")),
            hours=Decimal(str(item["hours"])) if item.get("hours") is not None else None,
            raw=item,
        )


class JsonLinesConnector(Connector):
    """Completions from a JSON Lines file."""

    name: ClassVar[str] = "example_jsonl"
    title: ClassVar[str] = "Example: JSON Lines file"
    config_model: ClassVar[type[ConnectorConfig]] = JsonLinesConfig

    def streams(self) -> list[Stream]:
        assert isinstance(self.config, JsonLinesConfig)
        return [LinesStream(self.config, self.source)]

    def check(self) -> CheckResult:
        assert isinstance(self.config, JsonLinesConfig)
        path = Path(self.config.path)
        if not path.is_file():
            return CheckResult(False, f"{path.name}: no such file")
        return CheckResult(True, f"{path.name}: readable")
