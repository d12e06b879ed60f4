"""Shared output helpers for the CLI: JSON with Decimals and dates, and plain text tables."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import click

from cebridge.domain.base import json_number
from cebridge.errors import InputError

format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="table for people, json for programs",
)


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return json_number(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def dumps(data: Any) -> str:
    """JSON text with Decimals as numbers and dates as ISO strings."""
    return json.dumps(data, indent=2, default=_default, ensure_ascii=False)


def echo_json(data: Any) -> None:
    """Print ``data`` as JSON on stdout."""
    click.echo(dumps(data))


def read_json(path: str | Path, what: str) -> Any:
    """Read a JSON input file; a missing or malformed file is an :class:`InputError` naming it."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(f"{what} file {str(p)!r}: cannot read: {exc.strerror}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{what} file {p.name!r} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain aligned text table."""
    cells = [[str(h) for h in headers]] + [[_cell(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if isinstance(value, Decimal):
        return str(json_number(value))
    if value is None:
        return ""
    return str(value)


def bar(done: Decimal, needed: Decimal, width: int = 20) -> str:
    """A text progress bar: ``[#######-------]``."""
    if needed <= 0:
        return "[" + "#" * width + "]"
    filled = int(min(Decimal(1), done / needed) * width)
    return "[" + "#" * filled + "-" * (width - filled) + "]"
