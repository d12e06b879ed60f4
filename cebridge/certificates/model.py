"""What a certificate says, as data: the provider that issues it and every field the approval bodies require.

These models are pure (no I/O, no clock). :mod:`cebridge.certificates.build` fills a :class:`CertificateData`
from a license, a completion and its compliance result; renderers (PDF, credential) only lay it out.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

from pydantic import Field, field_validator, model_validator

from cebridge.domain.base import DomainModel
from cebridge.domain.vocab import APPROVAL_BODY_PATTERN, Format

_HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


class ApprovalPeriod(DomainModel):
    """The dates a provider approval is valid (ASWB ACE prints it with its statement)."""

    start: date
    end: date


class ProviderApproval(DomainModel):
    """One approval a provider holds: the body, its number (APA issues none) and optionally its own statement."""

    body: str
    id: str | None = None
    statement: str | None = None
    period: ApprovalPeriod | None = None

    @field_validator("body")
    @classmethod
    def _body(cls, value: str) -> str:
        body = value.strip().upper()
        if not APPROVAL_BODY_PATTERN.match(body):
            raise ValueError(f"approval body {value!r} is not like 'APA' or 'NY-SED'")
        return body


class Signer(DomainModel):
    """The authorized official whose name and title sign the certificate."""

    name: str = Field(min_length=1)
    title: str = Field(min_length=1)


class Branding(DomainModel):
    """How a provider's certificates look: colors (``#rrggbb``) and an optional logo file (PNG or JPEG)."""

    primary_color: str = "#1F4E79"
    accent_color: str = "#C9A227"
    text_color: str = "#222222"
    logo: str | None = None
    title: str = "Certificate of Completion"

    @field_validator("primary_color", "accent_color", "text_color")
    @classmethod
    def _color(cls, value: str) -> str:
        if not _HEX_COLOR.match(value):
            raise ValueError(f"color {value!r} is not like '#1F4E79'")
        return value.upper()


class ProviderProfile(DomainModel):
    """The PROVIDER.json contract of DESIGN.md ("Certificates from files"), plus optional branding."""

    name: str = Field(min_length=1)
    address: str = Field(min_length=1)
    approvals: list[ProviderApproval] = Field(min_length=1)
    signer: Signer
    url: str | None = None
    template: Branding = Field(default_factory=Branding)

    @model_validator(mode="after")
    def _unique_bodies(self) -> ProviderProfile:
        seen: set[str] = set()
        for approval in self.approvals:
            if approval.body in seen:
                raise ValueError(f"approval body {approval.body} is listed twice")
            seen.add(approval.body)
        return self

    def approval(self, body: str) -> ProviderApproval | None:
        """The provider's approval from ``body``, if it holds one."""
        return next((a for a in self.approvals if a.body == body), None)


class ApproverCredit(DomainModel):
    """Credit as one approver awards it: in that approver's unit, with its approval statement."""

    body: str
    approval_id: str | None
    amount: Decimal
    unit_label: str
    display: str
    statement: str


class CategoryCredit(DomainModel):
    """Hours of the activity in one subject category (ethics, suicide prevention, ...)."""

    category: str
    label: str
    hours: Decimal


class BoardAcceptance(DomainModel):
    """What the license's board counts from this completion (from the compliance report)."""

    board: str
    rule_version: str
    status: str
    hours_counted: Decimal
    allocation: dict[str, Decimal] = Field(default_factory=dict)


class CertificateData(DomainModel):
    """Every field a certificate shows; the PDF and the credential are two renderings of this."""

    certificate_id: str
    revision: int = 0
    issued_at: datetime
    valid_until: datetime | None = None
    verification_url: str
    # participant
    participant_name: str
    license_number: str
    license_state: str
    license_profession: str
    # activity
    completion_id: str
    course_title: str
    #: The provider's course (program) number, which FL DOH wants on the certificate; None when unknown.
    course_code: str | None = None
    start_date: date
    end_date: date
    format: Format
    format_label: str
    hours: Decimal
    # provider
    provider_name: str
    provider_address: str
    provider_url: str | None = None
    signer: Signer
    # credit
    approvers: list[ApproverCredit]
    categories: list[CategoryCredit]
    acceptance: BoardAcceptance

    def approver(self, body: str) -> ApproverCredit | None:
        """The credit line of one approver, if this certificate carries it."""
        return next((a for a in self.approvers if a.body == body), None)
