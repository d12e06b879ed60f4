"""Clinicians, their licenses, and the stable identities a completion's learner is matched by.

Identities are exact keys only (a platform user id within one source, an e-mail, a license number); a name is
never one, so a record is never credited to the wrong person on a guess.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cebridge.store.base import Base
from cebridge.store.types import JSONDoc, UTCDateTime, utcnow

#: Kinds of identity: a user id on one platform or source, an e-mail address, a license number.
IDENTITY_KINDS = ("platform_user", "email", "license_number")


class Clinician(Base):
    """A clinician of one organization."""

    __tablename__ = "clinicians"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class LicenseRow(Base):
    """One license of a clinician; ``data`` is the License JSON of DESIGN.md (cycle, attributes, history)."""

    __tablename__ = "licenses"
    __table_args__ = (UniqueConstraint("clinician_id", "board"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clinician_id: Mapped[int] = mapped_column(ForeignKey("clinicians.id", ondelete="CASCADE"), index=True)
    board: Mapped[str] = mapped_column(String(40))
    license_number: Mapped[str | None] = mapped_column(String(100), index=True)
    cycle_start: Mapped[date | None] = mapped_column(Date)
    cycle_end: Mapped[date | None] = mapped_column(Date)
    data: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Identity(Base):
    """A stable key of a clinician within an organization.

    ``source`` scopes a platform user id to one LMS or source (``canvas.example.edu``); it is ``""`` for e-mails
    and license numbers, which mean the same everywhere.
    """

    __tablename__ = "identities"
    __table_args__ = (UniqueConstraint("organization_id", "kind", "source", "value"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    clinician_id: Mapped[int] = mapped_column(ForeignKey("clinicians.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(200), default="")
    value: Mapped[str] = mapped_column(String(320))
