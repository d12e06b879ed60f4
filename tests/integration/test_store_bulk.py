"""``bulk_insert`` stores exactly what the ORM would, on SQLite and on PostgreSQL's COPY path."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError

from cebridge.services.orgs import get_org
from cebridge.store.bulk import COPY_MIN_ROWS, bulk_insert
from cebridge.store.db import SessionFactory, transaction
from cebridge.store.tables import AuditEntry, CompletionRow

TABLE = CompletionRow.__table__
TRICKY = {"note": "tab\there, new\nline, back\\slash, quote \" and 'é' ✓", "n": [1, 2.5, None, True]}


def _rows(org_id: int, count: int, start: int = 0) -> list[dict[str, Any]]:
    at = datetime(2024, 5, 1, 12, 30, tzinfo=timezone(timedelta(hours=-5)))
    return [
        {
            "source": "bulk.test",
            "external_id": f"b{i}",
            "organization_id": org_id,
            "match_status": "unmatched",
            "status": "completed",
            "completed_at": at,
            "completed_on": date(2024, 5, 1),
            "score": Decimal("97.50"),
            "hours": None,
            "learner": {"email": f"b{i}@example.org", "name": None},
            "course": {"external_id": "c1"},
            "raw": TRICKY | {"i": i},
            "record_hash": "0" * 64,
            "version": 1,
            "created_at": at,
            "updated_at": at,
        }
        for i in range(start, start + count)
    ]


def _org(factory: SessionFactory) -> int:
    with transaction(factory) as s:
        return get_org(s, None).id


@pytest.mark.parametrize("count", [3, COPY_MIN_ROWS + 10, 2500])  # 2,500 rows: several statements on SQLite
def test_rows_round_trip_and_conflicts_are_skipped(factory: SessionFactory, count: int) -> None:
    org = _org(factory)
    keys = (TABLE.c.id, TABLE.c.source, TABLE.c.external_id)
    with transaction(factory) as s:
        first = bulk_insert(
            s.connection(), TABLE, _rows(org, count), conflict=("source", "external_id"), returning=keys
        )
    assert sorted(e for _, _, e in first) == sorted(f"b{i}" for i in range(count))
    with transaction(factory) as s:  # half collide, half are new; twice in one transaction
        conn = s.connection()
        again = bulk_insert(
            conn, TABLE, _rows(org, count, count // 2), conflict=("source", "external_id"), returning=keys
        )
        more = bulk_insert(conn, TABLE, _rows(org, 2, 10_000), conflict=("source", "external_id"), returning=keys)
    assert sorted(int(e[1:]) for _, _, e in again) == list(range(count, count + count // 2))
    assert len(more) == 2
    with transaction(factory, write=False) as s:
        assert s.scalar(select(func.count()).select_from(CompletionRow)) == count + count // 2 + 2
        row = s.scalar(select(CompletionRow).where(CompletionRow.external_id == "b1"))
    assert row is not None and row.id == next(i for i, _, e in first if e == "b1")
    assert row.raw == TRICKY | {"i": 1}
    assert row.score == Decimal("97.50") and row.hours is None
    assert row.completed_at == datetime(2024, 5, 1, 17, 30, tzinfo=UTC)
    assert row.learner == {"email": "b1@example.org", "name": None}


def test_without_conflict_or_returning_and_empty(factory: SessionFactory) -> None:
    entries = [
        {"at": datetime(2024, 1, 1, tzinfo=UTC), "actor": "t", "action": "x", "entity": "e", "after": {"i": i}}
        for i in range(COPY_MIN_ROWS * 2)
    ]
    with transaction(factory) as s:
        assert bulk_insert(s.connection(), AuditEntry.__table__, entries) == []
        assert bulk_insert(s.connection(), AuditEntry.__table__, []) == []
    with transaction(factory, write=False) as s:
        stored = sorted(a["i"] for a in s.scalars(select(AuditEntry.after)) if a is not None)
    assert stored == list(range(COPY_MIN_ROWS * 2))


def test_a_refused_row_raises_and_leaves_nothing(factory: SessionFactory, engine: Engine) -> None:
    org = _org(factory)
    rows = _rows(org, COPY_MIN_ROWS + 1)
    rows[-1]["organization_id"] = org + 999  # no such organization
    with pytest.raises(IntegrityError), transaction(factory) as s:
        bulk_insert(s.connection(), TABLE, rows)
    with transaction(factory, write=False) as s:
        assert s.scalar(select(func.count()).select_from(CompletionRow)) == 0
    with transaction(factory) as s:  # the connection is usable again and its staging table is empty
        bulk_insert(s.connection(), TABLE, _rows(org, COPY_MIN_ROWS + 1))
    with transaction(factory, write=False) as s:
        assert s.scalar(select(func.count()).select_from(CompletionRow)) == COPY_MIN_ROWS + 1


@pytest.mark.parametrize("count", [3, COPY_MIN_ROWS + 10])
def test_serialized_json_is_stored_as_it_is(factory: SessionFactory, count: int) -> None:
    import json

    from cebridge.store.types import JSONText

    org = _org(factory)
    rows = _rows(org, count)
    for row in rows:
        row["raw"] = JSONText(json.dumps(row["raw"], sort_keys=True, separators=(",", ":")))
    with transaction(factory) as s:
        bulk_insert(s.connection(), TABLE, rows)
    with transaction(factory, write=False) as s:
        raws = {row.external_id: row.raw for row in s.execute(select(CompletionRow.external_id, CompletionRow.raw))}
    assert raws == {f"b{i}": TRICKY | {"i": i} for i in range(count)}  # parsed back, not a JSON string


def test_rows_with_and_delete_with_touch_exactly_the_given_keys(factory: SessionFactory) -> None:
    from cebridge.store.dialect import delete_with, rows_with

    org = _org(factory)
    with transaction(factory) as s:
        bulk_insert(s.connection(), TABLE, _rows(org, 30))
    wanted = [f"b{i}" for i in range(0, 30, 3)] + ["missing"]
    with transaction(factory) as s:
        conn = s.connection()
        cols = (TABLE.c.external_id, TABLE.c.version)
        found = conn.execute(rows_with(conn, cols, TABLE.c.external_id, wanted, TABLE.c.source == "bulk.test")).all()
        other = conn.execute(rows_with(conn, cols, TABLE.c.external_id, wanted, TABLE.c.source == "elsewhere")).all()
        conn.execute(delete_with(conn, TABLE, TABLE.c.external_id, wanted[:5]))
    assert sorted(e for e, _ in found) == sorted(wanted[:-1]) and other == []
    with transaction(factory, write=False) as s:
        left = set(s.scalars(select(CompletionRow.external_id)))
    assert left == {f"b{i}" for i in range(30)} - set(wanted[:5])
