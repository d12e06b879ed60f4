"""Build certificate data from a license, a completion and what the board counted from it (pure).

Which completions get a certificate is decided here too: the ones the license's board accepts (fully or
partly), that this provider ran, and that are activities a provider certifies (hours carried in from a previous
cycle are not).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from cebridge.certificates.errors import CertificateInputError
from cebridge.certificates.model import (
    ApproverCredit,
    BoardAcceptance,
    CategoryCredit,
    CertificateData,
    ProviderProfile,
)
from cebridge.certificates.statements import (
    FORMAT_LABELS,
    category_label,
    clock_hours,
    credit_display,
    statement_for,
)
from cebridge.domain.completion import Completion
from cebridge.domain.license import License
from cebridge.domain.report import CompletionResult, ComplianceReport

CERTIFIABLE_STATUSES = frozenset({"accepted", "partially_accepted"})
#: Activities that are not a provider's to certify.
NOT_CERTIFIED_ACTIVITIES = frozenset({"carryover_in", "presenting", "authoring"})


def certificate_id(
    *, provider: str, board: str, license_number: str, holder: str, completion_id: str, revision: int = 0
) -> str:
    """A stable, unguessable-enough id: the same inputs give the same id, a reissue (revision) a new one.

    ``CE-`` then 16 base32 characters (80 bits) in groups of four, easy to read out on the phone.
    """
    material = "\x1f".join([provider, board, license_number, holder, completion_id, str(revision)])
    digest = hashlib.sha256(material.encode("utf-8")).digest()
    code = base64.b32encode(digest[:10]).decode("ascii")
    return "CE-" + "-".join(code[i : i + 4] for i in range(0, 16, 4))


def verification_url(base_url: str, cert_id: str) -> str:
    """Where anyone can check a certificate."""
    return f"{base_url.rstrip('/')}/verify/{cert_id}"


def split_board(board: str) -> tuple[str, str]:
    """``tx-lpc`` -> ``("TX", "LPC")``."""
    state, _, profession = board.partition("-")
    return state.upper(), profession.upper()


@dataclass(frozen=True)
class Skipped:
    """A completion that gets no certificate, and why (shown to the operator, never silently dropped)."""

    completion_id: str
    reason: str


def select(
    report: ComplianceReport, completions: Sequence[Completion], provider: ProviderProfile
) -> tuple[list[tuple[Completion, CompletionResult]], list[Skipped]]:
    """The completions to certify, each with its result, and the ones skipped with a reason."""
    results = {r.id: r for r in report.completions}
    chosen: list[tuple[Completion, CompletionResult]] = []
    skipped: list[Skipped] = []
    for completion in completions:
        result = results.get(completion.id)
        if result is None:
            skipped.append(Skipped(completion.id, "not in the compliance report"))
        elif result.status not in CERTIFIABLE_STATUSES:
            codes = ", ".join(r.code for r in result.reasons) or result.status
            skipped.append(Skipped(completion.id, f"not accepted by {report.board} ({codes})"))
        elif completion.activity in NOT_CERTIFIED_ACTIVITIES:
            skipped.append(Skipped(completion.id, f"activity {completion.activity} is not certified by a provider"))
        elif completion.provider and completion.provider.casefold() != provider.name.casefold():
            skipped.append(Skipped(completion.id, f"run by {completion.provider!r}, not {provider.name!r}"))
        else:
            chosen.append((completion, result))
    return chosen, skipped


def build_certificate(
    *,
    license: License,
    completion: Completion,
    result: CompletionResult,
    rule_version: str,
    provider: ProviderProfile,
    issued_at: datetime,
    base_url: str,
    revision: int = 0,
    start_date: date | None = None,
    valid_until: datetime | None = None,
    course_code: str | None = None,
) -> CertificateData:
    """The certificate of one completion for one license; the clock and base URL are arguments."""
    if issued_at.tzinfo is None:
        raise CertificateInputError("issued_at must be timezone-aware")
    holder = license.holder
    number = license.license_number
    if not holder or not number:
        missing = "holder" if not holder else "license_number"
        raise CertificateInputError(f"the license needs '{missing}': a certificate names the participant and license")
    if not completion.approvals:
        raise CertificateInputError(
            f"completion {completion.id!r} lists no approval body; a certificate must state at least one approval"
        )
    hours = clock_hours(completion.credits)
    format_label = FORMAT_LABELS[completion.format]
    approvers = []
    for body in completion.approvals:
        approval = provider.approval(body)
        if approval is None:
            held = ", ".join(a.body for a in provider.approvals)
            raise CertificateInputError(
                f"completion {completion.id!r} claims {body} approval but {provider.name} lists only {held}"
            )
        unit, display = credit_display(body, hours)
        approvers.append(
            ApproverCredit(
                body=body,
                approval_id=approval.id,
                amount=hours,
                unit_label=unit,
                display=display,
                statement=statement_for(approval, provider.name, display, format_label),
            )
        )
    state, profession = split_board(license.board)
    cert_id = certificate_id(
        provider=provider.name,
        board=license.board,
        license_number=number,
        holder=holder,
        completion_id=completion.id,
        revision=revision,
    )
    return CertificateData(
        certificate_id=cert_id,
        revision=revision,
        issued_at=issued_at,
        valid_until=valid_until,
        verification_url=verification_url(base_url, cert_id),
        participant_name=holder,
        license_number=number,
        license_state=state,
        license_profession=profession,
        completion_id=completion.id,
        course_title=completion.title or completion.id,
        course_code=course_code,
        start_date=start_date or completion.completed_on,
        end_date=completion.completed_on,
        format=completion.format,
        format_label=format_label,
        hours=hours,
        provider_name=provider.name,
        provider_address=provider.address,
        provider_url=provider.url,
        signer=provider.signer,
        approvers=approvers,
        categories=[CategoryCredit(category=c, label=category_label(c), hours=hours) for c in completion.categories],
        acceptance=BoardAcceptance(
            board=license.board,
            rule_version=rule_version,
            status=result.status,
            hours_counted=result.hours_counted,
            allocation=dict(result.allocation),
        ),
    )
