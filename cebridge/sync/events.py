"""Enqueue outbox work for the sinks subscribed to it, in the caller's transaction.

One outbox row per (subscription, event); the idempotency key names both, so enqueuing the same event twice
(a recompute repeated after a crash) adds nothing, and the receiver can recognise a retried delivery.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cebridge.services.audit import jsonable
from cebridge.store.dialect import insert_ignore
from cebridge.store.tables import OutboxItem, SinkSubscription
from cebridge.store.types import utcnow

#: Kinds of outbox work a sink can subscribe to: the pipeline's (a completion newly counting for a license, its
#: certificate to issue or revoke, a changed report) and what sinks produce in turn (score posts for the LMS
#: gradebook, certificates issued, reissued or revoked), and the daily renewal reminders.
KINDS = (
    "completion.accepted",
    "certificate.issue",
    "certificate.revoke",
    "compliance.updated",
    "lti.score",
    "certificate.issued",
    "certificate.reissued",
    "certificate.revoked",
    "reminder.due",
)


class Subscriptions:
    """The enabled sink subscriptions, read once per unit of work."""

    def __init__(self, session: Session) -> None:
        rows = session.scalars(select(SinkSubscription).where(SinkSubscription.enabled.is_(True))).all()
        self._by_kind: dict[str, list[str]] = {}
        for row in rows:
            for kind in row.kinds:
                self._by_kind.setdefault(kind, []).append(row.name)

    def sinks_for(self, kind: str) -> Sequence[str]:
        """Names of the subscriptions that want ``kind``."""
        return self._by_kind.get(kind, ())

    def __bool__(self) -> bool:
        return bool(self._by_kind)


def outbox_rows(subs: Subscriptions, kind: str, event_key: str, payload: dict[str, Any]) -> list[dict[str, Any]]:
    """The outbox rows of one event: one per sink subscribed to ``kind`` (none when no sink wants it)."""
    sinks = subs.sinks_for(kind)
    if not sinks:
        return []
    now = utcnow()
    body = jsonable(payload)
    return [
        {
            "sink": sink,
            "kind": kind,
            "payload": body,
            "idempotency_key": f"{sink}:{kind}:{event_key}",
            "attempts": 0,
            "next_attempt_at": now,
            "dead_lettered": False,
            "created_at": now,
        }
        for sink in sinks
    ]


def add_rows(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert outbox rows, skipping those whose idempotency key is already there."""
    insert_ignore(session, OutboxItem.__table__, rows, "idempotency_key")


def enqueue(session: Session, subs: Subscriptions, kind: str, event_key: str, payload: dict[str, Any]) -> int:
    """Add ``kind`` work for every sink subscribed to it; returns how many rows were offered."""
    rows = outbox_rows(subs, kind, event_key, payload)
    add_rows(session, rows)
    return len(rows)
