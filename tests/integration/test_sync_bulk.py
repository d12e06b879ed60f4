"""The bulk paths of ingest and recompute keep the pipeline's guarantees, on SQLite and PostgreSQL.

A row inserted by another writer between the lookup and the insert is treated as existing; a license that
cannot be evaluated stays queued with its reason while the rest of its chunk is recomputed; a change stored while
a drain holds a license queues it again; completions built from a catalog template equal validated ones.
"""

from __future__ import annotations

import threading
from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import func, select, text

from cebridge.domain.completion import CreditOffering
from cebridge.domain.records import CompletionRecord
from cebridge.services import people
from cebridge.store.db import SessionFactory, transaction
from cebridge.store.tables import AuditEntry, CompletionRow, ComplianceSnapshot, LicenseRow, PendingRecompute
from cebridge.sync import ingest as ingest_module
from cebridge.sync.ingest import Origin, ingest, queue_recompute
from cebridge.sync.mapping import completion_template, to_completion
from cebridge.sync.pipeline import _load, sync_connector
from tests.integration.helpers import add_clinicians, catalog, license_json, setup_provider
from tests.integration.provider import ProviderServer, Site


def _origin(factory: SessionFactory) -> Origin:
    with transaction(factory, write=False) as s:
        return _load(s, "testlms")[1]


def test_rows_a_concurrent_writer_inserted_first_are_updated_not_duplicated(
    factory: SessionFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = Site(30, learners=3, courses=3)
    setup_provider(factory, "http://127.0.0.1:9/unused", courses=3)
    add_clinicians(factory, range(3))
    origin = _origin(factory)
    records = [CompletionRecord.model_validate(site.record(i)) for i in range(30)]
    with transaction(factory) as s:
        first = ingest(s, origin, records)
    assert (first.new, first.unmatched) == (30, 0)

    site.overrides[4] = {"status": "revoked"}
    again = [CompletionRecord.model_validate(site.record(i)) for i in range(30)]
    real = ingest_module._existing
    calls: list[int] = []

    def blind_first(conn: Any, items: Any) -> Any:
        calls.append(len(items))
        return {} if len(calls) == 1 else real(conn, items)  # the rows "appear" after the first lookup

    monkeypatch.setattr(ingest_module, "_existing", blind_first)
    with transaction(factory) as s:
        second = ingest(s, origin, again)
    assert calls == [30, 30]  # every insert collided, so all 30 were looked up again
    assert (second.new, second.changed, second.revoked, second.unchanged) == (0, 1, 1, 29)
    with transaction(factory, write=False) as s:
        assert s.scalar(select(func.count()).select_from(CompletionRow)) == 30
        r4 = s.scalar(select(CompletionRow).where(CompletionRow.external_id == "r4"))
        assert r4 is not None and r4.version == 2 and r4.revoked_at is not None
        revoked = s.scalars(select(AuditEntry).where(AuditEntry.action == "completion.revoked")).all()
        assert [e.entity_id for e in revoked] == [r4.id]
        assert revoked[0].before is not None and revoked[0].before["version"] == 1
        assert revoked[0].after is not None and revoked[0].after["version"] == 2


def test_a_license_missing_a_fact_stays_queued_while_its_chunk_is_recomputed(factory: SessionFactory) -> None:
    site = Site(60, learners=3, courses=3)
    with ProviderServer(site) as server:
        setup_provider(factory, server.url, courses=3)
        clinicians = add_clinicians(factory, [0, 2])
        with transaction(factory) as s:
            lacking = people.add_clinician(s, name="No cycle", email="learner1@example.org")
            data = license_json("LPC 70001")
            del data["cycle"], data["issued_on"]
            people.add_license(s, lacking, data, where="license")
            lacking_id = lacking.id
        summary = sync_connector(factory, "testlms")
    assert summary.outcome == "ok"
    assert summary.errors == ["1 license(s) could not be evaluated; see `cebridge report`"]
    assert summary.recomputed == 2
    with transaction(factory, write=False) as s:
        snapped = set(s.scalars(select(LicenseRow.clinician_id).join(ComplianceSnapshot)))
        assert snapped == set(clinicians.values())
        waiting = s.execute(select(PendingRecompute.license_id, PendingRecompute.last_error)).all()
        lic_id = s.scalar(select(LicenseRow.id).where(LicenseRow.clinician_id == lacking_id))
    assert len(waiting) == 1 and waiting[0][0] == lic_id
    assert "issued_on" in (waiting[0][1] or "")


def _requeue(factory: SessionFactory, clinician: int) -> None:
    with transaction(factory) as s:
        queue_recompute(s, [clinician])


@pytest.mark.postgres
def test_a_change_stored_while_a_drain_holds_the_license_queues_it_again(pg_url: str) -> None:
    from cebridge.store.db import make_engine, session_factory
    from cebridge.store.migrate import upgrade

    engine = make_engine(pg_url)
    upgrade(engine)
    factory = session_factory(engine)
    try:
        clinician = add_clinicians(factory, range(1))[0]
        with transaction(factory) as s:
            lic_id = s.scalar(select(LicenseRow.id))
            queue_recompute(s, [clinician])
        writer = threading.Thread(target=_requeue, args=(factory, clinician))
        with engine.connect() as drainer:
            drainer.execute(text("SELECT license_id FROM pending_recomputes FOR UPDATE"))  # a drain holds it
            writer.start()
            writer.join(timeout=1.0)
            waited = writer.is_alive()
            drainer.execute(text("DELETE FROM pending_recomputes WHERE license_id = :i"), {"i": lic_id})
            drainer.commit()
        writer.join(timeout=30)
        assert waited, "the re-queue must wait for the drain, not be skipped"
        with transaction(factory, write=False) as s:
            assert list(s.scalars(select(PendingRecompute.license_id))) == [lic_id]
    finally:
        engine.dispose()


def test_completions_from_a_template_equal_validated_ones() -> None:
    entry = {k: v for k, v in catalog(3)[0].items() if k != "keys"}
    offering = CreditOffering.model_validate(entry)
    template = completion_template(offering)
    row = SimpleNamespace(id=7, status="completed", completed_on=date(2024, 2, 3), revoked_at=None)
    fast, slow = to_completion(row, template), to_completion(row, offering)
    assert fast is not None and fast == slow
    assert fast.id == "7" and fast.completed_on == date(2024, 2, 3) and fast.categories == ["ethics"]
    other = to_completion(SimpleNamespace(**{**vars(row), "id": 8}), template)
    assert other is not None and other.categories is not fast.categories  # no shared mutable values
    for unearned in ({"status": "failed"}, {"revoked_at": date(2024, 3, 1)}, {"completed_on": None}):
        changed = SimpleNamespace(**{**vars(row), **unearned})
        assert to_completion(changed, template) is None and to_completion(changed, offering) is None


def test_audit_values_are_converted_as_the_audit_log_converts_them() -> None:
    from datetime import UTC, datetime
    from decimal import Decimal

    from cebridge.services.audit import jsonable
    from cebridge.sync.ingest import _plain

    values = {
        "hours": Decimal("2.50"),
        "score": None,
        "completed_at": datetime(2024, 1, 2, 3, 4, tzinfo=UTC),
        "completed_on": date(2024, 1, 2),
        "version": 3,
        "status": "completed",
    }
    assert _plain(values) == jsonable(values)


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"raw": {"note": 'tab\t "quoted" é ✓ \\', "nested": {"b": [1, 2.5, None], "a": True}}, "score": "97.50"},
        {"completed_at": None, "status": "in_progress", "learner": {"email": "X@Example.org", "name": "Zoë"}},
    ],
)
def test_the_hash_built_from_stored_pieces_is_the_canonical_hash(overrides: dict[str, Any]) -> None:
    import json

    from cebridge.sync.ingest import _prepare, canonical_json, record_hash

    record = CompletionRecord.model_validate(Site(1).record(0) | overrides)
    (item,) = _prepare([record]).values()
    assert item.digest == record_hash(record)
    data = record.model_dump(mode="json")
    for name in ("learner", "course", "raw"):
        assert item.parts[name] == canonical_json(data[name]) and json.loads(item.parts[name]) == data[name]
