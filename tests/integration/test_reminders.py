"""Renewal reminders reach the sinks through the outbox: due days only, once per day, only for licenses short."""

from __future__ import annotations

from datetime import date

from click.testing import CliRunner
from sqlalchemy import select

from cebridge.cli import cli
from cebridge.store.db import SessionFactory, transaction
from cebridge.store.org_tables import SinkSubscription
from cebridge.store.record_tables import OutboxItem
from cebridge.store.types import utcnow
from cebridge.sync.compliance import drain
from cebridge.sync.reminders import queue_due_reminders
from tests.integration.helpers import add_clinicians

# helpers.license_json: a Texas LPC cycle ending 2025-05-31; with no completions, 24 hours short.
THIRTY_DAYS_BEFORE = date(2025, 5, 1)


def reminder_items(factory: SessionFactory) -> list[OutboxItem]:
    with factory() as s:
        return list(s.scalars(select(OutboxItem).where(OutboxItem.kind == "reminder.due")))


def test_reminders_are_queued_on_lead_days_once(factory: SessionFactory) -> None:
    add_clinicians(factory, range(2))
    drain(factory, as_of=date(2025, 4, 1))
    assert queue_due_reminders(factory, THIRTY_DAYS_BEFORE) == 0  # nobody subscribed: nothing is queued
    with transaction(factory) as s:
        s.add(SinkSubscription(name="mail", plugin="jsonl", kinds=["reminder.due"], config={}, created_at=utcnow()))
    assert queue_due_reminders(factory, date(2025, 5, 2)) == 0  # not a lead day
    assert queue_due_reminders(factory, THIRTY_DAYS_BEFORE) == 2
    assert queue_due_reminders(factory, THIRTY_DAYS_BEFORE) == 2  # offered again ...
    items = reminder_items(factory)
    assert len(items) == 2  # ... but stored once
    payload = items[0].payload
    assert payload["kind"] == "deadline" and payload["deadline"] == "2025-05-31"
    assert "renews in 30 days" in payload["message"] and "total: 24 h" in payload["message"]
    assert {i.payload["license_number"] for i in items} == {"LPC 70000", "LPC 70001"}


def test_cli_queues_and_rejects_a_bad_date(factory: SessionFactory, db_url: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CEBRIDGE_DATABASE_URL", db_url)
    add_clinicians(factory, range(1))
    drain(factory, as_of=date(2025, 4, 1))
    with transaction(factory) as s:
        s.add(SinkSubscription(name="mail", plugin="jsonl", kinds=["reminder.due"], config={}, created_at=utcnow()))
    out = CliRunner().invoke(cli, ["reminders", "queue", "--as-of", "2025-05-24"])  # 7 days before
    assert out.exit_code == 0, out.output
    assert "1 reminder(s) queued for 2025-05-24" in out.output
    bad = CliRunner().invoke(cli, ["reminders", "queue", "--as-of", "May 24"])
    assert bad.exit_code == 2
