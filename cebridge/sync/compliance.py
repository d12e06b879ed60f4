"""Recompute licenses' compliance from the stored record and keep awards, snapshot and outbox in step.

Licenses are taken from the durable pending queue a chunk at a time. One transaction per chunk reads the
licenses, their clinicians' completions and the catalog, evaluates each license, then writes every report
snapshot, replaces the credit awards, enqueues certificate and report work for the sinks, and removes the
chunk from the queue: all or nothing. Reads and writes are a few statements per chunk, not per license.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from cebridge.domain.completion import Completion, CreditOffering
from cebridge.domain.engine import evaluate
from cebridge.domain.license import License
from cebridge.domain.rules import RulePack
from cebridge.errors import CebridgeError
from cebridge.rulepacks import PackRegistry
from cebridge.store.bulk import bulk_insert
from cebridge.store.db import SessionFactory, transaction
from cebridge.store.dialect import delete_with, insert_for, one_of, rows_with
from cebridge.store.tables import (
    CompletionRow,
    ComplianceSnapshot,
    CreditAwardRow,
    LicenseRow,
    Offering,
    PendingRecompute,
)
from cebridge.store.types import utcnow
from cebridge.sync.events import Subscriptions, add_rows, outbox_rows
from cebridge.sync.mapping import completion_template, to_completion

LINKED = ("matched", "linked")


def today() -> date:
    """The day compliance is computed as of (UTC)."""
    return datetime.now(UTC).date()


class Packs:
    """Rule packs by board, with each board's known categories (a course's other categories mean nothing to it)."""

    def __init__(self, registry: PackRegistry | None = None) -> None:
        self._registry = registry or PackRegistry()
        self._known: dict[str, frozenset[str]] = {}

    def get(self, board: str) -> RulePack:
        return self._registry.get(board)

    def known_categories(self, board: str) -> frozenset[str]:
        if board not in self._known:
            pack = self.get(board)
            self._known[board] = frozenset().union(*(v.categories() for v in pack.versions))
        return self._known[board]


def _for_board(completion: Completion, known: frozenset[str]) -> Completion:
    if all(c in known for c in completion.categories):
        return completion
    return completion.model_copy(update={"categories": [c for c in completion.categories if c in known]})


def report_hash(report: dict[str, object]) -> str:
    return hashlib.sha256(json.dumps(report, sort_keys=True, default=str).encode()).hexdigest()


class Offerings:
    """Catalog offerings by row id, parsed once per drain (the catalog does not change under a drain)."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._cache: dict[int, CreditOffering] = {}
        self._templates: dict[int, dict[str, Any]] = {}

    def prefetch(self, offering_ids: Iterable[int]) -> None:
        """Load these offerings in one query per 1,000 ids."""
        wanted = sorted(set(offering_ids) - set(self._cache))
        for start in range(0, len(wanted), _IN):
            rows = self._session.execute(
                select(Offering.id, Offering.data).where(
                    one_of(self._session, Offering.id, wanted[start : start + _IN])
                )
            )
            for offering_id, data in rows:
                self._cache[offering_id] = CreditOffering.model_validate(data)

    def get(self, offering_id: int) -> CreditOffering:
        if offering_id not in self._cache:
            data = self._session.scalar(select(Offering.data).where(Offering.id == offering_id))
            self._cache[offering_id] = CreditOffering.model_validate(data)
        return self._cache[offering_id]

    def completion(self, row: Any) -> Completion | None:
        """:func:`~cebridge.sync.mapping.to_completion` of a stored row, built from the offering's template."""
        template = self._templates.get(row.offering_id)
        if template is None:
            template = self._templates[row.offering_id] = completion_template(self.get(row.offering_id))
        return to_completion(row, template)


_COMPLETIONS: Table = CompletionRow.__table__  # type: ignore[assignment]
_LICENSES: Table = LicenseRow.__table__  # type: ignore[assignment]
#: What a recompute reads of a completion (Core columns: no ORM loading on the hot path).
_COLUMNS = tuple(
    _COMPLETIONS.c[name]
    for name in (
        "id",
        "clinician_id",
        "offering_id",
        "status",
        "completed_on",
        "revoked_at",
        "version",
        "source",
        "external_id",
        "match_status",
    )
)
_SNAPSHOTS: Table = ComplianceSnapshot.__table__  # type: ignore[assignment]
_AWARDS: Table = CreditAwardRow.__table__  # type: ignore[assignment]
_PENDING: Table = PendingRecompute.__table__  # type: ignore[assignment]
#: Ids per ``IN (...)`` lookup.
_IN = 1000


@dataclass
class _Outcome:
    """One license evaluated: what its snapshot, awards and events become."""

    lic_row: Any
    lic: License
    data: dict[str, Any]
    digest: str
    rule_version: str
    compliant: bool
    awards: list[dict[str, Any]]
    versions: dict[str, Any]


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), _IN):
        yield ids[start : start + _IN]


def _completions_of(session: Session, clinician_ids: list[int]) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = {c: [] for c in clinician_ids}
    for chunk in _chunks(sorted(set(clinician_ids))):
        # Only the clinician's key in SQL: with a status condition too, PostgreSQL without statistics combined the
        # clinician index with the status index (900,000 entries read per clinician at a million completions).
        stmt = rows_with(session, _COLUMNS, _COMPLETIONS.c.clinician_id, chunk)
        for row in session.connection().execute(stmt):
            if row.match_status in LINKED and row.offering_id is not None:
                out[row.clinician_id].append(row)
    return out


def _evaluate(lic_row: Any, rows: list[Any], packs: Packs, as_of: date, offerings: Offerings) -> _Outcome:
    """Evaluate one license from its clinician's stored completions (pure: nothing is written here)."""
    lic = License.model_validate(lic_row.data)
    pack = packs.get(lic.board)
    known = packs.known_categories(lic.board)
    completions: list[Completion] = []
    versions: dict[str, Any] = {}
    for row in rows:
        completion = offerings.completion(row)
        if completion is not None:
            completions.append(_for_board(completion, known))
            versions[completion.id] = row
    report = evaluate(lic, completions, pack, as_of=as_of)
    data = report.to_json()
    awards: list[dict[str, Any]] = [
        {
            "license_id": lic_row.id,
            "completion_id": int(a.completion_id),
            "requirement": a.requirement,
            "hours": a.hours,
            "rule_version": a.rule_version,
        }
        for a in report.awards
        if a.completion_id in versions
    ]
    return _Outcome(lic_row, lic, data, report_hash(data), report.rule_version, report.compliant, awards, versions)


def recompute_licenses(
    session: Session, license_ids: list[int], packs: Packs, as_of: date, subs: Subscriptions, offerings: Offerings
) -> dict[int, str]:
    """Recompute these licenses in the caller's transaction; returns the licenses that could not be evaluated.

    All reads come first (licenses, their clinicians' completions, the catalog), then each license is evaluated,
    then every write goes out in bulk: old awards deleted and new ones inserted, snapshots upserted, outbox work
    added. A license whose board needs a fact it lacks is left out of the writes (its previous snapshot and
    awards stay) and reported with the reason.
    """
    lic_rows: list[Any] = []
    for chunk in _chunks(license_ids):
        lic = _LICENSES.c
        lic_rows += (
            session.connection().execute(rows_with(session, (lic.id, lic.clinician_id, lic.data), lic.id, chunk)).all()
        )
    lic_rows.sort(key=lambda r: r.id)
    by_clinician = _completions_of(session, [r.clinician_id for r in lic_rows])
    offerings.prefetch(row.offering_id for rows in by_clinician.values() for row in rows)
    outcomes: list[_Outcome] = []
    failed: dict[int, str] = {}
    for lic_row in lic_rows:
        try:
            outcomes.append(_evaluate(lic_row, by_clinician[lic_row.clinician_id], packs, as_of, offerings))
        except CebridgeError as exc:
            failed[lic_row.id] = exc.user_message[:2000]
    if outcomes:
        _store(session, outcomes, as_of, subs)
    return failed


def _store(session: Session, outcomes: list[_Outcome], as_of: date, subs: Subscriptions) -> None:
    conn = session.connection()
    ids = [o.lic_row.id for o in outcomes]
    before: dict[int, set[int]] = {i: set() for i in ids}
    old_hash: dict[int, str] = {}
    for chunk in _chunks(ids):
        awarded = (_AWARDS.c.license_id, _AWARDS.c.completion_id, _AWARDS.c.hours)
        total = _AWARDS.c.requirement == "total"
        for lic_id, cid, hours in conn.execute(rows_with(conn, awarded, _AWARDS.c.license_id, chunk, total)):
            if hours > 0:
                before[lic_id].add(cid)
        snaps = (_SNAPSHOTS.c.license_id, _SNAPSHOTS.c.report_hash)
        for lic_id, digest in conn.execute(rows_with(conn, snaps, _SNAPSHOTS.c.license_id, chunk)):
            old_hash[lic_id] = digest
        conn.execute(delete_with(conn, _AWARDS, _AWARDS.c.license_id, chunk))
    bulk_insert(conn, _AWARDS, [a for o in outcomes for a in o.awards])
    now = utcnow()
    snapshots = [
        {
            "license_id": o.lic_row.id,
            "computed_at": now,
            "as_of": as_of,
            "rule_version": o.rule_version,
            "compliant": o.compliant,
            "report": o.data,
            "report_hash": o.digest,
        }
        for o in outcomes
    ]
    stmt = insert_for(conn, _SNAPSHOTS)
    columns = ("computed_at", "as_of", "rule_version", "compliant", "report", "report_hash")
    conn.execute(
        stmt.on_conflict_do_update(index_elements=["license_id"], set_={c: getattr(stmt.excluded, c) for c in columns}),
        snapshots,
    )
    if subs:
        rows: list[dict[str, Any]] = []
        for o in outcomes:
            after = {int(a["completion_id"]) for a in o.awards if a["requirement"] == "total" and a["hours"] > 0}
            rows += _events(subs, o, old_hash.get(o.lic_row.id) != o.digest, before[o.lic_row.id], after)
        add_rows(session, rows)


def _events(subs: Subscriptions, o: _Outcome, changed: bool, before: set[int], after: set[int]) -> list[dict[str, Any]]:
    lic_row, data, versions = o.lic_row, o.data, o.versions
    results = {str(r["id"]): r for r in data["completions"]}
    base = {
        "license_id": lic_row.id,
        "clinician_id": lic_row.clinician_id,
        "board": o.lic.board,
        "license_number": o.lic.license_number,
    }
    rows: list[dict[str, Any]] = []
    for cid in sorted(after):
        row = versions[str(cid)]
        event = base | {
            "completion_id": cid,
            "source": row.source,
            "external_id": row.external_id,
            "offering_id": row.offering_id,
            "completed_on": row.completed_on,
            "result": results.get(str(cid)),
            "rule_version": data["rule_version"],
        }
        rows += outbox_rows(subs, "completion.accepted", f"{lic_row.id}:{cid}:v{row.version}", event)
        rows += outbox_rows(subs, "certificate.issue", f"{lic_row.id}:{cid}:v{row.version}", event)
    for cid in sorted(before - after):
        row_or_none = versions.get(str(cid))
        version = row_or_none.version if row_or_none is not None else "gone"
        rows += outbox_rows(subs, "certificate.revoke", f"{lic_row.id}:{cid}:v{version}", base | {"completion_id": cid})
    if changed:
        rows += outbox_rows(subs, "compliance.updated", f"{lic_row.id}:{o.digest}", base | {"report": data})
    return rows


@dataclass
class DrainResult:
    """What a drain of the pending queue did."""

    recomputed: int = 0
    failed: int = 0


def drain(
    factory: SessionFactory,
    *,
    packs: Packs | None = None,
    as_of: date | None = None,
    chunk: int = 200,
    on_progress: Callable[[int], None] | None = None,
    budget: float | None = None,
) -> DrainResult:
    """Recompute every pending license, ``chunk`` licenses per transaction, until the queue is empty.

    With ``budget`` (seconds), no new chunk starts once that much time has passed; the rest stays queued for
    the next drain. A license that cannot be evaluated (a fact its board needs is missing) keeps its previous
    snapshot and stays queued with the reason in ``last_error``; it is retried when its license is updated.
    """
    packs = packs or Packs()
    day = as_of or today()
    result = DrainResult()
    started = time.monotonic()
    while budget is None or time.monotonic() - started < budget:
        with transaction(factory) as session:
            pending = list(
                session.scalars(
                    select(PendingRecompute.license_id)
                    .where(PendingRecompute.last_error.is_(None))
                    .order_by(PendingRecompute.license_id)
                    .limit(chunk)
                    .with_for_update(skip_locked=True)
                )
            )
            if not pending:
                return result
            failed = recompute_licenses(session, pending, packs, day, Subscriptions(session), Offerings(session))
            done = [i for i in pending if i not in failed]
            conn = session.connection()
            for ids in _chunks(done):
                conn.execute(delete_with(conn, _PENDING, _PENDING.c.license_id, ids))
            if failed:
                stmt = update(_PENDING).where(_PENDING.c.license_id == bindparam("lid"))
                conn.execute(
                    stmt.values(last_error=bindparam("err")), [{"lid": i, "err": e} for i, e in failed.items()]
                )
        result.recomputed += len(done)
        result.failed += len(failed)
        if on_progress is not None and done:
            on_progress(len(done))
    return result
