"""Rule packs, licenses, offerings and completions built in code for planner tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from cebridge.domain import Completion, CreditOffering, License, RulePack
from cebridge.domain.engine import evaluate
from cebridge.domain.planner import LicenseState

SOURCE = {"id": "s", "url": "https://example.org/rule", "says": "test rule", "strength": "regulation"}
AS_OF = date(2024, 9, 2)  # a Monday inside the default cycle


def version(**over: Any) -> dict[str, Any]:
    """A rule version: 12 hours, 3 ethics, 2 cultural, APA and NBCC accepted, fixed two-year cycle."""
    base: dict[str, Any] = {
        "version": "v1",
        "effective_from": "2000-01-01",
        "sources": [SOURCE],
        "cycle": {"anchor": "fixed_calendar", "length_months": 24, "end_month": 6, "end_year_parity": "odd",
                  "source": ["s"]},
        "units": {"source": ["s"]},
        "total": {"hours": 12, "source": ["s"]},
        "approvers": [{"body": "APA", "source": ["s"]}, {"body": "NBCC", "source": ["s"]}],
        "requirements": [
            {"id": "ethics", "title": "Ethics", "categories": ["ethics"], "hours": 3, "source": ["s"]},
            {"id": "cultural", "title": "Cultural", "categories": ["cultural_diversity"], "hours": 2,
             "source": ["s"]},
        ],
    }
    base.update(over)
    return base


def requirement(rid: str, cats: Sequence[str], hours: float | str = 0, **over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"id": rid, "title": rid.replace("_", " ").title(), "categories": list(cats),
                            "hours": str(hours), "source": ["s"]}
    data.update(over)
    return data


def cap(cid: str, match: dict[str, Any], **over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"id": cid, "title": cid.replace("_", " "), "match": match, "source": ["s"]}
    data.update(over)
    return data


def pack(*versions: dict[str, Any], pid: str = "zz-test") -> RulePack:
    return RulePack.model_validate(
        {
            "id": pid,
            "state": pid[:2].upper(),
            "profession": pid[3:],
            "title": "Test",
            "board": "Test board",
            "board_url": "https://example.org",
            "versions": list(versions) or [version()],
        }
    )


def lic(board: str = "zz-test", start: str = "2023-07-01", end: str = "2025-06-30", **over: Any) -> License:
    data: dict[str, Any] = {"board": board, "cycle": {"start": start, "end": end}, "renewal_number": 2,
                            "license_number": f"{board.upper()}-1"}
    data.update(over)
    return License.model_validate(data)


def offering(
    oid: str,
    hours: float | str = 1,
    price: float | str = 0,
    cats: Sequence[str] = (),
    *,
    fmt: str = "self_study",
    approvals: Sequence[str] = ("APA",),
    sessions: Sequence[tuple[str, str]] = (),
    **over: Any,
) -> CreditOffering:
    data: dict[str, Any] = {
        "id": oid,
        "title": f"Course {oid}",
        "provider": "Provider",
        "approvals": list(approvals),
        "format": fmt,
        "credits": {"amount": str(hours), "unit": "hours"},
        "categories": list(cats),
        "price": {"amount": str(price)},
        "sessions": [{"start": s, "end": e} for s, e in sessions],
    }
    data.update(over)
    return CreditOffering.model_validate(data)


def live(
    oid: str, hours: float | str, price: float | str, cats: Sequence[str], day: str, **over: Any
) -> CreditOffering:
    """A live in-person offering meeting once on ``day`` (YYYY-MM-DD), 9:00-12:00 UTC."""
    return offering(oid, hours, price, cats, fmt="live_in_person",
                    sessions=[(f"{day}T09:00:00Z", f"{day}T12:00:00Z")], **over)


def done(cid: str, hours: float | str = 1, on: str | date = "2024-01-10", cats: Sequence[str] = (),
         **over: Any) -> Completion:
    data: dict[str, Any] = {
        "id": cid,
        "title": f"Done {cid}",
        "provider": "Elsewhere",
        "approvals": ["APA"],
        "credits": {"amount": str(hours), "unit": "hours"},
        "categories": list(cats),
        "completed_on": str(on),
    }
    data.update(over)
    return Completion.model_validate(data)


def state(license: License, rules: RulePack, completions: Sequence[Completion] = (),
          as_of: date = AS_OF) -> LicenseState:
    """A license with the engine's report for ``completions``."""
    return LicenseState(license, rules, evaluate(license, list(completions), rules, as_of=as_of))


def money(value: str | int) -> Decimal:
    return Decimal(str(value))
