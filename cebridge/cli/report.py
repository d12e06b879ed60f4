"""``cebridge report LICENSE_NUMBER``: the stored compliance report (the same JSON as ``cebridge evaluate``)."""

from __future__ import annotations

import click
from pydantic import ValidationError
from sqlalchemy import select

from cebridge.cli.output import echo_json, format_option
from cebridge.cli.store_context import open_store
from cebridge.domain.report import ComplianceReport
from cebridge.errors import InputError, NotFound, StorageError
from cebridge.store.db import transaction
from cebridge.store.tables import ComplianceSnapshot, LicenseRow, PendingRecompute
from cebridge.sync.matching import normalize_license_number


@click.command("report")
@click.argument("license_number")
@click.option("--board", help="the board, when the number is held under several boards")
@format_option
def report_command(license_number: str, board: str | None, fmt: str) -> None:
    """Show a license's stored compliance report."""
    wanted = normalize_license_number(license_number)
    with transaction(open_store().factory, write=False) as session:
        rows = [
            r
            for r in session.scalars(select(LicenseRow).where(LicenseRow.license_number.is_not(None)))
            if normalize_license_number(r.license_number or "") == wanted and (board is None or r.board == board)
        ]
        if not rows:
            raise NotFound(f"no license numbered {license_number!r} is stored")
        if len(rows) > 1:
            boards = ", ".join(sorted(r.board for r in rows))
            raise InputError(f"license {license_number!r} is held under several boards ({boards}); pass --board")
        snap = session.get(ComplianceSnapshot, rows[0].id)
        pending = session.get(PendingRecompute, rows[0].id)
    if snap is None:
        why = pending.last_error if pending is not None and pending.last_error else "it has not been computed yet"
        raise StorageError(f"no compliance report for license {license_number!r}: {why}")
    if fmt == "json":
        echo_json(snap.report)
        return
    from cebridge.cli.evaluate import render

    try:
        click.echo(render(ComplianceReport.model_validate(snap.report)))
    except ValidationError:
        echo_json(snap.report)
    if pending is not None:
        note = f" ({pending.last_error})" if pending.last_error else ""
        click.echo(f"\nnote: newer completions are waiting to be counted{note}", err=True)


commands = [report_command]
