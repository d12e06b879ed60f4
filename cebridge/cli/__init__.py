"""The ``cebridge`` command line.

Each command group lives in its own module of this package and is listed in ``COMMAND_MODULES``; a module
exposes ``commands``, the click commands it adds. Errors are one clear line on stderr; exit codes: 0 success,
1 the work failed, 2 bad input or usage.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

import click

from cebridge.errors import CebridgeError

#: Modules of this package that add commands (each has a ``commands`` list).
COMMAND_MODULES: tuple[str, ...] = (
    "boards",
    "evaluate",
    "plan",
    "keys",
    "certificates",
    "db",
    "orgs",
    "providers",
    "catalog",
    "clinicians",
    "completions",
    "report",
    "sync",
    "outbox",
    "worker",
    "connectors",
    "platforms",
    "serve",
)


class CebridgeGroup(click.Group):
    """A click group that turns cebridge errors into one line on stderr and the right exit code."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except CebridgeError as exc:
            click.echo(f"error: {exc.user_message}", err=True)
            ctx.exit(exc.exit_code)


@click.group(cls=CebridgeGroup)
@click.version_option(package_name="cebridge")
def cli() -> None:
    """cebridge: continuing-education credit for mental-health clinicians."""


def _register() -> None:
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"cebridge.cli.{name}")
        for command in module.commands:
            cli.add_command(command)


_register()


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point."""
    cli.main(args=list(argv) if argv is not None else sys.argv[1:], prog_name="cebridge")
