"""``cebridge orgs add|list`` and ``cebridge tokens create|revoke``: organizations and their API tokens."""

from __future__ import annotations

import click
from sqlalchemy import select

from cebridge.cli.output import echo_json, format_option, table
from cebridge.cli.store_context import open_store
from cebridge.services import orgs
from cebridge.store.db import transaction
from cebridge.store.tables import Organization


@click.group("orgs")
def orgs_group() -> None:
    """Organizations (each owns its clinicians; API tokens are scoped to one)."""


@orgs_group.command("add")
@click.argument("slug")
@click.option("--name", help="display name")
def add_org(slug: str, name: str | None) -> None:
    """Add an organization."""
    with transaction(open_store().factory) as session:
        org = orgs.add_org(session, slug, name)
        click.echo(f"organization {org.slug} added (id {org.id})")


@orgs_group.command("list")
@format_option
def list_orgs(fmt: str) -> None:
    """List organizations."""
    with transaction(open_store().factory, write=False) as session:
        rows = [[o.id, o.slug, o.name] for o in session.scalars(select(Organization).order_by(Organization.id))]
    if fmt == "json":
        echo_json([{"id": i, "slug": s, "name": n} for i, s, n in rows])
    else:
        click.echo(table(["id", "slug", "name"], rows))


@click.group("tokens")
def tokens_group() -> None:
    """API tokens for /api/v1/ (shown once when created; only a digest is stored)."""


@tokens_group.command("create")
@click.option("--org", "org_slug", help="organization slug (default: the default organization)")
@click.option("--name", required=True, help="what the token is for")
def create_token(org_slug: str | None, name: str) -> None:
    """Create a token and print it once."""
    with transaction(open_store().factory) as session:
        org = orgs.get_org(session, org_slug)
        row, token = orgs.create_token(session, org, name)
    click.echo(f"token {row.id} for organization {org.slug} (keep it now; it is not shown again):", err=True)
    click.echo(token)


@tokens_group.command("revoke")
@click.argument("token_id", type=int)
def revoke_token(token_id: int) -> None:
    """Revoke a token by id."""
    with transaction(open_store().factory) as session:
        orgs.revoke_token(session, token_id)
    click.echo(f"token {token_id} revoked")


commands = [orgs_group, tokens_group]
