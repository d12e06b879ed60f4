"""Keep certificates true when completions change: revoke, reissue, or leave alone.

:func:`apply_completion_change` is what the pipeline calls (through the ``certificates`` sink, see
:mod:`cebridge.certificates.sink`) when a completion is accepted, corrected, no longer counted, or revoked at the
source. It works in the caller's transaction; :func:`certificate_event` is the payload the downstream sinks
(webhook, roster export, JSON lines) receive about the outcome.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from cebridge.certificates.build import CERTIFIABLE_STATUSES, split_board
from cebridge.certificates.errors import CertificateInputError
from cebridge.certificates.model import ProviderProfile
from cebridge.certificates.stored import IssueResult, issue_stored, revoke_for_completion
from cebridge.domain.completion import Completion
from cebridge.domain.license import License
from cebridge.domain.report import CompletionResult
from cebridge.keys import KeyStore
from cebridge.store.cert_tables import CertificateRow


@dataclass(frozen=True)
class Correction:
    """What happened to the certificate(s) of one completion.

    ``action`` is ``issued``, ``reissued``, ``unchanged``, ``revoked`` or ``none`` (nothing stood, nothing to do).
    """

    action: str
    certificate: CertificateRow | None = None
    replaced: CertificateRow | None = None


def apply_completion_change(
    session: Session,
    *,
    license: License,
    completion_ref: str,
    completion: Completion | None,
    result: CompletionResult | None,
    rule_version: str,
    provider: ProviderProfile | None,
    keys: KeyStore,
    base_url: str,
    now: datetime,
    license_id: int | None = None,
    completion_id: int | None = None,
    course_code: str | None = None,
    reason: str = "the completion was revoked or no longer counts",
) -> Correction:
    """Bring the certificate of ``completion_ref`` under ``license`` in line with the completion as it is now.

    ``completion`` is None when the completion was revoked at its source or deleted; a result that is not
    accepted (the board no longer counts it) also revokes. A changed completion reissues; an unchanged one is
    left as it is (so repeating the call is harmless).
    """
    number = license.license_number or ""
    if completion is None or result is None or result.status not in CERTIFIABLE_STATUSES:
        row = revoke_for_completion(
            session, license_number=number, board=license.board, completion_ref=completion_ref, reason=reason, now=now
        )
        return Correction("revoked", row) if row is not None else Correction("none")
    if provider is None:
        raise CertificateInputError("a provider profile is needed to issue a certificate")
    outcome: IssueResult = issue_stored(
        session,
        license=license,
        completion=completion,
        result=result,
        rule_version=rule_version,
        provider=provider,
        keys=keys,
        base_url=base_url,
        now=now,
        license_id=license_id,
        completion_id=completion_id,
        course_code=course_code,
    )
    return Correction(outcome.action, outcome.certificate, outcome.replaced)


def certificate_event(row: CertificateRow) -> dict[str, Any]:
    """The payload downstream sinks receive about a certificate (issued, reissued or revoked)."""
    data = row.data
    state, profession = split_board(row.board)
    acceptance = data.get("acceptance", {})
    return {
        "certificate_id": row.id,
        "status": row.status,
        "revision": row.revision,
        "replaced_by": row.replaced_by,
        "revoked_at": row.revoked_at.isoformat() if row.revoked_at else None,
        "issued_at": row.issued_at.isoformat(),
        "completion_id": row.completion_ref,
        "board": row.board,
        "state": state,
        "profession": profession,
        "license_number": row.license_number,
        "holder": row.holder,
        "provider": row.provider_name,
        "course_title": row.course_title,
        "course_code": data.get("course_code"),
        "format": data.get("format"),
        "start_date": data.get("start_date"),
        "completed_on": data.get("end_date"),
        "hours": data.get("hours"),
        "hours_earned": data.get("hours"),
        "hours_counted": acceptance.get("hours_counted"),
        "approvals": [
            {"body": a["body"], "approval_id": a.get("approval_id"), "credit": a.get("display")}
            for a in data.get("approvers", [])
        ],
        "categories": [{"category": c["category"], "hours": c["hours"]} for c in data.get("categories", [])],
        "verification_url": data.get("verification_url"),
        "pdf_sha256": row.pdf_sha256,
        "credential": row.credential_jwt,
    }
