"""The CSV connector: per-row validation with line numbers, encodings, duplicates, resumable file state."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from cebridge.errors import InputError
from connectors.csv import CsvConfig, CsvConnector

COLUMNS = {
    "course_id": "Course ID",
    "course_title": "Course",
    "email": "Email",
    "license_number": "License",
    "learner_name": "Name",
    "completed_at": "Completed",
    "status": "Status",
    "hours": "CE Hours",
    "score": "Score",
}
HEADER = "Course ID,Course,Email,License,Name,Completed,Status,CE Hours,Score\n"


def make(path: Path, **kw: Any) -> CsvConnector:
    return CsvConnector(CsvConfig(path=str(path), columns=kw.pop("columns", COLUMNS), **kw))


def read_all(c: CsvConnector, state: dict[str, Any] | None = None) -> tuple[list[Any], dict[str, Any]]:
    batches = list(c.read(state))
    return [r for b in batches for r in b.records], batches[-1].state


def test_good_rows_are_ingested_and_each_bad_row_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "completions.csv"
    path.write_text(
        HEADER
        + "ETH-1,Ethics,jordan@example.org,LPC 1,Jordan,2024-05-01,completed,3,95\n"  # line 2: good
        + "ETH-1,Ethics,not-an-email,LPC 2,Sam,2024-05-01,completed,3,\n"  # 3: bad e-mail
        + "ETH-2,Law,sam@example.org,,Sam,05/01/2024,completed,2,\n"  # 4: bad date
        + ",Law,kim@example.org,,Kim,2024-05-02,completed,2,\n"  # 5: no course
        + "ETH-2,Law,kim@example.org,,Kim,2024-05-02,finished?,2,\n"  # 6: unknown status
        + "ETH-2,Law,lee@example.org,,Lee,2024-05-02,passed,-1,\n"  # 7: negative hours
        + '"ETH-3","Suicide\nPrevention",ana@example.org,,Ana,2024-05-03T09:30:00-05:00,In Progress,6,\n'  # 8-9
        + "ETH-3,Short row\n"  # 10: wrong width
        + ",,,,,,,,\n"  # 11: blank, ignored
        + "ETH-4,Telehealth,,,,2024-05-04,completed,1,\n"  # 12: no learner
    )
    c = make(path)
    records, _ = read_all(c)
    assert [(r.course.external_id, r.learner.email, r.status) for r in records] == [
        ("ETH-1", "jordan@example.org", "completed"),
        ("ETH-3", "ana@example.org", "in_progress"),
    ]
    first = records[0]
    assert first.hours == Decimal("3") and first.score == Decimal("95") and first.learner.license_number == "LPC 1"
    assert first.completed_at == datetime(2024, 5, 1, 12, 0, tzinfo=UTC)  # a bare date is noon in the file's zone
    assert records[1].completed_at == datetime(2024, 5, 3, 14, 30, tzinfo=UTC)
    assert records[1].course.title == "Suicide\nPrevention"
    report = {p.line: p.reason for p in c.problems}
    assert sorted(report) == [3, 4, 5, 6, 7, 10, 12]
    assert "not-an-email" in report[3]
    assert "05/01/2024" in report[4]
    assert "course id is empty" in report[5]
    assert "finished?" in report[6]
    assert "negative" in report[7]
    assert "cells" in report[10]
    assert "no learner" in report[12]
    summary = c.summary()
    assert (summary["rows"], summary["ingested"], summary["rejected"]) == (9, 2, 7)


def test_duplicate_rows_are_emitted_once_and_reported_once(tmp_path: Path) -> None:
    path = tmp_path / "dups.csv"
    row = "ETH-1,Ethics,jordan@example.org,,Jordan,2024-05-01,completed,3,\n"
    # the same course, learner (e-mail compared without case) and day: the same fact
    same = "ETH-1,ETHICS,JORDAN@EXAMPLE.ORG,,Jordan,2024-05-01,completed,3,\n"
    path.write_text(HEADER + row + "ETH-2,Law,jordan@example.org,,Jordan,2024-05-01,completed,1,\n" + same)
    c = make(path)
    records, _ = read_all(c)
    assert len(records) == 2
    dups = [p for p in c.problems if "duplicate" in p.reason]
    assert [(p.line, p.reason) for p in dups] == [(4, "duplicate of line 2 (same key)")]
    assert c.summary()["duplicates"] == 1


def test_an_external_id_column_is_the_key(tmp_path: Path) -> None:
    path = tmp_path / "ids.csv"
    path.write_text(
        "Id,Course ID,Email,Completed\n"
        "A1,ETH-1,a@example.org,2024-05-01\n"
        "A1,ETH-2,b@example.org,2024-05-02\n"
        ",ETH-3,c@example.org,2024-05-03\n"
    )
    columns = {"external_id": "Id", "course_id": "Course ID", "email": "Email", "completed_at": "Completed"}
    c = make(path, columns=columns)
    records, _ = read_all(c)
    assert [r.external_id for r in records] == ["A1"]
    assert [(p.line, p.reason) for p in c.problems] == [
        (3, "duplicate of line 2 (same key)"),
        (4, "external id is empty"),
    ]


def test_re_reading_the_same_file_emits_nothing_and_an_appended_file_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text(
        HEADER + "ETH-1,Ethics,a@example.org,,A,2024-05-01,completed,3,\nETH-1,Ethics,bad,,B,2024-05-01,completed,3,\n"
    )
    first, state = read_all(make(path, batch_size=1))
    assert len(first) == 1
    again = make(path)
    assert read_all(again, state)[0] == [] and again.problems == []  # nor are bad rows reported twice
    with path.open("a", encoding="utf-8") as f:
        f.write(
            "ETH-2,Law,c@example.org,,C,2024-05-02,completed,2,\nETH-1,Ethics,a@example.org,,A,2024-05-01,completed,3,\n"
        )
    more = make(path)
    added, state2 = read_all(more, state)
    assert [r.learner.email for r in added] == ["c@example.org"]
    assert [(p.line, p.reason) for p in more.problems] == [(5, "duplicate of line 2 (same key)")]
    assert state2["streams"]["rows"]["rows_done"] == 5


def test_a_rewritten_file_is_read_from_the_top_with_stable_ids(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text(HEADER + "ETH-1,Ethics,a@example.org,,A,2024-05-01,completed,3,\n")
    first, state = read_all(make(path))
    path.write_text(
        HEADER
        + "ETH-0,Intro,z@example.org,,Z,2024-04-01,completed,1,\n"
        + "ETH-1,Ethics,a@example.org,,A,2024-05-01,completed,3,\n"
    )
    second, _ = read_all(make(path), state)
    assert len(second) == 2 and second[1].external_id == first[0].external_id


def test_resuming_mid_file_from_a_batch_state(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    rows = "".join(f"C-{i},T,u{i}@example.org,,U,2024-05-01,completed,1,\n" for i in range(10))
    path.write_text(HEADER + rows)
    batches = list(make(path, batch_size=3).read({}))
    resumed = [r.learner.email for b in make(path, batch_size=3).read(batches[1].state) for r in b.records]
    assert resumed == [f"u{i}@example.org" for i in range(6, 10)]


def test_utf8_bom_and_declared_cp1252(tmp_path: Path) -> None:
    bom = tmp_path / "bom.csv"
    bom.write_bytes(
        ("\ufeff" + HEADER + "ETH-1,Éthique,josé@example.org,,José Núñez,2024-05-01,completed,3,\n").encode("utf-8")
    )
    (record,) = read_all(make(bom))[0]
    assert record.course.external_id == "ETH-1" and record.learner.name == "José Núñez"

    legacy = tmp_path / "excel.csv"
    legacy.write_bytes(
        (HEADER + "ETH-1,Ethics \u2013 Part 1,ana@example.org,,Ana Peña,2024-05-01,completed,3,\n").encode("cp1252")
    )
    with pytest.raises(InputError, match=r"not valid utf-8.*cp1252"):
        read_all(make(legacy))
    (record,) = read_all(make(legacy, encoding="cp1252"))[0]
    assert record.course.title == "Ethics \u2013 Part 1" and record.learner.name == "Ana Peña"

    utf16 = tmp_path / "u16.csv"
    utf16.write_bytes((HEADER + "ETH-1,Ethics,ana@example.org,,Ana,2024-05-01,completed,3,\n").encode("utf-16"))
    assert len(read_all(make(utf16))[0]) == 1


def test_latin1_declared(tmp_path: Path) -> None:
    path = tmp_path / "l1.csv"
    path.write_bytes((HEADER + "ETH-1,Ética,ana@example.org,,Ana,2024-05-01,completed,3,\n").encode("latin-1"))
    (record,) = read_all(make(path, encoding="latin-1"))[0]
    assert record.course.title == "Ética"


def test_a_header_missing_a_mapped_column_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("Course ID,Email\nETH-1,a@example.org\n")
    with pytest.raises(InputError, match="'Completed' \\(for completed_at\\)"):
        read_all(make(path))
    result = make(path).check()
    assert not result.ok and "Completed" in result.message


def test_custom_date_format_zone_and_status_words(tmp_path: Path) -> None:
    path = tmp_path / "us.csv"
    path.write_text("Course ID,Email,Completed,Result\nETH-1,a@example.org,05/01/2024,Attended\n")
    columns = {"course_id": "Course ID", "email": "Email", "completed_at": "Completed", "status": "Result"}
    c = make(
        path,
        columns=columns,
        date_format="%m/%d/%Y",
        timezone="America/Chicago",
        status_words={"attended": "completed"},
    )
    (record,) = read_all(c)[0]
    assert record.completed_at == datetime(2024, 5, 1, 17, 0, tzinfo=UTC) and record.status == "completed"


def test_config_errors() -> None:
    with pytest.raises(ValueError, match="learner column"):
        CsvConfig(path="x.csv", columns={"course_id": "C", "completed_at": "D"})
    with pytest.raises(ValueError, match="time zone"):
        CsvConfig(path="x.csv", columns=COLUMNS, timezone="Mars/Olympus")


def test_check_and_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "ok.csv"
    path.write_text(HEADER + "ETH-1,Ethics,a@example.org,,A,2024-05-01,completed,3,\n")
    assert make(path).check().ok
    missing = make(tmp_path / "missing.csv")
    assert not missing.check().ok
    with pytest.raises(InputError, match="cannot read"):
        read_all(missing)
