"""The clinician record: completions, credit awards, compliance snapshots, connector state, the outbox and the
audit log.

``completions`` is unique by ``(source, external_id)`` so a record delivered twice is one row however it arrives
(two syncs at once, a rerun after a crash). A completion whose learner matches no clinician (or several) keeps
``clinician_id`` empty and ``match_status`` ``unmatched``/``ambiguous`` until it is linked.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cebridge.store.base import Base
from cebridge.store.types import DecimalText, JSONDoc, UTCDateTime, utcnow

MATCH_STATUSES = ("matched", "unmatched", "ambiguous")


class CompletionRow(Base):
    """One completion fact from one source, with the raw payload as the provider sent it."""

    __tablename__ = "completions"
    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        Index("ix_completions_match_status_organization_id", "match_status", "organization_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(200))
    external_id: Mapped[str] = mapped_column(String(200))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    connector_id: Mapped[int | None] = mapped_column(
        ForeignKey("connector_configs.id", ondelete="SET NULL"), index=True
    )
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id", ondelete="SET NULL"))
    clinician_id: Mapped[int | None] = mapped_column(ForeignKey("clinicians.id", ondelete="SET NULL"), index=True)
    match_status: Mapped[str] = mapped_column(String(20))
    offering_id: Mapped[int | None] = mapped_column(ForeignKey("offerings.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(20))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_on: Mapped[date | None] = mapped_column(Date)
    score: Mapped[Decimal | None] = mapped_column(DecimalText())
    hours: Mapped[Decimal | None] = mapped_column(DecimalText())
    learner: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    course: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    raw: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    #: SHA-256 of the record's canonical JSON: an unchanged re-delivery is recognised without a diff.
    record_hash: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CreditAwardRow(Base):
    """Hours of one completion counted toward one requirement of one license (from the stored report)."""

    __tablename__ = "credit_awards"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    license_id: Mapped[int] = mapped_column(ForeignKey("licenses.id", ondelete="CASCADE"), index=True)
    completion_id: Mapped[int] = mapped_column(ForeignKey("completions.id", ondelete="CASCADE"), index=True)
    requirement: Mapped[str] = mapped_column(String(100))
    hours: Mapped[Decimal] = mapped_column(DecimalText())
    rule_version: Mapped[str] = mapped_column(String(100))


class ComplianceSnapshot(Base):
    """The latest compliance report of a license, exactly as ``evaluate`` prints it."""

    __tablename__ = "compliance_snapshots"

    license_id: Mapped[int] = mapped_column(ForeignKey("licenses.id", ondelete="CASCADE"), primary_key=True)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    as_of: Mapped[date] = mapped_column(Date)
    rule_version: Mapped[str] = mapped_column(String(100))
    compliant: Mapped[bool] = mapped_column(Boolean)
    report: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    report_hash: Mapped[str] = mapped_column(String(64))


class PendingRecompute(Base):
    """A license whose completions changed and whose report is not yet recomputed (durable across crashes)."""

    __tablename__ = "pending_recomputes"

    license_id: Mapped[int] = mapped_column(ForeignKey("licenses.id", ondelete="CASCADE"), primary_key=True)
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Why the last recompute failed (a license missing a fact its board needs); such rows wait for a fix.
    last_error: Mapped[str | None] = mapped_column(Text)


class ConnectorState(Base):
    """The whole connector state (its cursor) as last committed together with the records it covers."""

    __tablename__ = "connector_states"

    connector_id: Mapped[int] = mapped_column(ForeignKey("connector_configs.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SyncRun(Base):
    """One run of one connector: when, how it ended, and its counts."""

    __tablename__ = "sync_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    connector_id: Mapped[int] = mapped_column(ForeignKey("connector_configs.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    outcome: Mapped[str] = mapped_column(String(20), default="running")
    summary: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    error: Mapped[str | None] = mapped_column(Text)


class OutboxItem(Base):
    """Work for a sink (a certificate to issue, a webhook to send), written in the same transaction as its cause."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "dead_lettered", "delivered_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sink: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    idempotency_key: Mapped[str] = mapped_column(String(300), unique=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    dead_lettered: Mapped[bool] = mapped_column(Boolean, default=False)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: A dispatcher holds an item until this time while it delivers it, so two dispatchers never both send it.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AuditEntry(Base):
    """One change to a clinician's record: who or what changed which row, when, from what to what."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(50))
    entity: Mapped[str] = mapped_column(String(50))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    #: Not a foreign key: the audit trail outlives the rows it describes.
    clinician_id: Mapped[int | None] = mapped_column(Integer, index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)


__all__ = [
    "AuditEntry",
    "CompletionRow",
    "ComplianceSnapshot",
    "ConnectorState",
    "CreditAwardRow",
    "OutboxItem",
    "PendingRecompute",
    "SyncRun",
]
