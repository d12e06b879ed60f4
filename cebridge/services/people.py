"""Clinicians, licenses and identities, and linking a waiting completion to a clinician by hand.

Every change is audited in the same transaction, and the licenses whose standing it may move are queued for
recompute.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cebridge.domain.license import License
from cebridge.errors import InputError, NotFound
from cebridge.services import audit
from cebridge.services.orgs import get_org
from cebridge.store.tables import Clinician, CompletionRow, Identity, LicenseRow, PendingRecompute
from cebridge.store.types import utcnow
from cebridge.sync.ingest import queue_recompute, snapshot
from cebridge.sync.matching import Matcher, learner_keys, normalize_license_number


def get_clinician(session: Session, clinician_id: int, organization_id: int | None = None) -> Clinician:
    """A clinician by id; with ``organization_id``, only one of that organization (else: not found)."""
    row = session.get(Clinician, clinician_id)
    if row is None or (organization_id is not None and row.organization_id != organization_id):
        raise NotFound(f"no clinician with id {clinician_id}")
    return row


def add_identity(session: Session, clinician: Clinician, kind: str, value: str, source: str = "") -> bool:
    """Give ``clinician`` an identity key; False when that key already belongs to someone (never stolen)."""
    if kind == "email":
        value, source = value.strip().lower(), ""
    elif kind == "license_number":
        value, source = normalize_license_number(value), ""
    elif kind != "platform_user" or not source:
        raise InputError("a platform user id needs its source, like canvas.example.edu:1234")
    existing = session.scalar(
        select(Identity).where(
            Identity.organization_id == clinician.organization_id,
            Identity.kind == kind,
            Identity.source == source,
            Identity.value == value,
        )
    )
    if existing is not None:
        return existing.clinician_id == clinician.id
    session.add(
        Identity(
            organization_id=clinician.organization_id, clinician_id=clinician.id, kind=kind, source=source, value=value
        )
    )
    session.flush()
    return True


def add_clinician(
    session: Session,
    *,
    name: str,
    email: str | None = None,
    org_slug: str | None = None,
    platform_users: Iterable[tuple[str, str]] = (),
    actor: str = "cli",
) -> Clinician:
    """Add a clinician with their stable keys, then match any completion that was waiting for them."""
    org = get_org(session, org_slug)
    row = Clinician(organization_id=org.id, name=name, email=email.strip().lower() if email else None)
    session.add(row)
    session.flush()
    if email and not add_identity(session, row, "email", email):
        raise InputError(f"e-mail {email!r} already belongs to another clinician")
    for source, user_id in platform_users:
        if not add_identity(session, row, "platform_user", user_id, source):
            raise InputError(f"platform user {source}:{user_id} already belongs to another clinician")
    audit.record(
        session,
        actor=actor,
        action="clinician.added",
        entity="clinician",
        entity_id=row.id,
        clinician_id=row.id,
        after={"name": name, "email": row.email},
    )
    rematch_unmatched(session, org.id, actor=actor)
    return row


def add_license(session: Session, clinician: Clinician, data: Any, *, where: str, actor: str = "cli") -> LicenseRow:
    """Add or replace the clinician's license for its board (the License JSON of DESIGN.md)."""
    try:
        lic = License.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        field = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise InputError(f"{where}: field {field!r}: {first['msg']}") from None
    from cebridge.rulepacks import PackRegistry

    PackRegistry().get(lic.board)  # an unknown board is an input error now, not a failed recompute later
    row = session.scalar(
        select(LicenseRow).where(LicenseRow.clinician_id == clinician.id, LicenseRow.board == lic.board)
    )
    stored = lic.model_dump(mode="json")
    before = dict(row.data) if row is not None else None
    if row is None:
        row = LicenseRow(clinician_id=clinician.id, board=lic.board, data=stored)
        session.add(row)
    row.license_number = lic.license_number
    row.cycle_start = lic.cycle.start if lic.cycle else None
    row.cycle_end = lic.cycle.end if lic.cycle else None
    row.data, row.updated_at = stored, utcnow()
    session.flush()
    if lic.license_number and not add_identity(session, clinician, "license_number", lic.license_number):
        raise InputError(f"license number {lic.license_number!r} already belongs to another clinician")
    audit.record(
        session,
        actor=actor,
        action="license.changed" if before else "license.added",
        entity="license",
        entity_id=row.id,
        clinician_id=clinician.id,
        before=before,
        after=stored,
    )
    # A license that failed to evaluate is retried now that it changed.
    session.execute(update(PendingRecompute).where(PendingRecompute.license_id == row.id).values(last_error=None))
    queue_recompute(session, [clinician.id])
    rematch_unmatched(session, clinician.organization_id, actor=actor)
    return row


def link_completion(
    session: Session, completion_id: int, clinician_id: int, *, actor: str, organization_id: int | None = None
) -> CompletionRow:
    """Credit a waiting (or wrongly matched) completion to a clinician, by a person's decision.

    The link is sticky: later deliveries of the record never move it. The learner's platform user id becomes
    an identity of the clinician when nobody else has it, so the next records of that learner match by
    themselves.
    """
    row = session.get(CompletionRow, completion_id)
    if row is None or (organization_id is not None and row.organization_id != organization_id):
        raise NotFound(f"no completion with id {completion_id}")
    clinician = get_clinician(session, clinician_id, row.organization_id)
    before = snapshot(row)
    old = row.clinician_id
    row.clinician_id, row.match_status, row.updated_at = clinician.id, "linked", utcnow()
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="completion.linked",
        entity="completion",
        entity_id=row.id,
        clinician_id=clinician.id,
        before=before,
        after=snapshot(row),
    )
    user_id = row.learner.get("platform_user_id")
    if user_id:
        add_identity(session, clinician, "platform_user", str(user_id), row.source)
    queue_recompute(session, [c for c in (old, clinician.id) if c is not None])
    rematch_unmatched(session, row.organization_id, actor=actor)
    return row


def rematch_unmatched(session: Session, organization_id: int, *, actor: str) -> int:
    """Match waiting completions of the organization against the current identities; returns how many matched."""
    matcher = Matcher(session, organization_id)
    matched = 0
    clinicians: set[int] = set()
    last = 0
    while True:
        rows = session.scalars(
            select(CompletionRow)
            .where(
                CompletionRow.organization_id == organization_id,
                CompletionRow.match_status.in_(("unmatched", "ambiguous")),
                CompletionRow.id > last,
            )
            .order_by(CompletionRow.id)
            .limit(1000)
        ).all()
        if not rows:
            break
        known = matcher.lookup(k for r in rows for k in learner_keys(r.source, r.learner))
        for row in rows:
            match = matcher.decide(learner_keys(row.source, row.learner), known)
            if match.status == row.match_status and match.clinician_id == row.clinician_id:
                continue
            before = snapshot(row)
            row.match_status, row.clinician_id, row.updated_at = match.status, match.clinician_id, utcnow()
            if match.clinician_id is not None:
                matched += 1
                clinicians.add(match.clinician_id)
                audit.record(
                    session,
                    actor=actor,
                    action="completion.matched",
                    entity="completion",
                    entity_id=row.id,
                    clinician_id=match.clinician_id,
                    before=before,
                    after=snapshot(row),
                )
        last = rows[-1].id
        session.flush()
    queue_recompute(session, clinicians)
    return matched
