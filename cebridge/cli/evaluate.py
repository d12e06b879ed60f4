"""``cebridge evaluate``: one license and its completions in, the compliance report out (DESIGN.md contract)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import click
from pydantic import TypeAdapter, ValidationError

from cebridge.cli.boards import registry
from cebridge.cli.output import bar, echo_json, format_option, read_json, table
from cebridge.domain.base import json_number
from cebridge.domain.completion import Completion
from cebridge.domain.engine import evaluate
from cebridge.domain.license import License
from cebridge.domain.report import ComplianceReport
from cebridge.errors import InputError

_COMPLETIONS = TypeAdapter(list[Completion])


def describe(exc: ValidationError, what: str) -> str:
    """One line naming the file, the place in it and the problem."""
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "(top level)"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{what}: at {where}: {err['msg']}{more}"


def load_license(path: str | Path) -> License:
    """Read and validate LICENSE.json."""
    data = read_json(path, "license")
    try:
        return License.model_validate(data)
    except ValidationError as exc:
        raise InputError(describe(exc, f"license file {Path(path).name!r}")) from None


def load_completions(path: str | Path) -> list[Completion]:
    """Read and validate COMPLETIONS.json (a list)."""
    data = read_json(path, "completions")
    try:
        return _COMPLETIONS.validate_python(data)
    except ValidationError as exc:
        raise InputError(describe(exc, f"completions file {Path(path).name!r}")) from None


def parse_day(value: str | None, flag: str) -> date | None:
    """A YYYY-MM-DD flag value."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{flag} {value!r} is not a date like 2025-05-31") from None


@click.command("evaluate")
@click.option("--license", "license_path", required=True, type=click.Path(dir_okay=False), help="LICENSE.json")
@click.option("--completions", "completions_path", required=True, type=click.Path(dir_okay=False))
@click.option("--as-of", "as_of", help="evaluate as of this day (YYYY-MM-DD); default today")
@click.option("--fail-if-short", is_flag=True, help="exit 1 when the license is not compliant")
@format_option
def evaluate_command(
    license_path: str, completions_path: str, as_of: str | None, fail_if_short: bool, fmt: str
) -> None:
    """Evaluate a license's completions against its board's rules."""
    lic = load_license(license_path)
    completions = load_completions(completions_path)
    day = parse_day(as_of, "--as-of") or date.today()
    report = evaluate(lic, completions, registry().get(lic.board), as_of=day)
    if fmt == "json":
        echo_json(report.to_json())
    else:
        click.echo(render(report))
    if fail_if_short and not report.compliant:
        raise SystemExit(1)


def render(report: ComplianceReport) -> str:
    """The report as text for a person: status, totals, a progress bar per requirement, and what did not count."""
    head = "COMPLIANT" if report.compliant else "NOT YET COMPLIANT"
    who = f" {report.license_number}" if report.license_number else ""
    out = [
        f"{report.board}{who}: {head}",
        f"cycle {report.cycle.start} to {report.cycle.end} (rules {report.rule_version})",
        "",
    ]
    rows: list[list[Any]] = [
        [
            "total hours",
            bar(report.total.counted, report.total.required),
            report.total.counted,
            report.total.required,
            report.total.short,
        ]
    ]
    for r in report.requirements:
        if r.required > 0:
            rows.append([r.title, bar(r.counted, r.required), r.counted, r.required, r.short])
        else:
            done = min(r.completions_counted, r.completions_required)
            rows.append(
                [
                    r.title,
                    bar(Decimal(done), Decimal(r.completions_required)),
                    f"{done} done",
                    f"{r.completions_required} needed",
                    "" if r.satisfied else "missing",
                ]
            )
    out.append(table(["requirement", "progress", "counted", "required", "short"], rows))
    lost = [c for c in report.completions if c.status != "accepted"]
    if lost:
        out += ["", "Not counted in full:"]
        for c in lost:
            why = "; ".join(r.message for r in c.reasons)
            out.append(
                f"  {c.id} ({c.status.replace('_', ' ')}, {json_number(c.hours_counted)} of "
                f"{json_number(c.hours_declared)} h): {why}"
            )
    if report.not_applicable:
        out += ["", "Not required this cycle: " + ", ".join(f"{n.id} ({n.why})" for n in report.not_applicable)]
    return "\n".join(out)


commands = [evaluate_command]
