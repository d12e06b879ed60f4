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

#: Kinds of outbox work the pipeline produces.
KINDS = ("certificate.issue", "certificate.revoke", "compliance.updated")


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


def enqueue(session: Session, subs: Subscriptions, kind: str, event_key: str, payload: dict[str, Any]) -> int:
    """Add ``kind`` work for every sink subscribed to it; returns how many rows were offered."""
    now = utcnow()
    rows = [
        {
            "sink": sink,
            "kind": kind,
            "payload": jsonable(payload),
            "idempotency_key": f"{sink}:{kind}:{event_key}",
            "attempts": 0,
            "next_attempt_at": now,
            "dead_lettered": False,
            "created_at": now,
        }
        for sink in subs.sinks_for(kind)
    ]
    insert_ignore(session, OutboxItem, rows, "idempotency_key")
    return len(rows)
