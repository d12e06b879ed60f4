"""Deliver outbox work to sinks: retries with exponential backoff, a dead-letter list, and replay.

Work is written to the outbox in the same transaction as what caused it (see :mod:`cebridge.sync.compliance`),
so nothing is lost between "credit changed" and "certificate issued". Delivery is at least once: an item is
claimed for a lease, delivered, then marked; a crash between delivery and mark repeats the delivery, which the
receiver recognises by the item's ``idempotency_key``. Several dispatchers (worker processes) can run at once:
claims use ``FOR UPDATE SKIP LOCKED`` on PostgreSQL and the write lock on SQLite.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from cebridge.errors import CebridgeError, NotFound, SinkRejected
from cebridge.services import secretrefs
from cebridge.sinks.base import Sink, load_sink_factory
from cebridge.store.db import SessionFactory, transaction
from cebridge.store.tables import OutboxItem, SinkSubscription
from cebridge.store.types import utcnow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=6)
LEASE = timedelta(minutes=5)

SinkLoader = Callable[[str], Callable[[Mapping[str, Any]], Sink]]


def backoff(attempts: int) -> timedelta:
    """Wait before the next attempt after ``attempts`` failures: 30 s, 1 min, 2 min, ... capped at 6 h."""
    wait: timedelta = BACKOFF_BASE * (2 ** max(0, attempts - 1))
    return min(wait, BACKOFF_MAX)


@dataclass
class DeliveryResult:
    """What one pass over the due items did."""

    delivered: int = 0
    retried: int = 0
    dead: int = 0


def _claim(factory: SessionFactory, now: datetime, limit: int) -> list[int]:
    with transaction(factory) as session:
        items = session.scalars(
            select(OutboxItem)
            .where(
                OutboxItem.dead_lettered.is_(False),
                OutboxItem.delivered_at.is_(None),
                OutboxItem.next_attempt_at <= now,
                or_(OutboxItem.claimed_until.is_(None), OutboxItem.claimed_until < now),
            )
            .order_by(OutboxItem.next_attempt_at, OutboxItem.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        for item in items:
            item.claimed_until = now + LEASE
        return [item.id for item in items]


class _Sinks:
    def __init__(self, session: Session, loader: SinkLoader) -> None:
        self._session = session
        self._loader = loader
        self._cache: dict[str, Sink] = {}

    def get(self, name: str) -> Sink:
        if name not in self._cache:
            sub = self._session.scalar(select(SinkSubscription).where(SinkSubscription.name == name))
            if sub is None:
                raise SinkRejected(f"sink {name!r} is no longer configured")
            config = secretrefs.resolve(sub.config, f"sink {name!r} config")
            self._cache[name] = self._loader(sub.plugin)(config)
        return self._cache[name]


def deliver_due(
    factory: SessionFactory,
    *,
    now: datetime | None = None,
    limit: int = 100,
    loader: SinkLoader = load_sink_factory,
    max_attempts: int = MAX_ATTEMPTS,
) -> DeliveryResult:
    """Deliver every item due now (up to ``limit``), recording each outcome in its own transaction."""
    now = now or utcnow()
    result = DeliveryResult()
    ids = _claim(factory, now, limit)
    with transaction(factory, write=False) as reader:
        sinks = _Sinks(reader, loader)
        for item_id in ids:
            item = reader.get(OutboxItem, item_id)
            if item is None:
                continue
            error: CebridgeError | None = None
            try:
                sinks.get(item.sink).deliver(item.kind, dict(item.payload), item.idempotency_key)
            except CebridgeError as exc:
                error = exc
            except Exception as exc:  # a broken plugin is retried like an unavailable receiver, never crashes us
                log.warning("sink %s raised %s delivering outbox item %s", item.sink, type(exc).__name__, item_id)
                error = CebridgeError(f"sink {item.sink!r} failed: {type(exc).__name__}")
            _record(factory, item_id, error, now, max_attempts, result)
    return result


def _record(
    factory: SessionFactory,
    item_id: int,
    error: CebridgeError | None,
    now: datetime,
    max_attempts: int,
    result: DeliveryResult,
) -> None:
    with transaction(factory) as session:
        item = session.get(OutboxItem, item_id)
        if item is None:
            return
        item.attempts += 1
        item.claimed_until = None
        if error is None:
            item.delivered_at, item.last_error = utcnow(), None
            result.delivered += 1
            return
        item.last_error = error.user_message[:2000]
        if isinstance(error, SinkRejected) or item.attempts >= max_attempts:
            item.dead_lettered = True
            result.dead += 1
        else:
            item.next_attempt_at = now + backoff(item.attempts)
            result.retried += 1


def replay(factory: SessionFactory, item_id: int) -> OutboxItem:
    """Put a dead-lettered (or delivered) item back in the queue, due now, with a fresh attempt budget."""
    with transaction(factory) as session:
        item = session.get(OutboxItem, item_id)
        if item is None:
            raise NotFound(f"no outbox item with id {item_id}")
        item.dead_lettered, item.delivered_at, item.claimed_until = False, None, None
        item.attempts, item.next_attempt_at = 0, utcnow()
        return item


def items(factory: SessionFactory, *, which: str = "pending", limit: int = 200) -> list[OutboxItem]:
    """Items that are ``pending`` (not yet delivered), ``dead`` (dead-lettered), ``delivered`` or ``all``."""
    with transaction(factory, write=False) as session:
        stmt = select(OutboxItem).order_by(OutboxItem.id).limit(limit)
        if which == "pending":
            stmt = stmt.where(OutboxItem.dead_lettered.is_(False), OutboxItem.delivered_at.is_(None))
        elif which == "dead":
            stmt = stmt.where(OutboxItem.dead_lettered.is_(True))
        elif which == "delivered":
            stmt = stmt.where(OutboxItem.delivered_at.is_not(None))
        return list(session.scalars(stmt))
