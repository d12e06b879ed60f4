"""Store one batch of completion records idempotently: insert new, update changed, audit, queue recomputes.

Called inside the batch's transaction (together with the connector state), so a batch is stored whole or not
at all. Idempotent by ``(source, external_id)``: an unchanged re-delivery changes nothing; two writers racing on
the same record end with one row (``ON CONFLICT DO NOTHING``, then the loser treats it as existing).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from cebridge.domain.records import CompletionRecord
from cebridge.services import audit
from cebridge.store.dialect import insert_for, insert_ignore
from cebridge.store.tables import AuditEntry, CompletionRow, LicenseRow, PendingRecompute
from cebridge.store.types import utcnow
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


@dataclass(frozen=True)
class Origin:
    """Where a batch came from: the connector instance, its provider and the provider's organization."""

    organization_id: int
    provider_id: int | None
    connector_id: int | None
    actor: str


@dataclass
class IngestCounts:
    """What one batch did."""

    read: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    revoked: int = 0
    unmatched: int = 0
    unmapped: int = 0
    clinicians: set[int] = field(default_factory=set)

    def add(self, other: IngestCounts) -> None:
        for name in ("read", "new", "changed", "unchanged", "revoked", "unmatched", "unmapped"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.clinicians |= other.clinicians


def record_hash(record: CompletionRecord) -> str:
    """SHA-256 of the record's canonical JSON."""
    text = json.dumps(record.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _fields(record: CompletionRecord, digest: str) -> dict[str, Any]:
    data = record.model_dump(mode="json", include={"learner", "course", "raw"})
    return {
        "status": record.status,
        "completed_at": record.completed_at,
        "completed_on": record.completed_at.date() if record.completed_at else None,
        "score": record.score,
        "hours": record.hours,
        "learner": data["learner"],
        "course": data["course"],
        "raw": data["raw"],
        "record_hash": digest,
    }


def snapshot(row: CompletionRow) -> dict[str, Any]:
    """The audited view of a completion row."""
    return {name: getattr(row, name) for name in AUDITED}


def ingest(session: Session, origin: Origin, records: Sequence[CompletionRecord]) -> IngestCounts:
    """Store ``records`` in the caller's transaction and queue the affected licenses for recompute."""
    counts = IngestCounts(read=len(records))
    latest: dict[tuple[str, str], CompletionRecord] = {}
    for rec in records:  # the same record twice in one batch: the later one wins
        latest[rec.key] = rec
    existing = _load(session, latest)
    matcher = Matcher(session, origin.organization_id)
    known = matcher.lookup(k for rec in latest.values() for k in learner_keys(rec.source, rec.learner.model_dump()))
    finder = OfferingFinder(session, origin.provider_id)
    finder.prefetch(rec.course.model_dump() for rec in latest.values())

    fresh: list[tuple[CompletionRecord, str, Match, int | None]] = []
    for key, rec in latest.items():
        digest = record_hash(rec)
        match = matcher.decide(learner_keys(rec.source, rec.learner.model_dump()), known)
        offering_id = finder.find(rec.course.model_dump())
        row = existing.get(key)
        if row is None:
            fresh.append((rec, digest, match, offering_id))
        else:
            _update(session, origin, row, rec, digest, match, offering_id, counts)
    leftovers = _insert(session, origin, fresh, counts)
    if leftovers:  # inserted meanwhile by a concurrent writer: treat them as existing rows
        again = _load(session, {r.key: r for r, *_ in leftovers})
        for rec, digest, match, offering_id in leftovers:
            _update(session, origin, again[rec.key], rec, digest, match, offering_id, counts)
    queue_recompute(session, counts.clinicians)
    return counts


def _load(session: Session, latest: dict[tuple[str, str], CompletionRecord]) -> dict[tuple[str, str], CompletionRow]:
    keys = sorted(latest)
    found: dict[tuple[str, str], CompletionRow] = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        stmt = select(CompletionRow).where(tuple_(CompletionRow.source, CompletionRow.external_id).in_(chunk))
        for row in session.scalars(stmt):
            found[(row.source, row.external_id)] = row
    return found


def _insert(
    session: Session,
    origin: Origin,
    fresh: list[tuple[CompletionRecord, str, Match, int | None]],
    counts: IngestCounts,
) -> list[tuple[CompletionRecord, str, Match, int | None]]:
    if not fresh:
        return []
    now = utcnow()
    rows = []
    for rec, digest, match, offering_id in fresh:
        values = _fields(rec, digest)
        values.update(
            source=rec.source,
            external_id=rec.external_id,
            organization_id=origin.organization_id,
            connector_id=origin.connector_id,
            provider_id=origin.provider_id,
            clinician_id=match.clinician_id,
            match_status=match.status,
            offering_id=offering_id,
            version=1,
            revoked_at=now if rec.status == "revoked" else None,
            created_at=now,
            updated_at=now,
        )
        rows.append(values)
    stmt = (
        insert_for(session, CompletionRow)
        .on_conflict_do_nothing(index_elements=["source", "external_id"])
        .returning(CompletionRow.id, CompletionRow.source, CompletionRow.external_id)
    )
    inserted = {(s, e): i for i, s, e in session.execute(stmt, rows)}
    audits = []
    leftovers = []
    for (rec, _digest, match, offering_id), values in zip(fresh, rows, strict=True):
        row_id = inserted.get(rec.key)
        if row_id is None:
            leftovers.append((rec, _digest, match, offering_id))
            continue
        counts.new += 1
        counts.revoked += rec.status == "revoked"
        counts.unmapped += offering_id is None
        if match.clinician_id is None:
            counts.unmatched += 1
            continue
        counts.clinicians.add(match.clinician_id)
        audits.append(
            {
                "at": now,
                "actor": origin.actor,
                "action": "completion.added",
                "entity": "completion",
                "entity_id": row_id,
                "clinician_id": match.clinician_id,
                "before": None,
                "after": audit.jsonable({k: values.get(k) for k in AUDITED} | {"version": 1}),
            }
        )
    if audits:
        session.execute(insert_for(session, AuditEntry), audits)
    return leftovers


def _update(
    session: Session,
    origin: Origin,
    row: CompletionRow,
    rec: CompletionRecord,
    digest: str,
    match: Match,
    offering_id: int | None,
    counts: IngestCounts,
) -> None:
    same = row.record_hash == digest
    # A person's link is never undone by a later delivery; an automatic match may change (a corrected e-mail).
    if row.match_status == "linked":
        match = Match("linked", row.clinician_id)
    rematch = (match.status, match.clinician_id) != (row.match_status, row.clinician_id)
    remap = offering_id != row.offering_id and offering_id is not None
    if same and not rematch and not remap:
        counts.unchanged += 1
        counts.unmatched += row.clinician_id is None
        counts.unmapped += row.offering_id is None
        return
    before = snapshot(row)
    old_clinician = row.clinician_id
    if not same:
        for name, value in _fields(rec, digest).items():
            setattr(row, name, value)
        row.version += 1
        if rec.status == "revoked" and row.revoked_at is None:
            row.revoked_at = utcnow()
            counts.revoked += 1
        elif rec.status != "revoked":
            row.revoked_at = None
        counts.changed += 1
    else:
        counts.unchanged += 1
    row.match_status, row.clinician_id = match.status, match.clinician_id
    if offering_id is not None:
        row.offering_id = offering_id
    row.updated_at = utcnow()
    counts.unmatched += row.clinician_id is None
    counts.unmapped += row.offering_id is None
    for clinician in {old_clinician, row.clinician_id} - {None}:
        assert clinician is not None
        counts.clinicians.add(clinician)
    if old_clinician is not None or row.clinician_id is not None:
        action = "completion.revoked" if rec.status == "revoked" and not same else "completion.changed"
        audit.record(
            session,
            actor=origin.actor,
            action=action,
            entity="completion",
            entity_id=row.id,
            clinician_id=row.clinician_id or old_clinician,
            before=before,
            after=snapshot(row),
        )


def queue_recompute(session: Session, clinicians: Iterable[int]) -> int:
    """Queue every license of these clinicians for a compliance recompute (durable, idempotent)."""
    ids = sorted(set(clinicians))
    license_ids: list[int] = []
    for start in range(0, len(ids), 500):
        license_ids += session.scalars(
            select(LicenseRow.id).where(LicenseRow.clinician_id.in_(ids[start : start + 500]))
        ).all()
    now = utcnow()
    insert_ignore(session, PendingRecompute, [{"license_id": i, "queued_at": now} for i in license_ids], "license_id")
    return len(license_ids)
