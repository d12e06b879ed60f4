"""Builders for pack scenario tests: licenses and completions in a few words, and lookups in a report.

Scenario tests evaluate the bundled rule packs exactly as a clinician's data would be evaluated, so the
expected numbers in them are worked out by hand from the cited rule, not read back from the engine.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from cebridge.domain import Completion, License
from cebridge.domain.engine import evaluate
from cebridge.domain.report import CompletionResult, ComplianceReport, RequirementResult
from cebridge.rulepacks import PackRegistry


def lic(board: str, start: str | None, end: str | None, *, renewal: int | None = 2, **over: Any) -> License:
    """A license of ``board`` for the cycle ``start..end`` (no cycle when both are None)."""
    data: dict[str, Any] = {"board": board, "renewal_number": renewal}
    if start is not None and end is not None:
        data["cycle"] = {"start": start, "end": end}
    data.update(over)
    return License.model_validate(data)


def course(
    cid: str,
    hours: float | str,
    on: str | date,
    *,
    cats: tuple[str, ...] | list[str] = ("general",),
    approvals: tuple[str, ...] | list[str] = (),
    fmt: str = "live_in_person",
    activity: str = "course",
    unit: str = "hours",
    flags: dict[str, bool] | None = None,
    title: str | None = None,
    provider: str = "Provider",
) -> Completion:
    """One completion: ``hours`` in ``unit``, declared categories, approvals, format and activity."""
    return Completion.model_validate(
        {
            "id": cid,
            "title": title if title is not None else f"Course {cid}",
            "provider": provider,
            "approvals": list(approvals),
            "format": fmt,
            "activity": activity,
            "credits": {"amount": str(hours), "unit": unit},
            "categories": list(cats),
            "completed_on": on,
            "flags": flags or {},
        }
    )


def run(license: License, completions: list[Completion], *, as_of: str | None = None) -> ComplianceReport:
    """Evaluate against the bundled pack named by the license."""
    pack = PackRegistry().get(license.board)
    return evaluate(license, completions, pack, as_of=date.fromisoformat(as_of) if as_of else None)


def req(report: ComplianceReport, rid: str) -> RequirementResult:
    """The result of requirement ``rid`` (AssertionError naming the ones present when absent)."""
    for r in report.requirements:
        if r.id == rid:
            return r
    raise AssertionError(f"no requirement {rid!r}; have {[r.id for r in report.requirements]}")


def comp(report: ComplianceReport, cid: str) -> CompletionResult:
    """The result of completion ``cid``."""
    for c in report.completions:
        if c.id == cid:
            return c
    raise AssertionError(f"no completion {cid!r}")


def codes(report: ComplianceReport, cid: str) -> list[str]:
    """Reason codes recorded for completion ``cid``."""
    return [r.code for r in comp(report, cid).reasons]


def not_applicable(report: ComplianceReport) -> set[str]:
    """Ids of the pack's requirements that do not apply to this license this cycle."""
    return {n.id for n in report.not_applicable}


def d(value: str | int) -> Decimal:
    """A Decimal for comparisons."""
    return Decimal(str(value))
