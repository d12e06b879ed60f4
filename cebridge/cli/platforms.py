"""``cebridge platforms add|list``: the LMS platforms (LTI 1.3 registrations) the tool accepts launches from."""

from __future__ import annotations

import click

from cebridge.cli.output import echo_json, format_option, table
from cebridge.cli.store_context import open_store


@click.group("platforms")
def platforms() -> None:
    """LTI 1.3 platform registrations (Moodle, Canvas, ...)."""


@platforms.command("add")
@click.option(
    "--issuer",
    required=True,
    help="the platform's issuer (Moodle: its wwwroot; Canvas: https://canvas.instructure.com)",
)
@click.option("--client-id", required=True, help="the client id the platform gave the tool")
@click.option("--deployment-id", "deployment_ids", multiple=True, help="a deployment id (repeatable)")
@click.option("--auth-url", required=True, help="the platform's OIDC authentication request URL")
@click.option("--token-url", required=True, help="the platform's OAuth2 access token URL")
@click.option("--jwks-url", required=True, help="the platform's public keyset URL")
@click.option("--name", default="", help="a name for people")
@click.option("--audience", default=None, help="token audience, when the platform wants one other than the token URL")
@format_option
def add(
    issuer: str,
    client_id: str,
    deployment_ids: tuple[str, ...],
    auth_url: str,
    token_url: str,
    jwks_url: str,
    name: str,
    audience: str | None,
    fmt: str,
) -> None:
    """Register a platform, or add deployments to an existing (issuer, client id)."""
    from lti_tool.registry import Registrations

    store = open_store()
    record = Registrations(store.factory).add(
        issuer=issuer,
        client_id=client_id,
        auth_login_url=auth_url,
        auth_token_url=token_url,
        key_set_url=jwks_url,
        deployment_ids=deployment_ids,
        name=name,
        auth_audience=audience,
    )
    if fmt == "json":
        echo_json(record.to_json())
    else:
        deps = ", ".join(record.deployment_ids) or "none yet"
        click.echo(f"platform {record.id}: {record.issuer} client {record.client_id} (deployments: {deps})")


@platforms.command("list")
@format_option
def list_platforms(fmt: str) -> None:
    """The registered platforms with their deployments."""
    from lti_tool.registry import Registrations

    records = Registrations(open_store().factory).all()
    if fmt == "json":
        echo_json([r.to_json() for r in records])
        return
    rows = [(r.id, r.name, r.issuer, r.client_id, ", ".join(r.deployment_ids)) for r in records]
    click.echo(table(["id", "name", "issuer", "client id", "deployments"], rows))


commands = [platforms]
