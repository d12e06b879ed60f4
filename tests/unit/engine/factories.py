"""Small rule packs, licenses and completions built in code for engine tests."""

from __future__ import annotations

from datetime import date
from typing import Any

from cebridge.domain import Completion, License, RulePack

SOURCE = {"id": "s", "url": "https://example.org/rule", "says": "test rule", "strength": "regulation"}


def version(**over: Any) -> dict[str, Any]:
    """A rule version as data: 20 hours per two-year fixed cycle ending June 30 of odd years."""
    base: dict[str, Any] = {
        "version": "v1",
        "effective_from": "2000-01-01",
        "sources": [SOURCE],
        "cycle": {
            "anchor": "fixed_calendar",
            "length_months": 24,
            "end_month": 6,
            "end_year_parity": "odd",
            "source": ["s"],
        },
        "units": {"source": ["s"]},
        "total": {"hours": 20, "source": ["s"]},
        "approvers": [{"body": "APA", "source": ["s"]}, {"body": "NBCC", "source": ["s"]}],
        "requirements": [
            {"id": "ethics", "title": "Ethics", "categories": ["ethics"], "hours": 4, "source": ["s"]},
            {"id": "cultural", "title": "Cultural", "categories": ["cultural_diversity"], "hours": 3, "source": ["s"]},
        ],
    }
    base.update(over)
    return base


def pack(*versions: dict[str, Any], **over: Any) -> RulePack:
    data: dict[str, Any] = {
        "id": "zz-test",
        "state": "ZZ",
        "profession": "test",
        "title": "Test",
        "board": "Test board",
        "board_url": "https://example.org",
        "versions": list(versions) or [version()],
    }
    data.update(over)
    return RulePack.model_validate(data)


def lic(**over: Any) -> License:
    data: dict[str, Any] = {
        "board": "zz-test",
        "cycle": {"start": "2023-07-01", "end": "2025-06-30"},
        "renewal_number": 2,
    }
    data.update(over)
    return License.model_validate(data)


def done(cid: str, hours: float | str = 1, on: str | date = "2024-01-10", **over: Any) -> Completion:
    data: dict[str, Any] = {
        "id": cid,
        "title": f"Course {cid}",
        "provider": "P",
        "approvals": ["APA"],
        "credits": {"amount": str(hours), "unit": "hours"},
        "categories": [],
        "completed_on": str(on),
    }
    data.update(over)
    return Completion.model_validate(data)
