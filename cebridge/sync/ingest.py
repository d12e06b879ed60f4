"""Store one batch of completion records idempotently: insert new, update changed, audit, queue recomputes.

Called inside the batch's transaction (together with the connector state), so a batch is stored whole or not
at all. Idempotent by ``(source, external_id)``: an unchanged re-delivery changes nothing; two writers racing on
the same record end with one row (``ON CONFLICT DO NOTHING``, then the loser treats it as existing).

The hot path is built for volume: each record is dumped to JSON once (that dump gives both its hash and its
stored columns), the batch's existing rows are found with one query per 1,000 keys, new rows go in with one
multi-row ``INSERT ... ON CONFLICT DO NOTHING RETURNING``, changed rows with one ``executemany`` UPDATE, and
audit entries with one multi-row INSERT: a handful of statements per batch, never one per record.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from json.encoder import encode_basestring_ascii as encode_string  # what json.dumps uses for str
from typing import Any

from sqlalchemy import Connection, Table, bindparam, literal, select, true, update
from sqlalchemy.orm import Session

from cebridge.domain.records import CompletionRecord
from cebridge.store.bulk import bulk_insert
from cebridge.store.dialect import insert_for, rows_with
from cebridge.store.tables import AuditEntry, CompletionRow, LicenseRow, PendingRecompute
from cebridge.store.types import JSONText, utcnow
from cebridge.sync.mapping import OfferingFinder
from cebridge.sync.matching import Match, Matcher, learner_keys

#: Fields an audit entry shows for a completion (the raw payload is kept on the row itself).
AUDITED = (
    "source",
    "external_id",
    "status",
    "clinician_id",
    "match_status",
    "offering_id",
    "completed_at",
    "hours",
    "score",
    "revoked_at",
    "version",
)

COMPLETIONS: Table = CompletionRow.__table__  # type: ignore[assignment]
AUDIT_LOG: Table = AuditEntry.__table__  # type: ignore[assignment]
PENDING: Table = PendingRecompute.__table__  # type: ignore[assignment]
LICENSES: Table = LicenseRow.__table__  # type: ignore[assignment]
#: The columns an existing row is compared and audited by (its payload is never read back).
_EXISTING = (COMPLETIONS.c.id, COMPLETIONS.c.record_hash, *(COMPLETIONS.c[name] for name in AUDITED))
#: Columns an update rewrites.
_UPDATED = (
    "status",
    "completed_at",
    "completed_on",
    "score",
    "hours",
    "learner",
    "course",
    "raw",
    "record_hash",
    "version",
    "revoked_at",
    "match_status",
    "clinician_id",
    "offering_id",
    "updated_at",
)
#: Keys per ``IN (...)`` lookup.
CHUNK = 1000


@dataclass(frozen=True)
class Origin:
    """Where a batch came from: the connector instance, its provider and the provider's organization."""

    organization_id: int
    provider_id: int | None
    connector_id: int | None
    actor: str


@dataclass
class IngestCounts:
    """What one batch did (``clinicians``: whose record it touched, so their licenses are recomputed)."""

    read: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    revoked: int = 0
    unmatched: int = 0
    unmapped: int = 0
    clinicians: set[int] = field(default_factory=set)

    def add(self, other: IngestCounts) -> None:
        """Add another batch's counts (not its clinicians: a long sync must not accumulate them)."""
        for name in ("read", "new", "changed", "unchanged", "revoked", "unmatched", "unmapped"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


#: One encoder for every call: ``json.dumps`` with arguments builds a new encoder each time.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"))


def canonical_json(value: Any) -> str:
    """The canonical JSON text a record hash is taken over: sorted keys, no spaces."""
    return _CANONICAL.encode(value)


def record_hash(record: CompletionRecord) -> str:
    """SHA-256 of the record's canonical JSON."""
    return hashlib.sha256(canonical_json(record.model_dump(mode="json")).encode()).hexdigest()


#: The record's fields in canonical (sorted) order, and the payload fields stored as JSON columns.
_ORDER = tuple(sorted(CompletionRecord.model_fields))
_KEYS = frozenset(_ORDER)
_PAYLOAD = ("learner", "course", "raw")


def _canonical(data: dict[str, Any]) -> tuple[str, dict[str, JSONText]]:
    """``canonical_json(data)``, built from the payload fields' own canonical JSON, which is returned too.

    The pieces are what the payload columns store, so each record is serialized once, not once for its hash
    and again for its columns. Equal to ``canonical_json(data)`` (tests check it); a record with other fields
    than expected falls back to it.
    """
    parts = {name: JSONText(canonical_json(data[name])) for name in _PAYLOAD}
    if data.keys() != _KEYS:
        return canonical_json(data), parts
    pieces = []
    for name in _ORDER:
        value = data[name]
        text = parts[name] if name in parts else encode_string(value) if isinstance(value, str) else json.dumps(value)
        pieces.append(f'"{name}":{text}')
    return "{" + ",".join(pieces) + "}", parts


@dataclass(slots=True)
class _Item:
    """One record of the batch, dumped once, with its match and offering decided."""

    rec: CompletionRecord
    data: dict[str, Any]
    digest: str
    parts: dict[str, JSONText]
    match: Match = field(default_factory=lambda: Match("unmatched"))
    offering_id: int | None = None

    def fields(self, *, serialized: bool = False) -> dict[str, Any]:
        """The row's record fields; with ``serialized``, the payload as stored JSON text (for bulk inserts)."""
        rec = self.rec
        payload: dict[str, Any] = self.parts if serialized else self.data
        return {
            "status": rec.status,
            "completed_at": rec.completed_at,
            "completed_on": rec.completed_at.date() if rec.completed_at else None,
            "score": rec.score,
            "hours": rec.hours,
            "learner": payload["learner"],
            "course": payload["course"],
            "raw": payload["raw"],
            "record_hash": self.digest,
        }


def _prepare(records: Sequence[CompletionRecord]) -> dict[tuple[str, str], _Item]:
    latest: dict[tuple[str, str], CompletionRecord] = {}
    for rec in records:  # the same record twice in one batch: the later one wins
        latest[(rec.source, rec.external_id)] = rec
    items = {}
    for key, rec in latest.items():
        data = rec.model_dump(mode="json")
        text, parts = _canonical(data)
        items[key] = _Item(rec, data, hashlib.sha256(text.encode()).hexdigest(), parts)
    return items


def snapshot(row: Any) -> dict[str, Any]:
    """The audited view of a completion row (an ORM object or a result row)."""
    return {name: getattr(row, name) for name in AUDITED}


def ingest(session: Session, origin: Origin, records: Sequence[CompletionRecord]) -> IngestCounts:
    """Store ``records`` in the caller's transaction and queue the affected licenses for recompute."""
    counts = IngestCounts(read=len(records))
    items = _prepare(records)
    conn = session.connection()
    existing = _existing(conn, items)
    matcher = Matcher(session, origin.organization_id)
    known = matcher.lookup(k for it in items.values() for k in learner_keys(it.rec.source, it.data["learner"]))
    finder = OfferingFinder(session, origin.provider_id)
    finder.prefetch(it.data["course"] for it in items.values())
    for it in items.values():
        it.match = matcher.decide(learner_keys(it.rec.source, it.data["learner"]), known)
        it.offering_id = finder.find(it.data["course"])

    now = utcnow()
    audits: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    fresh = [it for key, it in items.items() if key not in existing]
    leftovers = _insert(conn, origin, fresh, now, counts, audits)
    if leftovers:  # inserted meanwhile by a concurrent writer: treat them as existing rows
        existing |= _existing(conn, {(it.rec.source, it.rec.external_id): it for it in leftovers})
    for key, row in existing.items():
        _update(origin, row, items[key], now, counts, updates, audits)
    if updates:
        conn.execute(_UPDATE, updates)
    bulk_insert(conn, AUDIT_LOG, audits)
    queue_recompute(session, counts.clinicians)
    return counts


def _existing(conn: Connection, items: Mapping[tuple[str, str], _Item]) -> dict[tuple[str, str], Any]:
    by_source: dict[str, list[str]] = {}
    for source, external_id in items:
        by_source.setdefault(source, []).append(external_id)
    found: dict[tuple[str, str], Any] = {}
    for source, ids in by_source.items():
        for start in range(0, len(ids), CHUNK):
            stmt = rows_with(
                conn, _EXISTING, COMPLETIONS.c.external_id, ids[start : start + CHUNK], COMPLETIONS.c.source == source
            )
            for row in conn.execute(stmt):
                found[(row.source, row.external_id)] = row
    return found


def _insert(
    conn: Connection,
    origin: Origin,
    fresh: list[_Item],
    now: datetime,
    counts: IngestCounts,
    audits: list[dict[str, Any]],
) -> list[_Item]:
    """Insert the batch's new rows; returns those another writer inserted first."""
    if not fresh:
        return []
    rows = []
    for it in fresh:
        values = it.fields(serialized=True)
        values.update(
            source=it.rec.source,
            external_id=it.rec.external_id,
            organization_id=origin.organization_id,
            connector_id=origin.connector_id,
            provider_id=origin.provider_id,
            clinician_id=it.match.clinician_id,
            match_status=it.match.status,
            offering_id=it.offering_id,
            version=1,
            revoked_at=now if it.rec.status == "revoked" else None,
            created_at=now,
            updated_at=now,
        )
        rows.append(values)
    returned = bulk_insert(
        conn,
        COMPLETIONS,
        rows,
        conflict=("source", "external_id"),
        returning=(COMPLETIONS.c.id, COMPLETIONS.c.source, COMPLETIONS.c.external_id),
    )
    inserted = {(s, e): i for i, s, e in returned}
    leftovers = []
    for it, values in zip(fresh, rows, strict=True):
        row_id = inserted.get((it.rec.source, it.rec.external_id))
        if row_id is None:
            leftovers.append(it)
            continue
        counts.new += 1
        counts.revoked += it.rec.status == "revoked"
        counts.unmapped += it.offering_id is None
        if it.match.clinician_id is None:
            counts.unmatched += 1
            continue
        counts.clinicians.add(it.match.clinician_id)
        audits.append(
            _audit(
                origin, now, "completion.added", row_id, it.match.clinician_id, None, {k: values[k] for k in AUDITED}
            )
        )
    return leftovers


def _audit(
    origin: Origin,
    now: datetime,
    action: str,
    entity_id: int,
    clinician_id: int | None,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any],
) -> dict[str, Any]:
    return {
        "at": now,
        "actor": origin.actor,
        "action": action,
        "entity": "completion",
        "entity_id": entity_id,
        "clinician_id": clinician_id,
        "before": _plain(before) if before is not None else None,
        "after": _plain(after),
    }


def _plain(values: Mapping[str, Any]) -> dict[str, Any]:
    """:func:`cebridge.services.audit.jsonable` of a flat mapping of scalars (the audited fields), faster."""
    out = {}
    for name, value in values.items():
        if isinstance(value, Decimal):
            value = format(value, "f")
        elif isinstance(value, date):  # datetimes too
            value = value.isoformat()
        out[name] = value
    return out


_UPDATE = (
    update(COMPLETIONS)
    .where(COMPLETIONS.c.id == bindparam("row_id"))
    .values({name: bindparam(f"new_{name}") for name in _UPDATED})
)


def _update(
    origin: Origin,
    row: Any,
    it: _Item,
    now: datetime,
    counts: IngestCounts,
    updates: list[dict[str, Any]],
    audits: list[dict[str, Any]],
) -> None:
    """Decide what an existing row becomes; queue its UPDATE and audit entry (nothing when it is unchanged)."""
    same = row.record_hash == it.digest
    match = it.match
    # A person's link is never undone by a later delivery; an automatic match may change (a corrected e-mail).
    if row.match_status == "linked":
        match = Match("linked", row.clinician_id)
    rematch = (match.status, match.clinician_id) != (row.match_status, row.clinician_id)
    remap = it.offering_id != row.offering_id and it.offering_id is not None
    if same and not rematch and not remap:
        counts.unchanged += 1
        counts.unmatched += row.clinician_id is None
        counts.unmapped += row.offering_id is None
        return
    before = snapshot(row)
    after = dict(before)
    # An unchanged hash means an unchanged record, so its fields are rewritten with the values they have.
    new = it.fields()
    new.update(version=row.version, revoked_at=row.revoked_at)
    if not same:
        new["version"] = row.version + 1
        if it.rec.status == "revoked" and row.revoked_at is None:
            new["revoked_at"] = now
            counts.revoked += 1
        elif it.rec.status != "revoked":
            new["revoked_at"] = None
        counts.changed += 1
    else:
        counts.unchanged += 1
    new.update(
        match_status=match.status,
        clinician_id=match.clinician_id,
        offering_id=it.offering_id if it.offering_id is not None else row.offering_id,
        updated_at=now,
    )
    after.update({k: new[k] for k in AUDITED if k in new})
    updates.append({"row_id": row.id, **{f"new_{k}": v for k, v in new.items()}})
    counts.unmatched += match.clinician_id is None
    counts.unmapped += new["offering_id"] is None
    old_clinician = row.clinician_id
    counts.clinicians.update(c for c in (old_clinician, match.clinician_id) if c is not None)
    if old_clinician is not None or match.clinician_id is not None:
        action = "completion.revoked" if it.rec.status == "revoked" and not same else "completion.changed"
        audits.append(_audit(origin, now, action, row.id, match.clinician_id or old_clinician, before, after))


def queue_recompute(session: Session, clinicians: Iterable[int]) -> None:
    """Queue every license of these clinicians for a compliance recompute (durable, idempotent).

    One ``INSERT ... SELECT`` per 1,000 clinicians: the license ids never travel to Python and back.
    ``ON CONFLICT DO UPDATE``, not ``DO NOTHING``: on PostgreSQL a license that a drain holds (``FOR UPDATE``)
    is waited for, so a change stored while it is being recomputed queues it again instead of vanishing with
    the drain's ``DELETE``. A license waiting for a missing fact (``last_error``) keeps waiting.
    """
    ids = sorted(set(clinicians))
    now = utcnow()
    for start in range(0, len(ids), CHUNK):
        lic = LICENSES.c
        found = rows_with(session, (lic.id,), lic.clinician_id, ids[start : start + CHUNK]).subquery()
        # WHERE true: SQLite needs a WHERE before ON CONFLICT to parse an upsert from a SELECT.
        licenses = select(found.c.id, literal(now, PENDING.c.queued_at.type)).where(true())
        stmt = insert_for(session, PENDING).from_select(["license_id", "queued_at"], licenses)
        session.execute(
            stmt.on_conflict_do_update(index_elements=["license_id"], set_={"queued_at": stmt.excluded.queued_at})
        )
