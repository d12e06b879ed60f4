"""``cebridge reminders queue``: today's renewal reminders as outbox work for the sinks (run it daily)."""

from __future__ import annotations

from datetime import date

import click

from cebridge.cli.evaluate import parse_day


@click.group("reminders")
def reminders_group() -> None:
    """Reminders before renewal deadlines, delivered by the sinks subscribed to reminder.due."""


@reminders_group.command("queue")
@click.option("--as-of", "as_of", help="the day to queue reminders for (YYYY-MM-DD); default today")
def queue(as_of: str | None) -> None:
    """Queue the reminders due today for every license still short (idempotent: safe to run twice)."""
    from cebridge.cli.store_context import open_store
    from cebridge.sync.reminders import queue_due_reminders

    day = parse_day(as_of, "--as-of") or date.today()
    offered = queue_due_reminders(open_store().factory, day)
    click.echo(f"{offered} reminder(s) queued for {day}")


commands = [reminders_group]
