"""Decode a CSV file and turn its rows into CompletionRecords, one row at a time.

A bad row never stops the file: it becomes a :class:`~connectors.base.RecordProblem` with its line number
and reason, and the good rows go on. A file-level fault (cannot decode, a mapped column missing from the
header) is an :class:`~cebridge.errors.InputError` that names the file.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from cebridge.domain.records import CompletionRecord, CourseRef, LearnerRef, RecordStatus
from cebridge.errors import InputError
from connectors.csv.config import DEFAULT_STATUS_WORDS, CsvConfig
from connectors.values import to_decimal

__all__ = ["CsvFile", "Row", "decode", "read_file"]

BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))


@dataclass(frozen=True)
class CsvFile:
    """The file's text, its fingerprint and the encoding used."""

    path: Path
    data: bytes
    text: str
    encoding: str

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class Row:
    """One data row: its physical line number and either a record (with its duplicate key) or why not."""

    line: int
    record: CompletionRecord | None
    key: str | None
    problem: str | None


def read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"CSV file {str(path)!r}: cannot read: {exc.strerror or exc}") from None


def decode(path: Path, data: bytes, declared: str | None) -> CsvFile:
    """Text of the file: a BOM decides (UTF-8, UTF-16), else the declared encoding, else strict UTF-8."""
    encoding = declared or "utf-8"
    for bom, name in BOMS:
        if data.startswith(bom):
            encoding = name
            break
    else:
        if encoding == "utf-8-sig":
            encoding = "utf-8"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        hint = "" if declared else '; if it was saved by Excel on Windows, set "encoding": "cp1252"'
        raise InputError(
            f"CSV file {path.name!r} is not valid {encoding} (byte 0x{data[exc.start]:02x} on line {line}){hint}"
        ) from None
    return CsvFile(path, data, text.removeprefix("\ufeff"), encoding)


class RowReader:
    """Reads rows of one decoded file according to the config's column map."""

    def __init__(self, config: CsvConfig, source: str) -> None:
        self.config = config
        self.source = source
        self.zone = ZoneInfo(config.timezone)
        self.words = {_norm(k): v for k, v in {**DEFAULT_STATUS_WORDS, **config.status_words}.items()}

    def rows(self, file: CsvFile) -> Iterator[Row]:
        reader = csv.reader(io.StringIO(file.text, newline=""), delimiter=self.config.delimiter)
        try:
            header = next(reader)
        except StopIteration:
            raise InputError(f"CSV file {file.path.name!r} is empty (no header row)") from None
        except csv.Error as exc:
            raise InputError(f"CSV file {file.path.name!r}: header row: {exc}") from None
        index = self._index(file, header)
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield Row(reader.line_num, None, None, f"unreadable row: {exc}")
                continue
            if not any(c.strip() for c in cells):
                continue  # blank line
            yield self._row(reader.line_num, cells, index, len(header))

    def _index(self, file: CsvFile, header: list[str]) -> dict[str, int]:
        positions = {h.strip().lower(): i for i, h in enumerate(header)}
        index: dict[str, int] = {}
        missing = []
        for field, column in self.config.columns.mapped().items():
            pos = positions.get(column.strip().lower())
            if pos is None:
                missing.append(f"{column!r} (for {field})")
            else:
                index[field] = pos
        if missing:
            raise InputError(
                f"CSV file {file.path.name!r}: header lacks column {', '.join(missing)}; "
                f"it has {', '.join(repr(h) for h in header)}"
            )
        return index

    def _row(self, line: int, cells: list[str], index: dict[str, int], width: int) -> Row:
        if len(cells) != width:
            return Row(line, None, None, f"has {len(cells)} cells, the header has {width}")
        get = {field: cells[pos].strip() for field, pos in index.items()}
        try:
            record, key = self._record(get, line)
        except ValueError as exc:
            return Row(line, None, None, str(exc))
        return Row(line, record, key, None)

    def _record(self, get: dict[str, str], line: int) -> tuple[CompletionRecord, str]:
        course_id = get.get("course_id", "")
        if not course_id:
            raise ValueError("course id is empty")
        email = get.get("email") or None
        if email is not None and ("@" not in email or " " in email):
            raise ValueError(f"e-mail {email!r} is not an address")
        license_number = get.get("license_number") or None
        platform_id = get.get("platform_user_id") or None
        learner_key = email.lower() if email else (license_number or platform_id)
        if learner_key is None:
            raise ValueError("no learner: e-mail, license number and user id are all empty")
        completed_at = self._when(get.get("completed_at", ""))
        status = self._status(get.get("status"))
        score = _number(get.get("score"), "score")
        hours = _number(get.get("hours"), "hours")
        if hours is not None and hours < 0:
            raise ValueError(f"hours {get.get('hours')!r} is negative")
        external_id = get.get("external_id") if self.config.columns.external_id else None
        if self.config.columns.external_id and not external_id:
            raise ValueError("external id is empty")
        day = completed_at.date().isoformat() if completed_at else "-"
        key = external_id or f"{course_id}|{learner_key}|{day}"
        raw: dict[str, Any] = {"line": line, **get}
        try:
            record = CompletionRecord(
                source=self.source,
                external_id=external_id or hashlib.sha256(key.encode()).hexdigest()[:32],
                learner=LearnerRef(
                    platform_user_id=platform_id,
                    email=email,
                    license_number=license_number,
                    name=get.get("learner_name") or None,
                ),
                course=CourseRef(
                    external_id=course_id,
                    title=get.get("course_title") or None,
                    sis_id=get.get("course_sis_id") or None,
                ),
                status=status,
                completed_at=completed_at,
                score=score,
                hours=hours,
                raw=raw,
            )
        except ValidationError as exc:
            first = exc.errors(include_url=False, include_input=False)[0]
            raise ValueError(f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}") from None
        return record, key

    def _when(self, text: str) -> datetime:
        if not text:
            raise ValueError("completion date is empty")
        try:
            if self.config.date_format:
                parsed = datetime.strptime(text, self.config.date_format)
                if "%H" not in self.config.date_format and "%I" not in self.config.date_format:
                    parsed = datetime.combine(parsed.date(), time(12, 0))
            elif len(text) == 10:
                parsed = datetime.combine(datetime.strptime(text, "%Y-%m-%d").date(), time(12, 0))
            else:
                parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            fmt = self.config.date_format or "YYYY-MM-DD or ISO 8601"
            raise ValueError(f"completion date {text!r} does not match {fmt}") from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=self.zone)
        return parsed

    def _status(self, text: str | None) -> RecordStatus:
        if not self.config.columns.status:
            return self.config.default_status
        if not text:
            raise ValueError("status is empty")
        status = self.words.get(_norm(text))
        if status is None:
            raise ValueError(f"status {text!r} is not one of {', '.join(sorted(self.words))}")
        return status


def _norm(word: str) -> str:
    return word.strip().lower().replace(" ", "").replace("-", "").replace("_", "")


def _number(text: str | None, what: str) -> Any:
    if not text:
        return None
    try:
        return to_decimal(text)
    except ValueError:
        raise ValueError(f"{what} {text!r} is not a number") from None
