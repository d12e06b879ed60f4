"""``cebridge demo [--serve]``: the whole flow on this machine, with a compliance summary at the end."""

from __future__ import annotations

import sys

import click

from cebridge.cli.output import echo_json, table
from cebridge.config import Settings
from cebridge.errors import CebridgeError


class _Emitter:
    """Progress on stderr: bars rewritten in place on a terminal, one line each otherwise."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()

    def __call__(self, text: str, final: bool) -> None:
        if self.tty:
            click.echo("\r" + text.ljust(120), nl=final, err=True)
        else:
            click.echo(text, err=True)


def _summary(result: object) -> str:
    from cebridge.demo.run import DemoResult

    assert isinstance(result, DemoResult)
    rows = []
    for line in result.licenses:
        short = ([f"total {line.required - line.counted}"] if line.counted < line.required else []) + line.short
        rows.append(
            [
                line.clinician,
                line.board,
                line.license_number,
                f"{line.counted} / {line.required}",
                "yes" if line.compliant else "no",
                ", ".join(short) or "-",
                line.certificates,
            ]
        )
    headers = ["clinician", "board", "license", "hours counted / required", "compliant", "short", "certificates"]
    paths = result.paths
    certificates = sum(line.certificates for line in result.licenses)
    lines = [
        "",
        table(headers, rows),
        "",
        "Where things are:",
        f"  database      {paths['database']}",
        f"  certificates  {paths['certificates']}  ({certificates} PDF certificates with their signed credentials)",
        f"  keys          {paths['keys']}  (signing keys; private keys are mode 0600)",
        f"  CSV export    {paths['exports']}",
        f"  events        {paths['events']}  (the jsonl sink's compliance updates)",
    ]
    if result.failed_deliveries:
        lines.append("Deliveries that failed: " + "; ".join(result.failed_deliveries))
    first = result.licenses[0].license_number if result.licenses else "LICENSE_NUMBER"
    lines += [
        "",
        "Next:",
        f'  cebridge report "{first}"'.ljust(41) + "its stored compliance report",
        "  cebridge certificates verify FILE.jwt  check a credential's signature and revocation",
        "  cebridge demo --serve                  the dashboard, launched from a built-in LMS page",
        "",
        f"demo finished in {result.seconds:.1f} s",
    ]
    return "\n".join(lines)


@click.command("demo")
@click.option("--serve", is_flag=True, help="then serve the dashboard and a built-in LTI platform page")
@click.option("--host", default="127.0.0.1", show_default=True, help="interface to serve on (with --serve)")
@click.option(
    "--port", default=5000, show_default=True, type=click.IntRange(0, 65535), help="port (with --serve; 0: any)"
)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def demo(serve: bool, host: str, port: int, fmt: str) -> None:
    """Set up example providers, clinicians and licenses in CEBRIDGE_HOME, sync them, issue certificates and
    print each license's compliance. Running it again changes nothing that is already there."""
    from cebridge.demo.run import run_demo

    settings = Settings()
    emit = _Emitter()
    emit(f"cebridge demo in {settings.home.resolve()}", True)
    if serve:
        from cebridge.demo.serve import DemoServer

        server = DemoServer(settings, host, port)
        result = run_demo(server.settings, emit, engine=server.engine)
        _print(result, fmt)
        server.serve_forever(emit)
        return
    _print(run_demo(settings, emit), fmt)


def _print(result: object, fmt: str) -> None:
    from cebridge.demo.run import DemoResult

    assert isinstance(result, DemoResult)
    if fmt == "json":
        echo_json(result.to_json())
    else:
        click.echo(_summary(result))
    problems = [f"{s.connector} {s.outcome}: {'; '.join(s.errors)}" for s in result.syncs if s.outcome != "ok"]
    problems += result.failed_deliveries
    if problems:
        raise CebridgeError("the demo did not finish cleanly: " + " | ".join(problems))


commands = [demo]
