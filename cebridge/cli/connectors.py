"""``cebridge connectors list|check NAME --config FILE``: installed connector plugins and a live check.

``list`` shows first-party and third-party connectors alike (anything registered under the entry-point group
``cebridge.connectors``), including ones that are installed but fail to load. ``check`` loads a config file
(JSON or YAML; secrets as ``{"env": "VAR"}`` or ``{"file": "/path"}``), runs the connector's ``check()`` and
exits 0 when the provider is reachable and the credentials work, 1 when not, 2 when the config is bad.
"""

from __future__ import annotations

import click

from cebridge.cli.output import echo_json, format_option, table


@click.group()
def connectors() -> None:
    """Connector plugins: list them, check one against its provider."""


@connectors.command("list")
@format_option
def list_connectors(fmt: str) -> None:
    """List installed connectors (first-party and third-party)."""
    from connectors import registry

    infos = registry.describe()
    if fmt == "json":
        echo_json(
            [
                {
                    "name": i.name,
                    "title": i.title,
                    "package": i.package,
                    "first_party": i.first_party,
                    "target": i.target,
                    "loads": i.ok,
                    "error": i.reason or None,
                }
                for i in infos
            ]
        )
        return
    rows = [
        (
            i.name,
            i.title,
            "first-party" if i.first_party else "third-party",
            i.package,
            "ok" if i.ok else f"broken: {i.reason}",
        )
        for i in infos
    ]
    click.echo(table(["name", "title", "kind", "package", "status"], rows))


@connectors.command("check")
@click.argument("name")
@click.option("--config", "config_path", required=True, type=click.Path(dir_okay=False), help="JSON or YAML")
@format_option
@click.pass_context
def check_connector(ctx: click.Context, name: str, config_path: str, fmt: str) -> None:
    """Check that connector NAME can reach its provider with the credentials in --config."""
    from connectors import registry

    cls = registry.get(name)
    config = registry.load_config(name, config_path)
    connector = cls(config)
    try:
        result = connector.check()
    finally:
        connector.close()
    if fmt == "json":
        echo_json({"connector": name, "ok": result.ok, "message": result.message})
    else:
        click.echo(f"{'ok' if result.ok else 'failed'}: {name}: {result.message}")
    if not result.ok:
        ctx.exit(1)


commands = [connectors]
