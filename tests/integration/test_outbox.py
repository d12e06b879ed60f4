"""Outbox work is enqueued with the credit that caused it and delivered with retries, dead letters and replay."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from cebridge import outbox
from cebridge.cli import cli
from cebridge.errors import SinkRejected, SinkUnavailable
from cebridge.services import providers
from cebridge.store.db import SessionFactory, transaction
from cebridge.store.tables import OutboxItem
from cebridge.store.types import utcnow
from cebridge.sync.pipeline import sync_connector
from tests.integration.helpers import add_clinicians, setup_provider
from tests.integration.provider import ProviderServer, Site


class Receiver:
    """A receiver that dedupes by idempotency key, and can be told to fail."""

    def __init__(self) -> None:
        self.seen: dict[str, dict[str, Any]] = {}
        self.fail_next = 0
        self.reject = False

    def factory(self, _plugin: str) -> Any:
        def build(_config: Mapping[str, Any]) -> Receiver:
            return self

        return build

    def deliver(self, kind: str, payload: dict[str, Any], idempotency_key: str) -> None:
        if self.reject:
            raise SinkRejected("receiver refused the payload")
        if self.fail_next:
            self.fail_next -= 1
            raise SinkUnavailable("receiver timed out")
        self.seen.setdefault(idempotency_key, payload)


def _items(factory: SessionFactory) -> int:
    with transaction(factory, write=False) as s:
        return int(s.scalar(select(func.count()).select_from(OutboxItem)) or 0)


def test_outbox_enqueue_retry_dead_letter_and_replay(factory: SessionFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SINK_TOKEN", "t0ken")
    site = Site(20, learners=2, courses=2)
    with ProviderServer(site) as server:
        setup_provider(factory, server.url, courses=2)
        with transaction(factory) as s:
            providers.add_sink(
                s,
                "certs",
                plugin="test",
                kinds=["certificate.issue", "compliance.updated"],
                config={"url": "http://127.0.0.1:9/", "token": {"env": "SINK_TOKEN"}},
            )
        add_clinicians(factory, range(2))
        sync_connector(factory, "testlms")
        enqueued = _items(factory)
        assert enqueued > 0
        # A repeat of the same facts enqueues nothing new (idempotency keys are unique).
        with transaction(factory) as s:
            s.execute(OutboxItem.__table__.update().values(created_at=utcnow()))
        sync_connector(factory, "testlms")
        assert _items(factory) == enqueued

    receiver = Receiver()
    receiver.fail_next = 1
    now = utcnow()
    first = outbox.deliver_due(factory, loader=receiver.factory, now=now, limit=1000)
    assert (first.delivered, first.retried) == (enqueued - 1, 1)
    pending = outbox.items(factory, which="pending")
    assert len(pending) == 1 and pending[0].next_attempt_at >= now + timedelta(seconds=29)
    assert pending[0].last_error == "receiver timed out"
    # Not due yet: nothing happens; once due it is delivered.
    assert outbox.deliver_due(factory, loader=receiver.factory, now=now).delivered == 0
    later = outbox.deliver_due(factory, loader=receiver.factory, now=now + timedelta(minutes=1))
    assert later.delivered == 1
    assert len(receiver.seen) == enqueued

    # Replay delivers the same key again; the receiver sees no new item.
    target = outbox.items(factory, which="delivered")[0]
    receiver.reject = True
    outbox.replay(factory, target.id)
    dead = outbox.deliver_due(factory, loader=receiver.factory, now=utcnow() + timedelta(seconds=1))
    assert dead.dead == 1
    result = CliRunner().invoke(cli, ["outbox", "dead", "--format", "json"])
    assert result.exit_code == 0 and "receiver refused the payload" in result.output
    receiver.reject = False
    replayed = CliRunner().invoke(cli, ["outbox", "replay", str(target.id)])
    assert replayed.exit_code == 0, replayed.output
    again = outbox.deliver_due(factory, loader=receiver.factory, now=utcnow() + timedelta(seconds=1))
    assert again.delivered == 1
    assert len(receiver.seen) == enqueued
    assert outbox.items(factory, which="dead") == []


def test_sink_config_with_a_secret_in_clear_is_refused(factory: SessionFactory) -> None:
    from cebridge.errors import InputError

    with pytest.raises(InputError, match="'token' looks like a secret") as info, transaction(factory) as s:
        providers.add_sink(s, "hook", plugin="webhook", kinds=["compliance.updated"], config={"token": "s3cr3t"})
    assert "s3cr3t" not in str(info.value)
