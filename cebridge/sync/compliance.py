"""Recompute a license's compliance from the stored record and keep awards, snapshot and outbox in step.

Each license is recomputed in one transaction that writes its report snapshot, replaces its credit awards,
enqueues certificate and report work for the sinks, and removes it from the pending queue: all or nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cebridge.domain.completion import Completion, CreditOffering
from cebridge.domain.engine import evaluate
from cebridge.domain.license import License
from cebridge.domain.rules import RulePack
from cebridge.errors import CebridgeError
from cebridge.rulepacks import PackRegistry
from cebridge.store.db import SessionFactory, transaction
from cebridge.store.dialect import insert_for
from cebridge.store.tables import (
    CompletionRow,
    ComplianceSnapshot,
    CreditAwardRow,
    LicenseRow,
    Offering,
    PendingRecompute,
)
from cebridge.store.types import utcnow
from cebridge.sync.events import Subscriptions, enqueue
from cebridge.sync.mapping import to_completion

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

    def get(self, offering_id: int) -> CreditOffering:
        if offering_id not in self._cache:
            data = self._session.scalar(select(Offering.data).where(Offering.id == offering_id))
            self._cache[offering_id] = CreditOffering.model_validate(data)
        return self._cache[offering_id]


_COLUMNS = (
    CompletionRow.id,
    CompletionRow.offering_id,
    CompletionRow.status,
    CompletionRow.completed_on,
    CompletionRow.revoked_at,
    CompletionRow.version,
    CompletionRow.source,
    CompletionRow.external_id,
)


def recompute_license(
    session: Session, lic_row: LicenseRow, packs: Packs, as_of: date, subs: Subscriptions, offerings: Offerings
) -> None:
    """Evaluate one license from its clinician's stored completions and store the outcome (caller's transaction)."""
    lic = License.model_validate(lic_row.data)
    pack = packs.get(lic.board)
    known = packs.known_categories(lic.board)
    completions: list[Completion] = []
    versions: dict[str, Any] = {}
    stmt = select(*_COLUMNS).where(
        CompletionRow.clinician_id == lic_row.clinician_id,
        CompletionRow.match_status.in_(LINKED),
        CompletionRow.offering_id.is_not(None),
    )
    for row in session.execute(stmt):
        completion = to_completion(row, offerings.get(row.offering_id))
        if completion is not None:
            completions.append(_for_board(completion, known))
            versions[completion.id] = row
    report = evaluate(lic, completions, pack, as_of=as_of)
    data = report.to_json()
    digest = report_hash(data)

    before = {
        cid
        for cid, hours in session.execute(
            select(CreditAwardRow.completion_id, CreditAwardRow.hours).where(
                CreditAwardRow.license_id == lic_row.id, CreditAwardRow.requirement == "total"
            )
        )
        if hours > 0
    }
    session.execute(delete(CreditAwardRow).where(CreditAwardRow.license_id == lic_row.id))
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
    if awards:
        session.execute(insert_for(session, CreditAwardRow), awards)
    after: set[int] = {
        int(a["completion_id"]) for a in awards if a["requirement"] == "total" and Decimal(a["hours"]) > 0
    }

    old_hash = session.scalar(select(ComplianceSnapshot.report_hash).where(ComplianceSnapshot.license_id == lic_row.id))
    values = {
        "computed_at": utcnow(),
        "as_of": as_of,
        "rule_version": report.rule_version,
        "compliant": report.compliant,
        "report": data,
        "report_hash": digest,
    }
    stmt_up = insert_for(session, ComplianceSnapshot).values(license_id=lic_row.id, **values)
    session.execute(stmt_up.on_conflict_do_update(index_elements=["license_id"], set_=values))
    if subs:
        _events(session, subs, lic_row, lic, data, digest, old_hash != digest, before, after, versions)


def _events(
    session: Session,
    subs: Subscriptions,
    lic_row: LicenseRow,
    lic: License,
    data: dict[str, object],
    digest: str,
    changed: bool,
    before: set[int],
    after: set[int],
    versions: dict[str, Any],
) -> None:
    results = {str(r["id"]): r for r in data["completions"]}  # type: ignore[attr-defined]
    base = {
        "license_id": lic_row.id,
        "clinician_id": lic_row.clinician_id,
        "board": lic.board,
        "license_number": lic.license_number,
    }
    for cid in sorted(after):
        row = versions[str(cid)]
        enqueue(
            session,
            subs,
            "certificate.issue",
            f"{lic_row.id}:{cid}:v{row.version}",
            base
            | {
                "completion_id": cid,
                "source": row.source,
                "external_id": row.external_id,
                "offering_id": row.offering_id,
                "completed_on": row.completed_on,
                "result": results.get(str(cid)),
                "rule_version": data["rule_version"],
            },
        )
    for cid in sorted(before - after):
        row_or_none = versions.get(str(cid))
        version = row_or_none.version if row_or_none is not None else "gone"
        enqueue(session, subs, "certificate.revoke", f"{lic_row.id}:{cid}:v{version}", base | {"completion_id": cid})
    if changed:
        enqueue(session, subs, "compliance.updated", f"{lic_row.id}:{digest}", base | {"report": data})


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
    chunk: int = 50,
    on_progress: Callable[[int], None] | None = None,
) -> DrainResult:
    """Recompute every pending license, ``chunk`` licenses per transaction, until the queue is empty.

    A license that cannot be evaluated (a fact its board needs is missing) keeps its previous snapshot and stays
    queued with the reason in ``last_error``; it is retried when its license is updated.
    """
    packs = packs or Packs()
    day = as_of or today()
    result = DrainResult()
    while True:
        done_before = result.recomputed
        done = 0
        with transaction(factory) as session:
            pending = session.scalars(
                select(PendingRecompute)
                .where(PendingRecompute.last_error.is_(None))
                .order_by(PendingRecompute.license_id)
                .limit(chunk)
                .with_for_update(skip_locked=True)
            ).all()
            if not pending:
                return result
            subs = Subscriptions(session)
            offerings = Offerings(session)
            for item in pending:
                lic_row = session.get(LicenseRow, item.license_id)
                if lic_row is None:
                    session.delete(item)
                    continue
                try:
                    with session.begin_nested():
                        recompute_license(session, lic_row, packs, day, subs, offerings)
                except CebridgeError as exc:
                    item.last_error = exc.user_message[:2000]
                    result.failed += 1
                    continue
                session.delete(item)
                result.recomputed += 1
            done = result.recomputed - done_before
        if on_progress is not None and done:
            on_progress(done)
