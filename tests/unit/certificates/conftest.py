"""Fixtures for certificate tests: a Texas LPC license, completions, a provider with three approvals, a key store."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cebridge.certificates.build import build_certificate, select
from cebridge.certificates.model import CertificateData, ProviderProfile
from cebridge.domain.completion import Completion
from cebridge.domain.engine import evaluate
from cebridge.domain.license import License
from cebridge.domain.report import ComplianceReport
from cebridge.domain.rules import RulePack
from cebridge.keys import KeyStore
from cebridge.rulepacks import load_pack_file

PACKS = Path(__file__).resolve().parents[3] / "cebridge" / "packs"
NOW = datetime(2024, 7, 1, 15, 30, tzinfo=UTC)
BASE_URL = "https://ce.example.org"

LICENSE: dict[str, Any] = {
    "board": "tx-lpc",
    "license_number": "LPC 70000",
    "holder": "Jordan Lee",
    "cycle": {"start": "2023-06-01", "end": "2025-05-31"},
    "renewal_number": 3,
    "attributes": {"supervisor": False, "provides_telehealth": False},
}

COMPLETIONS: list[dict[str, Any]] = [
    {
        "id": "t1",
        "title": "Trauma-Informed Care",
        "provider": "Lone Star CE",
        "approvals": ["APA", "NBCC", "ASWB-ACE"],
        "format": "live_interactive_webinar",
        "activity": "course",
        "credits": {"amount": 6, "unit": "hours"},
        "categories": ["clinical"],
        "completed_on": "2023-09-12",
    },
    {
        "id": "t2",
        "title": "Ethics for Texas Counselors",
        "provider": "Lone Star CE",
        "approvals": ["NBCC"],
        "format": "self_study",
        "activity": "course",
        "credits": {"amount": 3, "unit": "hours"},
        "categories": ["ethics"],
        "completed_on": "2023-10-12",
    },
    {
        "id": "t3",
        "title": "Cultural Humility in Practice",
        "provider": "Lone Star CE",
        "approvals": ["ASWB-ACE"],
        "format": "live_in_person",
        "activity": "course",
        "credits": {"amount": 90, "unit": "minutes"},
        "categories": ["cultural_diversity"],
        "completed_on": "2024-01-20",
    },
    {
        "id": "t4",
        "title": "Too Late",
        "provider": "Lone Star CE",
        "approvals": ["NBCC"],
        "format": "self_study",
        "activity": "course",
        "credits": {"amount": 2, "unit": "hours"},
        "categories": ["ethics"],
        "completed_on": "2025-06-05",
    },
]

PROVIDER: dict[str, Any] = {
    "name": "Lone Star CE",
    "address": "100 Congress Ave, Austin, TX 78701",
    "approvals": [
        {"body": "APA", "id": None, "statement": None},
        {"body": "NBCC", "id": "ACEP No. 6000", "statement": None},
        {"body": "ASWB-ACE", "id": "ACE Provider #1046", "period": {"start": "2023-01-01", "end": "2026-01-01"}},
    ],
    "signer": {"name": "Dr. Ana Ruiz", "title": "Director of Continuing Education"},
}


@pytest.fixture(scope="session")
def pack() -> RulePack:
    return load_pack_file(PACKS / "tx-lpc.yaml")


@pytest.fixture
def license_() -> License:
    return License.model_validate(LICENSE)


@pytest.fixture
def completions() -> list[Completion]:
    return [Completion.model_validate(c) for c in COMPLETIONS]


@pytest.fixture
def provider() -> ProviderProfile:
    return ProviderProfile.model_validate(copy.deepcopy(PROVIDER))


@pytest.fixture
def report(license_: License, completions: list[Completion], pack: RulePack) -> ComplianceReport:
    return evaluate(license_, completions, pack, as_of=NOW.date())


@pytest.fixture
def certs(
    license_: License, completions: list[Completion], provider: ProviderProfile, report: ComplianceReport
) -> dict[str, CertificateData]:
    chosen, _ = select(report, completions, provider)
    return {
        c.id: build_certificate(
            license=license_,
            completion=c,
            result=r,
            rule_version=report.rule_version,
            provider=provider,
            issued_at=NOW,
            base_url=BASE_URL,
        )
        for c, r in chosen
    }


@pytest.fixture
def keys(tmp_path: Path) -> KeyStore:
    return KeyStore(tmp_path / "keyhome")
