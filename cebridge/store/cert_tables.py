"""Certificates, their revocations, the status-list counter and providers' certificate profiles.

A certificate row keeps everything needed to show, verify and re-send it without re-rendering: the PDF bytes
(and their SHA-256), the signed VC-JWT, and the certificate data it was built from. Revoking never deletes a row:
its status becomes ``revoked`` (or ``reissued`` with ``replaced_by`` naming the new certificate), and a
``certificate_revocations`` row records when and why.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cebridge.store.base import Base
from cebridge.store.types import JSONDoc, UTCDateTime, utcnow

#: Values of ``certificates.status``.
CERT_STATUSES = ("issued", "revoked", "reissued")


class CertificateRow(Base):
    """One issued certificate (PDF + credential) for one completion under one license."""

    __tablename__ = "certificates"
    __table_args__ = (UniqueConstraint("status_list", "status_index"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    #: The completion as the certificate names it (a stored completion's row id, or a file's completion id).
    completion_ref: Mapped[str] = mapped_column(String(200), index=True)
    completion_id: Mapped[int | None] = mapped_column(ForeignKey("completions.id", ondelete="SET NULL"), index=True)
    license_id: Mapped[int | None] = mapped_column(ForeignKey("licenses.id", ondelete="SET NULL"), index=True)
    board: Mapped[str] = mapped_column(String(40))
    license_number: Mapped[str] = mapped_column(String(100), index=True)
    holder: Mapped[str] = mapped_column(String(200))
    provider_name: Mapped[str] = mapped_column(String(200))
    course_title: Mapped[str] = mapped_column(String(500))
    revision: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20), default="issued")
    status_list: Mapped[str] = mapped_column(String(40), default="default")
    status_index: Mapped[int] = mapped_column(Integer)
    kid: Mapped[str] = mapped_column(String(100))
    credential_jwt: Mapped[str] = mapped_column(Text)
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    #: The CertificateData the PDF and credential were rendered from (JSON).
    data: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    #: A digest of what the certificate says (not when it was issued): a changed completion changes it.
    content_hash: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    replaced_by: Mapped[str | None] = mapped_column(ForeignKey("certificates.id", ondelete="SET NULL"))


class CertificateRevocation(Base):
    """When and why a certificate was revoked (kept even if the certificate is reissued)."""

    __tablename__ = "certificate_revocations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    certificate_id: Mapped[str] = mapped_column(ForeignKey("certificates.id", ondelete="CASCADE"), index=True)
    revoked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reason: Mapped[str] = mapped_column(String(500))
    actor: Mapped[str] = mapped_column(String(200), default="system")


class StatusListCounter(Base):
    """The next free index of a status list (allocated under the row's lock)."""

    __tablename__ = "certificate_status_lists"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    next_index: Mapped[int] = mapped_column(Integer, default=0)


class CertificateProfile(Base):
    """How a provider's certificates read and look: the PROVIDER.json document, per stored provider."""

    __tablename__ = "certificate_profiles"

    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id", ondelete="CASCADE"), primary_key=True)
    profile: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
