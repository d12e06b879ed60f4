"""Certificates in the store: issue (idempotent), revoke, reissue, look up, and answer revocation queries.

Every function takes the caller's session, so issuing a certificate, revoking its predecessor and enqueuing the
sink deliveries that announce it happen in one transaction: a sink that fails later cannot lose a certificate,
and a crash midway leaves neither half.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, inspect, select
from sqlalchemy.orm import Session

from cebridge.certificates.build import build_certificate
from cebridge.certificates.errors import CertificateNotFound
from cebridge.certificates.issuing import content_hash, render_and_sign
from cebridge.certificates.model import CertificateData, ProviderProfile
from cebridge.certificates.pdf import FontChoice
from cebridge.domain.completion import Completion
from cebridge.domain.license import License
from cebridge.domain.report import CompletionResult
from cebridge.keys import KeyStore
from cebridge.store.cert_tables import (
    CertificateProfile,
    CertificateRevocation,
    CertificateRow,
    StatusListCounter,
)
from cebridge.store.db import SessionFactory, transaction

DEFAULT_LIST = "default"
REVOKED_STATES = ("revoked", "reissued")


def status_list_url(base_url: str, name: str = DEFAULT_LIST) -> str:
    """The URL the app serves a stored status list at."""
    root = f"{base_url.rstrip('/')}/credentials/status"
    return root if name == DEFAULT_LIST else f"{root}/{name}"


def has_certificate_tables(engine: Engine) -> bool:
    """Whether this database has been migrated to hold certificates."""
    try:
        return inspect(engine).has_table(CertificateRow.__tablename__)
    except Exception:  # an unreachable database has no tables we can use
        return False


def allocate_index(session: Session, name: str = DEFAULT_LIST) -> int:
    """The next free index of a status list, taken under the counter row's lock."""
    counter = session.scalar(select(StatusListCounter).where(StatusListCounter.name == name).with_for_update())
    if counter is None:
        counter = StatusListCounter(name=name, next_index=0)
        session.add(counter)
        session.flush()
    index = counter.next_index
    counter.next_index = index + 1
    return index


@dataclass(frozen=True)
class IssueResult:
    """What issuing did: ``issued`` (new), ``unchanged`` (the same certificate already stands) or ``reissued``."""

    action: str
    certificate: CertificateRow
    replaced: CertificateRow | None = None


def active_for(session: Session, license_number: str, board: str, completion_ref: str) -> CertificateRow | None:
    """The certificate that currently stands for one completion under one license."""
    return session.scalar(
        select(CertificateRow).where(
            CertificateRow.license_number == license_number,
            CertificateRow.board == board,
            CertificateRow.completion_ref == completion_ref,
            CertificateRow.status == "issued",
        )
    )


def _next_revision(session: Session, license_number: str, board: str, completion_ref: str) -> int:
    revisions = session.scalars(
        select(CertificateRow.revision).where(
            CertificateRow.license_number == license_number,
            CertificateRow.board == board,
            CertificateRow.completion_ref == completion_ref,
        )
    ).all()
    return max(revisions, default=-1) + 1


def issue_stored(
    session: Session,
    *,
    license: License,
    completion: Completion,
    result: CompletionResult,
    rule_version: str,
    provider: ProviderProfile,
    keys: KeyStore,
    base_url: str,
    now: datetime,
    license_id: int | None = None,
    completion_id: int | None = None,
    font: FontChoice = "auto",
    logo_base: Path | None = None,
    course_code: str | None = None,
) -> IssueResult:
    """Issue the certificate of one completion, or keep the one that stands if it says the same thing.

    When the standing certificate says something else (the completion or the provider profile was corrected),
    it is replaced: the old one becomes ``reissued`` (revoked, ``replaced_by`` the new id) and a new revision
    gets a new id.
    """
    ref = completion.id
    number = license.license_number or ""
    current = active_for(session, number, license.board, ref)
    draft = build_certificate(
        license=license,
        completion=completion,
        result=result,
        rule_version=rule_version,
        provider=provider,
        issued_at=now,
        base_url=base_url,
        revision=0,
        course_code=course_code,
    )
    digest = content_hash(draft)
    if current is not None and current.content_hash == digest:
        return IssueResult("unchanged", current)
    revision = _next_revision(session, number, license.board, ref)
    data = (
        draft
        if revision == 0
        else build_certificate(
            license=license,
            completion=completion,
            result=result,
            rule_version=rule_version,
            provider=provider,
            issued_at=now,
            base_url=base_url,
            revision=revision,
            course_code=course_code,
        )
    )
    issued = render_and_sign(
        data,
        provider=provider,
        base_url=base_url,
        key=keys.active(),
        status_list_url=status_list_url(base_url),
        status_index=allocate_index(session),
        font=font,
        logo_base=logo_base,
    )
    row = CertificateRow(
        id=data.certificate_id,
        completion_ref=ref,
        completion_id=completion_id,
        license_id=license_id,
        board=license.board,
        license_number=number,
        holder=data.participant_name,
        provider_name=provider.name,
        course_title=data.course_title,
        revision=revision,
        status="issued",
        status_list=DEFAULT_LIST,
        status_index=issued.status_index,
        kid=issued.kid,
        credential_jwt=issued.jwt,
        pdf=issued.pdf,
        pdf_sha256=issued.pdf_sha256,
        data=data.model_dump(mode="json"),
        content_hash=digest,
        issued_at=now,
    )
    session.add(row)
    session.flush()
    if current is not None:
        revoke_row(session, current, reason="reissued after a correction", now=now, replaced_by=row.id)
        return IssueResult("reissued", row, current)
    return IssueResult("issued", row)


def revoke_row(
    session: Session,
    row: CertificateRow,
    *,
    reason: str,
    now: datetime,
    replaced_by: str | None = None,
    actor: str = "system",
) -> CertificateRow:
    """Revoke one certificate (idempotent: revoking a revoked certificate changes nothing)."""
    if row.status in REVOKED_STATES:
        return row
    row.status = "reissued" if replaced_by else "revoked"
    row.revoked_at = now
    row.replaced_by = replaced_by
    session.add(CertificateRevocation(certificate_id=row.id, revoked_at=now, reason=reason[:500], actor=actor))
    return row


def revoke_stored(
    session: Session, certificate_id: str, *, reason: str, now: datetime, actor: str = "system"
) -> CertificateRow:
    """Revoke a certificate by id."""
    row = session.get(CertificateRow, certificate_id)
    if row is None:
        raise CertificateNotFound(f"no certificate {certificate_id}")
    return revoke_row(session, row, reason=reason, now=now, actor=actor)


def revoke_for_completion(
    session: Session, *, license_number: str, board: str, completion_ref: str, reason: str, now: datetime
) -> CertificateRow | None:
    """Revoke the certificate standing for a completion, if there is one."""
    row = active_for(session, license_number, board, completion_ref)
    if row is not None:
        revoke_row(session, row, reason=reason, now=now)
    return row


def certificate_data(row: CertificateRow) -> CertificateData:
    """The data a stored certificate was rendered from."""
    return CertificateData.model_validate(row.data)


def provider_profile(session: Session, provider_id: int) -> ProviderProfile | None:
    """The certificate profile configured for a stored provider."""
    row = session.get(CertificateProfile, provider_id)
    return ProviderProfile.model_validate(row.profile) if row is not None else None


def set_provider_profile(session: Session, provider_id: int, profile: ProviderProfile) -> None:
    """Store (or replace) a provider's certificate profile."""
    row = session.get(CertificateProfile, provider_id)
    data = profile.model_dump(mode="json")
    if row is None:
        session.add(CertificateProfile(provider_id=provider_id, profile=data))
    else:
        row.profile = data


def revoked_indexes(session: Session, name: str = DEFAULT_LIST) -> list[int]:
    """Indexes of revoked certificates in a stored status list."""
    return sorted(
        session.scalars(
            select(CertificateRow.status_index).where(
                CertificateRow.status_list == name, CertificateRow.status.in_(REVOKED_STATES)
            )
        )
    )


class StoreStatus:
    """A :class:`~cebridge.certificates.verification.StatusResolver` over the store's certificates."""

    def __init__(self, factory: SessionFactory, base_url: str) -> None:
        self._factory = factory
        self._base_url = base_url

    def _list_name(self, list_url: str) -> str | None:
        root = status_list_url(self._base_url)
        if list_url == root:
            return DEFAULT_LIST
        if list_url.startswith(root + "/"):
            return list_url[len(root) + 1 :]
        return None

    def revoked(self, list_url: str, index: int, credential_id: str) -> bool | None:
        name = self._list_name(list_url)
        if name is None:
            return None
        with transaction(self._factory, write=False) as session:
            status = session.scalar(
                select(CertificateRow.status).where(
                    CertificateRow.status_list == name, CertificateRow.status_index == index
                )
            )
        return None if status is None else status in REVOKED_STATES
