"""``cebridge boards list|show ID``: the bundled rule packs, with their sources."""

from __future__ import annotations

from typing import Any

import click

from cebridge.cli.output import echo_json, format_option, table
from cebridge.config import Settings
from cebridge.domain.rules import RulePack, RuleVersion
from cebridge.rulepacks import PackRegistry


def registry() -> PackRegistry:
    """The packs: bundled ones plus any directory in CEBRIDGE_PACKS_DIRS."""
    return PackRegistry(Settings().packs_dirs)


@click.group()
def boards() -> None:
    """Licensing boards and their rule packs."""


@boards.command("list")
@format_option
def list_boards(fmt: str) -> None:
    """List every rule pack: id, board, current version."""
    packs = list(registry())
    if fmt == "json":
        echo_json([_summary(p) for p in packs])
        return
    rows = [
        (p.id, p.title, p.versions[-1].version, p.versions[-1].total.hours, len(p.versions[-1].requirements))
        for p in packs
    ]
    click.echo(table(["id", "license", "current rules", "hours", "requirements"], rows))


@boards.command("show")
@click.argument("board_id")
@format_option
def show_board(board_id: str, fmt: str) -> None:
    """Show one pack: every version, rule and source."""
    pack = registry().get(board_id)
    if fmt == "json":
        echo_json(pack.model_dump(mode="json"))
        return
    click.echo(f"{pack.id}: {pack.title}\n{pack.board} <{pack.board_url}>")
    for version in pack.versions:
        click.echo("")
        click.echo(_version_text(version))


def _summary(pack: RulePack) -> dict[str, Any]:
    current = pack.versions[-1]
    return {
        "id": pack.id,
        "title": pack.title,
        "board": pack.board,
        "state": pack.state,
        "profession": pack.profession,
        "versions": [
            {"version": v.version, "effective_from": v.effective_from, "effective_to": v.effective_to}
            for v in pack.versions
        ],
        "current_total_hours": current.total.hours,
    }


def _version_text(v: RuleVersion) -> str:
    until = v.effective_to or "today"
    lines = [f"Rules {v.version} (cycles from {v.effective_from} to {until})", f"  {v.summary}".rstrip()]
    weak = " [weak source]"
    cyc = v.cycle
    lines.append(f"  cycle: {cyc.anchor.replace('_', ' ')}, {cyc.length_months} months" + (weak * v.is_weak(cyc)))
    lines.append(f"  total: {v.total.hours} hours; first renewal: {v.total.first_renewal}" + weak * v.is_weak(v.total))
    for r in v.requirements:
        need = f"{r.hours} h" if r.hours else f"{r.min_completions} completion(s)"
        cond = f" when {r.when}" if r.when else ""
        lines.append(
            f"  requirement {r.id}: {need} of {', '.join(r.categories)} ({r.scope}){cond}" + weak * v.is_weak(r)
        )
    for c in v.caps:
        limit = f"{c.max_hours} h" if c.max_hours is not None else f"{c.max_fraction} of required"
        lines.append(f"  cap {c.id}: {limit} — {c.title}" + weak * v.is_weak(c))
    if v.carry_over:
        lines.append(f"  carry-over: up to {v.carry_over.max_hours} h" + weak * v.is_weak(v.carry_over))
    lines.append(f"  approvers: {', '.join(sorted({a.body for a in v.approvers}))}")
    lines.append("  sources:")
    lines += [f"    [{s.id}] ({s.strength}) {s.url}\n      {s.says}" for s in v.sources]
    if v.unknowns:
        lines.append("  not known:")
        lines += [f"    - {u}" for u in v.unknowns]
    return "\n".join(lines)


commands = [boards]
