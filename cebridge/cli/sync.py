"""``cebridge sync [--connector NAME]``: pull connectors into the store, with progress and a closing summary."""

from __future__ import annotations

import sys
import time

import click

from cebridge.cli.output import echo_json
from cebridge.cli.store_context import open_store
from cebridge.sync.pipeline import ConnectorSummary, Progress, sync_all

COLUMNS = ("read", "new", "changed", "unmatched", "rejected", "errors")


class _Printer:
    """Progress on stderr: one rewritten line on a terminal, a line at most every 2 s otherwise."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.last = 0.0
        self.start = time.monotonic()
        self.done_before = 0

    def __call__(self, event: Progress) -> None:
        s = event.summary
        now = time.monotonic()
        if event.stage != "done" and not self.tty and now - self.last < 2:
            return
        self.last = now
        rate = (self.done_before + s.read) / max(now - self.start, 1e-6)
        line = (
            f"{event.connector}: {event.stage} | read {s.read} new {s.new} changed {s.changed} "
            f"unmatched {s.unmatched} recomputed {s.recomputed} | overall {self.done_before + s.read} records, "
            f"{rate:.0f}/s"
        )
        if self.tty:
            click.echo("\r" + line.ljust(110), nl=event.stage == "done", err=True)
        else:
            click.echo(line, err=True)
        if event.stage == "done":
            self.done_before += s.read


def _row(s: ConnectorSummary) -> str:
    cells = [f"{name} {getattr(s, name)}" for name in COLUMNS[:-1]]
    return f"{s.connector}: {s.outcome}; " + ", ".join(cells) + f", errors {len(s.errors)}"


@click.command("sync")
@click.option("--connector", "connectors", multiple=True, help="connector name (repeatable; default: all enabled)")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--quiet", is_flag=True, help="no progress lines")
def sync_command(connectors: tuple[str, ...], fmt: str, quiet: bool) -> None:
    """Pull completions from each connector's cursor, store them, and recompute compliance.

    Exits 0 when every connector finished, 1 when one was interrupted, failed or already syncing elsewhere.
    """
    store = open_store()
    summaries = sync_all(store.factory, list(connectors) or None, progress=None if quiet else _Printer())
    if fmt == "json":
        echo_json([s.to_json() for s in summaries])
    else:
        if not summaries:
            click.echo("no connectors are configured; add one with `cebridge providers add`")
        for s in summaries:
            click.echo(_row(s))
            for err in s.errors:
                click.echo(f"  error: {err}")
        if len(summaries) > 1:
            total = {name: sum(getattr(s, name) for s in summaries) for name in COLUMNS[:-1]}
            errors = sum(len(s.errors) for s in summaries)
            click.echo("total: " + ", ".join(f"{k} {v}" for k, v in total.items()) + f", errors {errors}")
    if any(s.outcome != "ok" for s in summaries):
        sys.exit(1)


commands = [sync_command]
