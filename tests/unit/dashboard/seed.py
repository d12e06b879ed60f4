"""A seeded clinician record for the dashboard's tests: a catalog, clinicians with licenses, completions that
went through the real ingest and recompute, certificates issued by the real certificates sink, and launch
records made through the LTI layer's tables and token API (for tests that do not run a whole launch).
"""

from __future__ import annotations

import secrets
import time
from datetime import UTC, date, datetime
from typing import Any

from flask import Flask
from sqlalchemy import select

from cebridge.certificates.model import ProviderProfile
from cebridge.certificates.sink import CertificateSink
from cebridge.certificates.stored import set_provider_profile
from cebridge.domain.records import CompletionRecord
from cebridge.services import people, providers
from cebridge.services.orgs import get_org
from cebridge.store.base import Base
from cebridge.store.db import SessionFactory, transaction
from cebridge.store.lti_tables import LtiLaunch, LtiPlatform
from cebridge.store.people_tables import LicenseRow
from cebridge.store.record_tables import ComplianceSnapshot
from cebridge.store.tables import Provider
from cebridge.sync.compliance import drain
from cebridge.sync.ingest import Origin, ingest
from lti_tool import settings_of
from lti_tool.db import engine_of, sessions_of
from lti_tool.keys import keystore_of
from lti_tool.launch_session import issue_token

AS_OF = date(2026, 3, 2)
ISSUER = "https://lms.example.edu"
CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
PROVIDER = "lonestar"
SOURCE = "lonestar-lms"


def _offering(
    oid: str,
    title: str,
    approvals: list[str],
    hours: int,
    categories: list[str],
    price: str,
    fmt: str = "self_study",
    activity: str = "course",
    sessions: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    return {
        "id": oid,
        "title": title,
        "provider": "Lone Star CE",
        "approvals": approvals,
        "format": fmt,
        "activity": activity,
        "credits": {"amount": hours, "unit": "hours"},
        "categories": categories,
        "price": {"amount": price, "currency": "USD"},
        "sessions": sessions or [],
        "topics": [],
        "keys": {"external_id": f"course-{oid}"},
        "flags": {"tx_listed_provider": True},
    }


CATALOG = [
    _offering("eth-tx", "Ethics for Texas Counselors", ["NBCC", "NY-SED"], 3, ["ethics"], "49.00"),
    _offering("eth-basics", "Ethics Basics", ["NBCC"], 2, ["ethics"], "25.00"),
    _offering("eth-6", "Ethics in Counseling Practice", ["NBCC"], 6, ["ethics"], "89.00"),
    _offering(
        "cult-3",
        "Cultural Humility in Practice",
        ["NBCC"],
        3,
        ["cultural_diversity"],
        "59.00",
        fmt="live_interactive_webinar",
        sessions=[{"start": "2026-04-10T17:00:00Z", "end": "2026-04-10T20:00:00Z"}],
    ),
    _offering("trauma-6", "Trauma-Informed Care", ["NBCC", "NY-SED"], 6, ["clinical"], "79.00"),
    _offering("mi-8", "Motivational Interviewing", ["NBCC", "NY-SED"], 8, ["clinical"], "99.00"),
    _offering(
        "juris",
        "Texas Jurisprudence Exam",
        ["TX-BHEC"],
        1,
        ["jurisprudence_exam"],
        "20.00",
        activity="jurisprudence_exam",
    ),
    _offering("ht-1", "Human Trafficking Prevention", ["TX-HHSC"], 1, ["human_trafficking"], "0.00"),
    _offering("ca-law", "California Law Update", ["CAMFT"], 2, ["law"], "30.00"),
    _offering(
        "bound-3",
        "Professional Boundaries",
        ["NY-SED"],
        3,
        ["boundaries"],
        "45.00",
        fmt="live_interactive_webinar",
        sessions=[{"start": "2026-05-05T16:00:00Z", "end": "2026-05-05T19:00:00Z"}],
    ),
]

PROFILE = {
    "name": "Lone Star CE",
    "address": "1 Main St, Austin, TX 78701",
    "approvals": [
        {"body": "NBCC", "id": "ACEP No. 7777"},
        {"body": "NY-SED", "id": "SW-0999"},
        {"body": "TX-BHEC", "id": "TX-123"},
        {"body": "TX-HHSC", "id": "HHSC-1"},
        {"body": "CAMFT", "id": "CAMFT-55"},
    ],
    "signer": {"name": "Pat Signer", "title": "CE Director"},
}


def tx_license(number: str, holder: str) -> dict[str, Any]:
    return {
        "board": "tx-lpc",
        "license_number": number,
        "holder": holder,
        "issued_on": "2019-06-01",
        "cycle": {"start": "2025-06-01", "end": "2027-05-31"},
        "renewal_number": 3,
        "attributes": {"supervisor": False, "provides_telehealth": False},
    }


def ny_license(number: str, holder: str) -> dict[str, Any]:
    return {
        "board": "ny-lcsw",
        "license_number": number,
        "holder": holder,
        "cycle": {"start": "2024-10-01", "end": "2027-09-30"},
        "renewal_number": 2,
    }


def create_schema(app: Flask) -> None:
    import cebridge.store.tables  # noqa: F401  (every table on the metadata)

    Base.metadata.create_all(engine_of(app))


def add_platform(app: Flask, issuer: str = ISSUER, client_id: str = "dash-client") -> int:
    """A platform registration row (what ``cebridge platforms add`` stores)."""
    with transaction(sessions_of(app)) as s:
        row = LtiPlatform(
            issuer=issuer,
            client_id=client_id,
            name="Test LMS",
            auth_login_url=issuer + "/auth",
            auth_token_url=issuer + "/token",
            key_set_url=issuer + "/jwks",
            created_at=int(time.time()),
        )
        s.add(row)
        s.flush()
        return row.id


def make_launch(
    app: Flask,
    platform_id: int,
    user_id: str,
    *,
    roles: tuple[str, ...] = (LEARNER,),
    name: str | None = "Jordan Lee",
    email: str | None = None,
    custom: dict[str, str] | None = None,
    context_id: str | None = "course-1",
    expires_in: int = 3600,
    verified: bool = True,
    memberships_url: str | None = None,
) -> str:
    """Store a validated launch record as the launch endpoint does and return its launch token."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": user_id,
        CLAIM + "message_type": "LtiResourceLinkRequest",
        CLAIM + "roles": list(roles),
        CLAIM + "resource_link": {"id": "rl-1"},
    }
    if name:
        claims["name"] = name
    if email:
        claims["email"] = email
    if custom:
        claims[CLAIM + "custom"] = custom
    if context_id:
        claims[CLAIM + "context"] = {"id": context_id, "title": "CE for clinicians"}
    if memberships_url:
        claims["https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"] = {
            "context_memberships_url": memberships_url
        }
    launch_id = secrets.token_urlsafe(24)
    with transaction(sessions_of(app)) as s:
        s.add(
            LtiLaunch(
                id=launch_id,
                platform_id=platform_id,
                deployment_id="1",
                message_type="LtiResourceLinkRequest",
                sub=user_id,
                context_id=context_id,
                resource_link_id="rl-1",
                claims=claims,
                verified=verified,
                created_at=now,
                expires_at=now + expires_in,
            )
        )
    return issue_token(launch_id, app)


def offering_row_id(factory: SessionFactory, offering_id: str) -> int:
    from cebridge.store.catalog_tables import Offering

    with transaction(factory, write=False) as s:
        found = s.scalar(select(Offering.id).where(Offering.offering_id == offering_id))
        assert found is not None
        return found


def _records(email: str, courses: list[tuple[str, str]]) -> list[CompletionRecord]:
    return [
        CompletionRecord.model_validate(
            {
                "source": SOURCE,
                "external_id": f"{email}:{oid}",
                "learner": {"email": email},
                "course": {"external_id": f"course-{oid}"},
                "status": "completed",
                "completed_at": f"{day}T15:00:00Z",
            }
        )
        for oid, day in courses
    ]


def seed_store(
    app: Flask, issuer: str = ISSUER, *, certificates: bool = True, snapshots: bool = True
) -> dict[str, int]:
    """The catalog, three clinicians and their completions; returns clinician ids by name."""
    factory = sessions_of(app)
    ids: dict[str, int] = {}
    with transaction(factory) as s:
        org = get_org(s, None)
        s.add(Provider(organization_id=org.id, name=PROVIDER, title="Lone Star CE", created_at=datetime.now(UTC)))
        s.flush()
        providers.import_catalog(s, PROVIDER, CATALOG, "catalog")
        provider = providers.get_provider(s, PROVIDER)
        set_provider_profile(s, provider.id, ProviderProfile.model_validate(PROFILE))
        jordan = people.add_clinician(
            s, name="Jordan Lee", email="jordan@example.org", platform_users=[(issuer, "learner-1")]
        )
        people.add_license(s, jordan, tx_license("LPC 70000", "Jordan Lee"), where="seed")
        people.add_license(s, jordan, ny_license("R-123456", "Jordan Lee"), where="seed")
        alex = people.add_clinician(
            s, name="Alex Kim", email="alex@example.org", platform_users=[(issuer, "learner-2")]
        )
        people.add_license(s, alex, tx_license("LPC 70001", "Alex Kim"), where="seed")
        casey = people.add_clinician(
            s, name="Casey Moore", email="casey@example.org", platform_users=[(issuer, "learner-4")]
        )
        people.add_license(s, casey, tx_license("LPC 70004", "Casey Moore"), where="seed")
        ids = {"jordan": jordan.id, "alex": alex.id, "casey": casey.id}
        origin = Origin(organization_id=org.id, provider_id=provider.id, connector_id=None, actor="seed")
        ingest(
            s,
            origin,
            _records(
                "jordan@example.org",
                [
                    ("trauma-6", "2025-09-15"),
                    ("mi-8", "2025-11-20"),
                    ("eth-basics", "2026-01-10"),
                    ("ca-law", "2026-02-01"),
                ],
            ),
        )
        ingest(
            s,
            origin,
            _records(
                "alex@example.org",
                [
                    ("eth-6", "2025-07-01"),
                    ("cult-3", "2025-08-01"),
                    ("juris", "2025-08-15"),
                    ("ht-1", "2025-08-20"),
                    ("trauma-6", "2025-10-01"),
                    ("mi-8", "2025-12-01"),
                ],
            ),
        )
        ingest(s, origin, _records("casey@example.org", [("eth-basics", "2025-12-01")]))
    if snapshots:
        drain(factory, as_of=AS_OF)
    if certificates:
        issue_certificates(app, ids["jordan"])
    return ids


def issue_certificates(app: Flask, clinician_id: int) -> int:
    """Issue, through the certificates sink, the certificate of each accepted completion of a clinician."""
    settings = settings_of(app)
    sink = CertificateSink(
        {"base_url": settings.base_url},
        settings=settings,
        factory=sessions_of(app),
        keys=keystore_of(app),
        clock=lambda: datetime(2026, 3, 1, 12, tzinfo=UTC),
    )
    issued = 0
    with transaction(sessions_of(app)) as s:
        for lic in s.scalars(select(LicenseRow).where(LicenseRow.clinician_id == clinician_id)):
            snap = s.get(ComplianceSnapshot, lic.id)
            assert snap is not None
            for c in snap.report["completions"]:
                if c["status"] in ("accepted", "partially_accepted"):
                    sink.reconcile(s, {"license_id": lic.id, "completion_id": int(c["id"])})
                    issued += 1
    return issued
