"""``cebridge completions list|link``: the stored completions and the queue of those waiting for a clinician."""

from __future__ import annotations

import click
from sqlalchemy import select

from cebridge.cli.output import echo_json, format_option, table
from cebridge.cli.store_context import open_store
from cebridge.services import people
from cebridge.store.db import transaction
from cebridge.store.tables import CompletionRow, ConnectorConfig, Offering
from cebridge.sync.compliance import drain


@click.group("completions")
def completions_group() -> None:
    """Stored completions."""


@completions_group.command("list")
@click.option("--connector", "connector_name", help="only this connector's completions")
@click.option("--clinician", "clinician_id", type=int, help="only this clinician's completions")
@click.option("--unmatched", is_flag=True, help="only those waiting for a clinician (unmatched or ambiguous)")
@click.option("--limit", type=click.IntRange(min=1), default=1000, show_default=True)
@format_option
def list_command(connector_name: str | None, clinician_id: int | None, unmatched: bool, limit: int, fmt: str) -> None:
    """List completions, newest first."""
    with transaction(open_store().factory, write=False) as session:
        stmt = (
            select(CompletionRow, Offering.offering_id)
            .outerjoin(Offering, Offering.id == CompletionRow.offering_id)
            .order_by(CompletionRow.id.desc())
            .limit(limit)
        )
        if connector_name:
            stmt = stmt.join(ConnectorConfig, ConnectorConfig.id == CompletionRow.connector_id).where(
                ConnectorConfig.name == connector_name
            )
        if clinician_id is not None:
            stmt = stmt.where(CompletionRow.clinician_id == clinician_id)
        if unmatched:
            stmt = stmt.where(CompletionRow.match_status.in_(("unmatched", "ambiguous")))
        rows = session.execute(stmt).all()
    data = [
        {
            "id": r.id,
            "source": r.source,
            "external_id": r.external_id,
            "clinician_id": r.clinician_id,
            "match": r.match_status,
            "status": r.status,
            "offering": off,
            "completed_on": r.completed_on,
            "revoked": r.revoked_at is not None,
            "version": r.version,
        }
        for r, off in rows
    ]
    if fmt == "json":
        echo_json(data)
    else:
        click.echo(table(list(data[0]) if data else ["id"], [list(d.values()) for d in data]))


@completions_group.command("link")
@click.argument("completion_id", type=int)
@click.argument("clinician_id", type=int)
def link_command(completion_id: int, clinician_id: int) -> None:
    """Credit a waiting completion to a clinician (audited; the learner's platform id is remembered)."""
    store = open_store()
    with transaction(store.factory) as session:
        people.link_completion(session, completion_id, clinician_id, actor="cli")
    drain(store.factory)
    click.echo(f"completion {completion_id} linked to clinician {clinician_id}; credit recomputed")


commands = [completions_group]
