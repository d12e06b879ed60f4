"""Reading one batch ahead keeps order, bounds memory, forwards the connector's errors and stops cleanly;
a drain with a time budget leaves what it did not reach queued."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from cebridge.errors import ProviderUnavailable
from cebridge.store.db import SessionFactory, transaction
from cebridge.store.tables import ComplianceSnapshot, PendingRecompute
from cebridge.sync import pipeline
from cebridge.sync.compliance import drain
from cebridge.sync.ingest import queue_recompute
from cebridge.sync.readahead import ReadAhead
from tests.integration.helpers import add_clinicians, setup_provider
from tests.integration.provider import ProviderServer, Site


def test_batches_come_in_order_and_at_most_two_ahead() -> None:
    produced: list[int] = []

    def batches() -> Iterator[int]:
        for i in range(20):
            produced.append(i)
            yield i

    seen = []
    reader = ReadAhead(batches(), depth=1)
    for batch in reader:
        time.sleep(0.01)  # the consumer is slower: the producer waits instead of running ahead
        assert len(produced) - len(seen) <= 3  # one being stored, one queued, one being read
        seen.append(batch)
    reader.close()
    assert seen == list(range(20))


def test_a_connector_error_comes_after_the_batches_before_it() -> None:
    def batches() -> Iterator[int]:
        yield 1
        yield 2
        raise ProviderUnavailable("provider answered 503 for page 2")

    seen = []
    reader = ReadAhead(batches())
    with pytest.raises(ProviderUnavailable, match="503"):
        for batch in reader:
            seen.append(batch)
    reader.close()
    assert seen == [1, 2]


def test_closing_early_stops_the_reader_and_runs_the_connectors_cleanup() -> None:
    cleaned = threading.Event()

    def batches() -> Iterator[int]:
        try:
            i = 0
            while True:
                yield i
                i += 1
        finally:
            cleaned.set()

    reader = ReadAhead(batches())
    assert next(iter(reader)) == 0
    reader.close()
    assert cleaned.wait(5)
    assert not reader._thread.is_alive()


def test_a_drain_with_a_budget_leaves_the_rest_queued(factory: SessionFactory) -> None:
    clinicians = add_clinicians(factory, range(5))
    with transaction(factory) as s:
        queue_recompute(s, clinicians.values())
    assert drain(factory, budget=0).recomputed == 0
    assert drain(factory, chunk=2, budget=60).recomputed == 5  # a real budget reaches every chunk
    with transaction(factory, write=False) as s:
        assert s.scalar(select(func.count()).select_from(PendingRecompute)) == 0
        assert s.scalar(select(func.count()).select_from(ComplianceSnapshot)) == 5


def test_recomputes_during_a_sync_never_leave_work_behind(
    factory: SessionFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pipeline, "RECOMPUTE_EVERY", 0.0)  # a budgeted recompute after every batch
    site = Site(500, learners=10, courses=5)
    with ProviderServer(site) as server:
        setup_provider(factory, server.url, courses=5)
        add_clinicians(factory, range(10))
        summary = pipeline.sync_connector(factory, "testlms")
    assert (summary.outcome, summary.new, summary.batches) == ("ok", 500, 5)
    assert summary.recomputed >= 10
    with transaction(factory, write=False) as s:
        assert s.scalar(select(func.count()).select_from(PendingRecompute)) == 0
        assert s.scalar(select(func.count()).select_from(ComplianceSnapshot)) == 10
