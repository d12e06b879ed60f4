"""Turn certificate data into the two artefacts a clinician keeps: the PDF and the signed credential.

Both the file ledger (``cebridge certificates issue``) and the store use :func:`render_and_sign`; where the
result is kept, and how its status-list index was allocated, is theirs to decide.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cebridge.certificates.credential import achievement_credential, digest_sri, sign_credential
from cebridge.certificates.model import CertificateData, ProviderProfile
from cebridge.certificates.pdf import FontChoice, render_pdf
from cebridge.keys import SigningKey


@dataclass(frozen=True)
class IssuedCertificate:
    """A rendered and signed certificate."""

    data: CertificateData
    pdf: bytes
    pdf_sha256: str
    credential: dict[str, Any]
    jwt: str
    kid: str
    status_index: int

    def summary(self) -> dict[str, Any]:
        """What ``cebridge certificates issue`` prints for this certificate (no PII beyond what it names)."""
        return {
            "certificate_id": self.data.certificate_id,
            "completion_id": self.data.completion_id,
            "course": self.data.course_title,
            "license_number": self.data.license_number,
            "hours": self.data.hours,
            "approvers": [a.body for a in self.data.approvers],
            "verification_url": self.data.verification_url,
            "kid": self.kid,
            "pdf_sha256": self.pdf_sha256,
        }


def content_hash(data: CertificateData) -> str:
    """A digest of what a certificate says, leaving out when and under which id/revision it was issued.

    Two certificates with the same content hash say the same thing; a corrected completion changes it.
    """
    body = data.model_dump(mode="json", exclude={"certificate_id", "revision", "issued_at", "verification_url"})
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode("utf-8")).hexdigest()


def render_and_sign(
    data: CertificateData,
    *,
    provider: ProviderProfile,
    base_url: str,
    key: SigningKey,
    status_list_url: str,
    status_index: int,
    font: FontChoice = "auto",
    logo_base: Path | None = None,
) -> IssuedCertificate:
    """Render the PDF, then sign a credential that carries the PDF's digest."""
    pdf = render_pdf(data, provider.template, font=font, logo_base=logo_base)
    credential = achievement_credential(
        data,
        provider=provider,
        base_url=base_url,
        status_list_url=status_list_url,
        status_index=status_index,
        pdf_digest=digest_sri(pdf),
    )
    return IssuedCertificate(
        data=data,
        pdf=pdf,
        pdf_sha256=hashlib.sha256(pdf).hexdigest(),
        credential=credential,
        jwt=sign_credential(credential, key),
        kid=key.kid,
        status_index=status_index,
    )
