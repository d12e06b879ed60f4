"""The ``cebridge`` command line.

Each command group lives in its own module of this package and is listed in ``COMMAND_MODULES``; a module
exposes ``commands``, the click commands it adds, the first named like the module (``MORE_COMMANDS`` names the
others). Modules are imported only when their command runs, so ``cebridge evaluate`` does not pay for the web
app, the database or the planner. Errors are one clear line on stderr; exit codes: 0 success, 1 the work
failed, 2 bad input or usage.
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
    "demo",
    "reminders",
)


#: Commands a module adds beside the one named like it: command name -> module.
MORE_COMMANDS: dict[str, str] = {"tokens": "orgs", "sinks": "providers", "licenses": "clinicians"}


class CebridgeGroup(click.Group):
    """A click group that loads commands on demand and turns cebridge errors into one line on stderr."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMAND_MODULES, *MORE_COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        module_name = MORE_COMMANDS.get(cmd_name, cmd_name)
        if module_name not in COMMAND_MODULES:
            return None
        module = importlib.import_module(f"cebridge.cli.{module_name}")
        for command in module.commands:
            if command.name == cmd_name:
                return command  # type: ignore[no-any-return]
        return None

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


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point."""
    cli.main(args=list(argv) if argv is not None else sys.argv[1:], prog_name="cebridge")
