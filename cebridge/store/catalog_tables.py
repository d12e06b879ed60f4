"""The course catalog: a provider's offerings (the CATALOG.json contract) and the keys that find them.

A connector names a course its own way (an LMS course id, an SIS id, a blueprint id); ``offering_keys`` maps
each of those, per provider, to one offering, so a completion record finds its hours, approvals and categories.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cebridge.store.base import Base
from cebridge.store.types import DecimalText, JSONDoc, UTCDateTime, utcnow

#: Kinds of key a course reference can carry (CourseRef fields).
KEY_KINDS = ("external_id", "sis_id", "integration_id", "blueprint_id")


class Offering(Base):
    """One course offering of one provider; ``data`` is the whole CreditOffering JSON."""

    __tablename__ = "offerings"
    __table_args__ = (UniqueConstraint("provider_id", "offering_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id", ondelete="CASCADE"), index=True)
    #: The offering's own id in CATALOG.json.
    offering_id: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(500), default="")
    format: Mapped[str] = mapped_column(String(40))
    activity: Mapped[str] = mapped_column(String(40))
    credits_amount: Mapped[Decimal] = mapped_column(DecimalText())
    credits_unit: Mapped[str] = mapped_column(String(20))
    approvals: Mapped[list[str]] = mapped_column(JSONDoc)
    categories: Mapped[list[str]] = mapped_column(JSONDoc)
    topics: Mapped[list[str]] = mapped_column(JSONDoc)
    price_amount: Mapped[Decimal] = mapped_column(DecimalText())
    price_currency: Mapped[str] = mapped_column(String(3))
    sessions: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc)
    data: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class OfferingKey(Base):
    """A provider's key for an offering (``kind`` is one of :data:`KEY_KINDS`)."""

    __tablename__ = "offering_keys"
    __table_args__ = (UniqueConstraint("provider_id", "kind", "value"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(200))
    offering_id: Mapped[int] = mapped_column(ForeignKey("offerings.id", ondelete="CASCADE"), index=True)
