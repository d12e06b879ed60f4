"""Shared setup for the store's integration tests: an organization, a provider on the test server, a catalog,
clinicians with licenses."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from cebridge.services import people, providers
from cebridge.store.db import SessionFactory, transaction
from cebridge.store.tables import CompletionRow, CreditAwardRow

CONNECTOR = "tests.integration.provider:PagedConnector"


def catalog(courses: int) -> list[dict[str, Any]]:
    """One offering per course of the test site: 2 hours, NBCC-approved, every third one on ethics."""
    return [
        {
            "id": f"off-{c}",
            "title": f"Course {c}",
            "provider": "Test CE",
            "approvals": ["NBCC"],
            "format": "self_study",
            "activity": "course",
            "credits": {"amount": 2, "unit": "hours"},
            "categories": ["ethics"] if c % 3 == 0 else [],
            "keys": {"external_id": f"course-{c}"},
        }
        for c in range(courses)
    ]


def license_json(number: str) -> dict[str, Any]:
    return {
        "board": "tx-lpc",
        "license_number": number,
        "holder": "Test",
        "issued_on": "2015-06-01",
        "cycle": {"start": "2023-06-01", "end": "2025-05-31"},
        "renewal_number": 3,
        "attributes": {"supervisor": False, "provides_telehealth": False},
    }


def setup_provider(
    factory: SessionFactory, url: str, *, courses: int, per_page: int = 100, name: str = "testlms", timeout: float = 5.0
) -> None:
    with transaction(factory) as s:
        providers.add_provider(
            s, name, connector=CONNECTOR, config={"url": url, "per_page": per_page, "timeout": timeout}
        )
        providers.import_catalog(s, name, catalog(courses), "catalog")


def add_clinicians(factory: SessionFactory, learners: range) -> dict[int, int]:
    """Clinicians for learners (matched by e-mail), each with a Texas LPC license; learner -> clinician id."""
    out = {}
    with transaction(factory) as s:
        for i in learners:
            c = people.add_clinician(s, name=f"Learner {i}", email=f"learner{i}@example.org")
            people.add_license(s, c, license_json(f"LPC {70000 + i}"), where="license")
            out[i] = c.id
    return out


def totals(factory: SessionFactory) -> dict[str, Any]:
    """A fingerprint of the record: completion count and keys, and total hours awarded per license."""
    with transaction(factory, write=False) as s:
        keys = s.execute(select(CompletionRow.source, CompletionRow.external_id)).all()
        awards = s.execute(select(CreditAwardRow.license_id, CreditAwardRow.requirement, CreditAwardRow.hours)).all()
        count = s.scalar(select(func.count()).select_from(CompletionRow))
    per_license: dict[tuple[int, str], Decimal] = {}
    for lic, req, hours in awards:
        per_license[(lic, req)] = per_license.get((lic, req), Decimal(0)) + hours
    return {"count": count, "keys": sorted(keys), "awards": per_license}
