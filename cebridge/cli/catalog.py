"""``cebridge catalog import|list``: a provider's course offerings (CATALOG.json)."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import select

from cebridge.cli.output import echo_json, format_option, read_json, table
from cebridge.cli.store_context import open_store
from cebridge.services import providers
from cebridge.store.db import transaction
from cebridge.store.tables import Offering


@click.group("catalog")
def catalog_group() -> None:
    """Course catalogs."""


@catalog_group.command("import")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--provider", "provider_name", required=True)
def import_command(path: str, provider_name: str) -> None:
    """Load CATALOG.json offerings for a provider (all or nothing); entries may add "keys" (LMS course ids)."""
    entries = read_json(path, "catalog")
    with transaction(open_store().factory) as session:
        result = providers.import_catalog(session, provider_name, entries, f"catalog file {Path(path).name!r}")
    click.echo(
        f"catalog of {provider_name}: {result['added']} added, {result['updated']} updated, "
        f"{result['completions_mapped']} waiting completions mapped"
    )


@catalog_group.command("list")
@click.option("--provider", "provider_name", required=True)
@format_option
def list_command(provider_name: str, fmt: str) -> None:
    """A provider's offerings."""
    with transaction(open_store().factory, write=False) as session:
        provider = providers.get_provider(session, provider_name)
        rows = session.scalars(
            select(Offering).where(Offering.provider_id == provider.id).order_by(Offering.offering_id)
        ).all()
    if fmt == "json":
        echo_json([r.data for r in rows])
    else:
        click.echo(
            table(
                ["id", "title", "credits", "unit", "categories"],
                [[r.offering_id, r.title, r.credits_amount, r.credits_unit, ",".join(r.categories)] for r in rows],
            )
        )


commands = [catalog_group]
