"""``cebridge outbox list|dead|replay ID|deliver``: work waiting for sinks, and the dead-letter list."""

from __future__ import annotations

import click

from cebridge import outbox
from cebridge.cli.output import echo_json, format_option, table
from cebridge.cli.store_context import open_store


def _show(which: str, fmt: str) -> None:
    rows = outbox.items(open_store().factory, which=which)
    data = [
        {
            "id": i.id,
            "sink": i.sink,
            "kind": i.kind,
            "idempotency_key": i.idempotency_key,
            "attempts": i.attempts,
            "next_attempt_at": i.next_attempt_at,
            "delivered_at": i.delivered_at,
            "dead": i.dead_lettered,
            "last_error": i.last_error,
        }
        for i in rows
    ]
    if fmt == "json":
        echo_json(data)
    else:
        click.echo(
            table(
                ["id", "sink", "kind", "attempts", "next attempt", "last error"],
                [[d["id"], d["sink"], d["kind"], d["attempts"], d["next_attempt_at"], d["last_error"]] for d in data],
            )
        )


@click.group("outbox")
def outbox_group() -> None:
    """Deliveries to sinks."""


@outbox_group.command("list")
@click.option("--all", "show_all", is_flag=True, help="include delivered and dead-lettered items")
@format_option
def list_command(show_all: bool, fmt: str) -> None:
    """Items not yet delivered."""
    _show("all" if show_all else "pending", fmt)


@outbox_group.command("dead")
@format_option
def dead_command(fmt: str) -> None:
    """The dead-letter list: items a sink refused, or that failed every attempt."""
    _show("dead", fmt)


@outbox_group.command("replay")
@click.argument("item_id", type=int)
def replay_command(item_id: int) -> None:
    """Queue an item again, due now (with the same idempotency key)."""
    item = outbox.replay(open_store().factory, item_id)
    click.echo(f"outbox item {item.id} ({item.kind} to {item.sink}) queued again")


@outbox_group.command("deliver")
def deliver_command() -> None:
    """Deliver what is due now, once (the worker does this on a schedule)."""
    result = outbox.deliver_due(open_store().factory)
    click.echo(f"delivered {result.delivered}, to retry {result.retried}, dead-lettered {result.dead}")


commands = [outbox_group]
