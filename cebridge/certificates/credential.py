"""Open Badges 3.0 AchievementCredentials and CLR 2.0 transcripts of certificates, signed as VC-JWTs (RS256).

The credential carries the same facts as the PDF: hours in ``creditsAvailable``/``creditsEarned``, the license
number on the subject, the activity dates, ``achievementType: CertificateOfCompletion``; and, through the
cebridge extension context, the credit per approver (with its statement), per category, the delivery format and
what the board counted. A VC-JWT signs the raw JSON, so every one of those fields is covered by the signature.
The PDF's SHA-256 is in ``relatedResource`` (VC 2.0 ``digestSRI``), so a PDF can be checked against its credential.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from cebridge.certificates.context import (
    CLR_CONTEXT,
    OB_CONTEXT,
    OB_SCHEMA,
    VC_CONTEXT,
    extension_context_url,
)
from cebridge.certificates.model import CertificateData, ProviderProfile
from cebridge.certificates.statements import fmt_number
from cebridge.certificates.status import status_entry
from cebridge.domain.license import Cycle
from cebridge.keys import SigningKey

ACHIEVEMENT_TYPE = "CertificateOfCompletion"
CREDENTIAL_TYPES = ["VerifiableCredential", "AchievementCredential"]


def utc_iso(moment: datetime) -> str:
    """An ISO 8601 UTC timestamp with ``Z``, whole seconds (what JWT ``nbf``/``exp`` can carry)."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _float(value: Decimal) -> float:
    return float(fmt_number(value))


def issuer_id(base_url: str, provider_name: str) -> str:
    """The issuer Profile id (also the JWT ``iss``): one per provider on this deployment."""
    slug = "".join(c if c.isalnum() else "-" for c in provider_name.lower()).strip("-")
    while "--" in slug:
        slug = slug.replace("--", "-")
    return f"{base_url.rstrip('/')}/credentials/issuers/{slug or 'provider'}"


def issuer_profile(base_url: str, provider: ProviderProfile) -> dict[str, Any]:
    """The issuer Profile of a provider."""
    profile: dict[str, Any] = {
        "id": issuer_id(base_url, provider.name),
        "type": ["Profile"],
        "name": provider.name,
        "providerAddress": provider.address,
    }
    if provider.url:
        profile["url"] = provider.url
    return profile


def platform_issuer(base_url: str) -> dict[str, Any]:
    """The deployment itself as an issuer: it signs transcripts that gather several providers' certificates."""
    return {
        "id": f"{base_url.rstrip('/')}/credentials/issuers/cebridge",
        "type": ["Profile"],
        "name": "cebridge CE record",
        "url": base_url,
    }


def subject_id(board: str, license_number: str) -> str:
    """A pseudonymous, stable subject id for one license (the JWT ``sub``); the number itself is in the body."""
    digest = hashlib.sha256(f"{board}\x1f{license_number}".encode()).hexdigest()[:32]
    return f"urn:cebridge:license:{digest}"


def achievement_id(cert: CertificateData) -> str:
    """The same course by the same provider in the same format and length is one Achievement."""
    key = "\x1f".join([cert.provider_name, cert.course_title, cert.format, fmt_number(cert.hours)])
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'cebridge-achievement:' + key)}"


def digest_sri(data: bytes) -> str:
    """Subresource-integrity digest (``sha256-<base64>``) as VC 2.0 ``digestSRI`` expects."""
    return "sha256-" + base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


def achievement_credential(
    cert: CertificateData,
    *,
    provider: ProviderProfile,
    base_url: str,
    status_list_url: str,
    status_index: int,
    pdf_digest: str | None,
) -> dict[str, Any]:
    """The unsigned AchievementCredential of a certificate."""
    hours = _float(cert.hours)
    achievement: dict[str, Any] = {
        "id": achievement_id(cert),
        "type": ["Achievement"],
        "achievementType": ACHIEVEMENT_TYPE,
        "name": cert.course_title,
        "description": f"Continuing education activity: {cert.course_title} ({cert.format_label}).",
        "criteria": {"narrative": f"Complete the {cert.format_label.lower()} activity as the provider requires."},
        "creditsAvailable": hours,
        **({"humanCode": cert.course_code} if cert.course_code else {}),
        "tag": [c.category for c in cert.categories],
        "deliveryFormat": cert.format,
        "clockHours": fmt_number(cert.hours),
        "ceCredit": [
            {
                "type": "CECredit",
                "approver": a.body,
                "approvalId": a.approval_id,
                "unit": a.unit_label,
                "amount": fmt_number(a.amount),
                "display": a.display,
                "statement": a.statement,
            }
            for a in cert.approvers
        ],
        "ceCategory": [
            {"type": "CECategoryCredit", "category": c.category, "label": c.label, "hours": fmt_number(c.hours)}
            for c in cert.categories
        ],
    }
    subject: dict[str, Any] = {
        "id": subject_id(cert.acceptance.board, cert.license_number),
        "type": ["AchievementSubject"],
        "identifier": [
            {"type": "IdentityObject", "identityType": "name", "hashed": False, "identityHash": cert.participant_name}
        ],
        "licenseNumber": cert.license_number,
        "licenseState": cert.license_state,
        "licenseProfession": cert.license_profession,
        "activityStartDate": f"{cert.start_date.isoformat()}T00:00:00Z",
        "activityEndDate": f"{cert.end_date.isoformat()}T00:00:00Z",
        "creditsEarned": hours,
        "result": [{"type": ["Result"], "status": "Completed"}],
        "boardAcceptance": {
            "type": "CEBoardAcceptance",
            "board": cert.acceptance.board,
            "ruleVersion": cert.acceptance.rule_version,
            "status": cert.acceptance.status,
            "hoursCounted": fmt_number(cert.acceptance.hours_counted),
            "allocation": {k: fmt_number(v) for k, v in cert.acceptance.allocation.items()},
        },
        "achievement": achievement,
    }
    credential: dict[str, Any] = {
        "@context": [VC_CONTEXT, OB_CONTEXT, extension_context_url(base_url)],
        "id": cert.verification_url,
        "type": list(CREDENTIAL_TYPES),
        "issuer": issuer_profile(base_url, provider),
        "validFrom": utc_iso(cert.issued_at),
        "awardedDate": utc_iso(cert.issued_at),
        "name": f"{cert.course_title} ({fmt_number(cert.hours)} CE hours)",
        "certificateId": cert.certificate_id,
        "signedBy": {"name": cert.signer.name, "title": cert.signer.title},
        "credentialSubject": subject,
        "credentialStatus": status_entry(status_list_url, status_index),
        "credentialSchema": [{"id": OB_SCHEMA, "type": "1EdTechJsonSchemaValidator2019"}],
    }
    if cert.valid_until is not None:
        credential["validUntil"] = utc_iso(cert.valid_until)
    if pdf_digest is not None:
        credential["relatedResource"] = [
            {"id": f"{cert.verification_url}/certificate.pdf", "mediaType": "application/pdf", "digestSRI": pdf_digest}
        ]
    return credential


def jwt_claims(credential: dict[str, Any]) -> dict[str, Any]:
    """The VC-JWT payload: the registered claims derived from the credential, and the credential as ``vc``."""
    issuer = credential["issuer"]
    claims: dict[str, Any] = {
        "iss": issuer["id"] if isinstance(issuer, dict) else issuer,
        "jti": credential["id"],
        "nbf": int(datetime.fromisoformat(credential["validFrom"]).timestamp()),
        "vc": credential,
    }
    subject = credential.get("credentialSubject", {})
    if isinstance(subject, dict) and subject.get("id"):
        claims["sub"] = subject["id"]
    if credential.get("validUntil"):
        claims["exp"] = int(datetime.fromisoformat(credential["validUntil"]).timestamp())
    return claims


def sign_credential(credential: dict[str, Any], key: SigningKey) -> str:
    """The compact VC-JWT (header ``alg: RS256``, ``kid``, ``typ: JWT``)."""
    return key.sign(jwt_claims(credential))


def clr_credential(
    *,
    credentials: Sequence[dict[str, Any]],
    issuer: dict[str, Any],
    base_url: str,
    holder: str,
    board: str,
    license_number: str,
    cycle: Cycle,
    hours_required: Decimal,
    hours_counted: Decimal,
    issued_at: datetime,
) -> dict[str, Any]:
    """A CLR 2.0 transcript of one license cycle: the accepted completions' AchievementCredentials inside.

    Each inner credential is associated (``isPartOf``) with a "renewal cycle" achievement; the outer VC-JWT
    signature covers the whole transcript.
    """
    cycle_key = f"{board}\x1f{license_number}\x1f{cycle.start}\x1f{cycle.end}"
    transcript_id = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'cebridge-clr:' + cycle_key + utc_iso(issued_at))}"
    cycle_achievement_id = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'cebridge-cycle:' + cycle_key)}"
    cycle_name = f"{board.upper()} renewal cycle {cycle.start.isoformat()} to {cycle.end.isoformat()}"
    associations = [
        {
            "type": "Association",
            "associationType": "isPartOf",
            "sourceId": c["credentialSubject"]["achievement"]["id"],
            "targetId": cycle_achievement_id,
        }
        for c in credentials
    ]
    return {
        "@context": [VC_CONTEXT, CLR_CONTEXT, OB_CONTEXT, extension_context_url(base_url)],
        "id": transcript_id,
        "type": ["VerifiableCredential", "ClrCredential"],
        "issuer": issuer,
        "validFrom": utc_iso(issued_at),
        "name": f"CE transcript: {holder}, {cycle_name}",
        "credentialSubject": {
            "id": subject_id(board, license_number),
            "type": ["ClrSubject"],
            "verifiableCredential": list(credentials),
            "achievement": [
                {
                    "id": cycle_achievement_id,
                    "type": ["Achievement"],
                    "achievementType": "ext:RenewalCycle",
                    "name": cycle_name,
                    "description": f"Continuing education counted toward license {license_number}.",
                    "criteria": {"narrative": f"{fmt_number(hours_required)} hours required by {board}."},
                    "creditsAvailable": _float(hours_required),
                    "clockHours": fmt_number(hours_counted),
                }
            ],
            "association": associations,
        },
    }
