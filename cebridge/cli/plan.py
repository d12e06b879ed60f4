"""``cebridge plan``: licenses, completions and a provider catalog in; the cheapest plan that closes every gap out.

Each license is evaluated by the engine as of ``--as-of`` and handed to the planner with its report; the
plan is printed as a table or as the JSON of DESIGN.md ("Catalog and plan"). ``--ics FILE`` also writes the
plan as an iCalendar file. Bad input (a malformed catalog, an unknown category, a negative budget) is one
line on stderr and exit 2. A plan that cannot close every gap still exits 0 (it says what is unmet and why).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import click
from pydantic import TypeAdapter, ValidationError

from cebridge.cli.boards import registry
from cebridge.cli.evaluate import describe, load_completions, load_license, parse_day
from cebridge.cli.output import echo_json, format_option, read_json, table
from cebridge.domain.base import json_number
from cebridge.domain.completion import CreditOffering
from cebridge.domain.engine import evaluate
from cebridge.domain.planner import LicenseState, Plan, make_plan, to_ics
from cebridge.domain.planning.result import money
from cebridge.errors import InputError

_CATALOG = TypeAdapter(list[CreditOffering])


def load_catalog(path: str | Path) -> list[CreditOffering]:
    """Read and validate CATALOG.json (a list of offerings)."""
    data = read_json(path, "catalog")
    if not isinstance(data, list):
        raise InputError(f"catalog file {Path(path).name!r}: a catalog is a JSON list of offerings")
    try:
        return _CATALOG.validate_python(data)
    except ValidationError as exc:
        raise InputError(describe(exc, f"catalog file {Path(path).name!r}")) from None


@contextlib.contextmanager
def native_output_to_stderr() -> Iterator[None]:
    """Send what native code prints on the process's stdout to stderr while this block runs.

    The solver library (HiGHS) prints an occasional progress note with C ``printf``; stdout must carry only the
    plan (JSON for programs), so the note goes to stderr. The C buffer is flushed before stdout is restored."""
    try:
        out = sys.__stdout__.fileno() if sys.__stdout__ else 1
        err = sys.__stderr__.fileno() if sys.__stderr__ else 2
        saved = os.dup(out)
    except (OSError, ValueError, AttributeError):
        yield
        return
    sys.stdout.flush()
    os.dup2(err, out)
    try:
        yield
    finally:
        _flush_native()
        os.dup2(saved, out)
        os.close(saved)


def _flush_native() -> None:
    with contextlib.suppress(OSError, AttributeError, TypeError):
        ctypes.CDLL(None).fflush(None)


def _amount(value: str | None, flag: str) -> Decimal | None:
    if value is None:
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise InputError(f"{flag} {value!r} is not a number") from None
    if not amount.is_finite():
        raise InputError(f"{flag} {value!r} is not a number")
    if amount < 0:
        raise InputError(f"{flag} must not be negative, got {value}")
    return amount


@click.command("plan")
@click.option("--license", "license_paths", required=True, multiple=True, type=click.Path(dir_okay=False),
              help="LICENSE.json (repeat for each license the clinician holds)")
@click.option("--completions", "completions_path", required=True, type=click.Path(dir_okay=False),
              help="COMPLETIONS.json (may be [])")
@click.option("--catalog", "catalog_path", required=True, type=click.Path(dir_okay=False), help="CATALOG.json")
@click.option("--budget", help="most money to spend closing the gaps, e.g. 100")
@click.option("--hours-per-week", "hours_per_week", help="most clock hours of study in any week, e.g. 3")
@click.option("--goal", "goals", multiple=True, help="a topic to grow in (repeatable), e.g. trauma")
@click.option("--goal-budget", "goal_budget", help="extra money for courses in the goal topics")
@click.option("--as-of", "as_of", help="plan as of this day (YYYY-MM-DD); default today")
@click.option("--ics", "ics_path", type=click.Path(dir_okay=False), help="also write the plan as an .ics calendar")
@format_option
def plan_command(
    license_paths: tuple[str, ...],
    completions_path: str,
    catalog_path: str,
    budget: str | None,
    hours_per_week: str | None,
    goals: tuple[str, ...],
    goal_budget: str | None,
    as_of: str | None,
    ics_path: str | None,
    fmt: str,
) -> None:
    """Plan the courses that close every renewal gap at the least cost."""
    money_cap = _amount(budget, "--budget")
    goal_money = _amount(goal_budget, "--goal-budget")
    weekly = _amount(hours_per_week, "--hours-per-week")
    if weekly is not None and weekly == 0:
        raise InputError("--hours-per-week must be more than 0")
    day = parse_day(as_of, "--as-of") or date.today()
    completions = load_completions(completions_path)
    catalog = load_catalog(catalog_path)
    packs = registry()
    states = []
    for path in license_paths:
        lic = load_license(path)
        pack = packs.get(lic.board)
        report = evaluate(lic, completions, pack, as_of=day)
        states.append(LicenseState(lic, pack, report))
    with native_output_to_stderr():
        plan = make_plan(
            states,
            catalog,
            as_of=day,
            completions=completions,
            budget=money_cap,
            hours_per_week=weekly,
            goals=goals,
            goal_budget=goal_money,
        )
    if ics_path:
        text = to_ics(plan, dtstamp=datetime.now(UTC))
        try:
            Path(ics_path).write_bytes(text.encode("utf-8"))
        except OSError as exc:
            raise InputError(f"cannot write {ics_path!r}: {exc.strerror}") from None
    if fmt == "json":
        echo_json(plan.to_json())
    else:
        click.echo(render(plan))


def render(plan: Plan) -> str:
    """The plan as text for a person."""
    head = "PLAN CLOSES EVERY GAP" if plan.feasible else "NO PLAN CLOSES EVERY GAP"
    out = [f"{head} (as of {plan.as_of})", ""]
    if plan.courses:
        rows: list[list[Any]] = []
        for c in plan.courses:
            when = c.starts_at.strftime("%Y-%m-%d %H:%M") if c.starts_at else f"week of {c.week_of}"
            rows.append([c.id, c.title[:44], when, c.completes_on, c.hours, money(c.price), ", ".join(c.counts_for)])
        out.append(table(["course", "title", "when", "done by", "hours", "price", "counts for"], rows))
        out.append("")
    else:
        out += ["No courses to take.", ""]
    out.append(f"total: {money(plan.total_cost)} {plan.currency}, {json_number(plan.total_hours)} hours")
    if plan.goals_covered:
        out.append(f"goals covered: {', '.join(plan.goals_covered)}")
    data = plan.to_json()
    if data["closes"]:
        out += ["", "closes:"]
        for c in data["closes"]:
            extra = f", {c['completions']} completion(s)" if c.get("completions") else ""
            out.append(f"  {c['requirement']}: +{c['hours']} h{extra} from {', '.join(c['by']) or '-'}")
    if data["unmet"]:
        out += ["", "unmet:"]
        for u in data["unmet"]:
            missing = f", {u['completions_short']} completion(s)" if u.get("completions_short") else ""
            out.append(f"  {u['requirement']}: short {u['short']} h{missing} [{u['code']}] {u['why']}")
    for lic in plan.licenses:
        state = "compliant" if lic.compliant_after else "still short"
        out.append(f"{lic.board}: deadline {lic.deadline}, {state} after the plan")
    return "\n".join(out)


commands = [plan_command]
