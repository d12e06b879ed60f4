"""``cebridge providers add|list`` and ``cebridge sinks add|list``: where records come from and where work goes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import yaml
from sqlalchemy import select

from cebridge.cli.output import echo_json, format_option, read_json, table
from cebridge.cli.store_context import open_store
from cebridge.errors import InputError
from cebridge.services import providers
from cebridge.store.db import transaction
from cebridge.store.tables import ConnectorConfig, ConnectorState, Provider, SinkSubscription


def read_config(path: str) -> Any:
    """A JSON or YAML config file."""
    p = Path(path)
    if p.suffix.lower() == ".json":
        return read_json(p, "config")
    try:
        return yaml.safe_load(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"config file {path!r}: cannot read: {exc.strerror}") from None
    except yaml.YAMLError:
        raise InputError(f"config file {p.name!r} is not valid YAML or JSON") from None


@click.group("providers")
def providers_group() -> None:
    """Course providers and their connectors."""


@providers_group.command("add")
@click.argument("name")
@click.option("--connector", required=True, help="connector plugin (canvas, moodle, xapi, csv, ...)")
@click.option("--config", "config_path", required=True, type=click.Path(dir_okay=False), help="JSON or YAML")
@click.option("--org", "org_slug", help="organization slug (default: the default organization)")
@click.option("--title", default="", help="the provider's display name")
@click.option("--as", "instance", help="name of this connector instance (default: the provider's name)")
@click.option("--every", "every", type=click.IntRange(min=60), help="sync every N seconds from the worker")
def add_provider(
    name: str,
    connector: str,
    config_path: str,
    org_slug: str | None,
    title: str,
    instance: str | None,
    every: int | None,
) -> None:
    """Add a provider with a connector config; secrets in it must be {"env": ...} or {"file": ...} references."""
    where = f"config file {Path(config_path).name!r}"
    data = providers.validate_connector_config(connector, read_config(config_path), where, Path(config_path).parent)
    with transaction(open_store().factory) as session:
        row = providers.add_provider(
            session,
            name,
            connector=connector,
            config=data,
            org_slug=org_slug,
            title=title,
            connector_name=instance,
            schedule_seconds=every,
        )
        click.echo(f"provider {name}: connector {row.name} ({connector}) saved")


@providers_group.command("list")
@format_option
def list_providers(fmt: str) -> None:
    """Providers, their connectors and when each last stored a batch."""
    with transaction(open_store().factory, write=False) as session:
        rows = session.execute(
            select(
                Provider.name,
                ConnectorConfig.name,
                ConnectorConfig.connector,
                ConnectorConfig.schedule_seconds,
                ConnectorState.updated_at,
            )
            .join(ConnectorConfig, ConnectorConfig.provider_id == Provider.id)
            .outerjoin(ConnectorState, ConnectorState.connector_id == ConnectorConfig.id)
            .order_by(Provider.name, ConnectorConfig.name)
        ).all()
    data = [{"provider": p, "connector": c, "plugin": k, "every": e, "last_batch_at": u} for p, c, k, e, u in rows]
    if fmt == "json":
        echo_json(data)
    else:
        click.echo(
            table(
                ["provider", "connector", "plugin", "every (s)", "last batch stored"], [list(d.values()) for d in data]
            )
        )


@click.group("sinks")
def sinks_group() -> None:
    """Sinks that receive outbox work (certificates to issue, reports, webhooks)."""


@sinks_group.command("add")
@click.argument("name")
@click.option("--plugin", required=True, help="sink plugin (entry point in cebridge.sinks)")
@click.option(
    "--kinds",
    required=True,
    help="comma-separated kinds: completion.accepted, certificate.issue, certificate.revoke, compliance.updated, "
    "lti.score, certificate.issued, certificate.reissued, certificate.revoked, reminder.due",
)
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="JSON or YAML config for the sink")
def add_sink(name: str, plugin: str, kinds: str, config_path: str | None) -> None:
    """Subscribe a sink to kinds of outbox work."""
    config = read_config(config_path) if config_path else {}
    if not isinstance(config, dict):
        raise InputError("a sink config is a mapping of settings")
    with transaction(open_store().factory) as session:
        providers.add_sink(
            session, name, plugin=plugin, kinds=[k.strip() for k in kinds.split(",") if k.strip()], config=config
        )
    click.echo(f"sink {name} ({plugin}) saved")


@sinks_group.command("list")
def list_sinks() -> None:
    """Sink subscriptions."""
    with transaction(open_store().factory, write=False) as session:
        rows = [
            [s.name, s.plugin, ",".join(s.kinds), s.enabled]
            for s in session.scalars(select(SinkSubscription).order_by(SinkSubscription.name))
        ]
    click.echo(table(["name", "plugin", "kinds", "enabled"], rows))


commands = [providers_group, sinks_group]
