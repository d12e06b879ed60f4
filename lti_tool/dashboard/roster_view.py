"""The instructor's view of a course roster's compliance: who is short on what, and by when.

Members come from the platform's roster service (NRPS, every page, through :mod:`lti_tool.nrps`). When the
platform offers none, or it fails, the view falls back to the people the store knows in this course: those who
launched the tool from it, and clinicians with completions of offerings placed in it; the page says which source
it shows. Members are matched to clinicians by exact identity keys only (:mod:`lti_tool.dashboard.identity`).

Each license's standing is its stored compliance snapshot when that is current (no recompute pending); otherwise
it is computed now with the engine from the stored record, so a license added minutes ago is not shown as unknown.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cebridge.store.catalog_tables import Offering
from cebridge.store.lti_tables import LtiLaunch, LtiLineItem
from cebridge.store.people_tables import Clinician, Identity, LicenseRow
from cebridge.store.record_tables import CompletionRow, ComplianceSnapshot, PendingRecompute
from cebridge.sync.compliance import LINKED, Packs
from lti_tool.dashboard.formatting import hours_label, to_decimal
from lti_tool.dashboard.record import standing, stored_completions
from lti_tool.keys import signing_key
from lti_tool.launch_session import LaunchContext
from lti_tool.nrps import roster as fetch_roster
from lti_tool.runtime import runtime
from lti_tool.services import ServiceClient, ServiceError

_CHUNK = 500
ROLE_NAMES = {
    "Learner": "Learner",
    "Instructor": "Instructor",
    "ContentDeveloper": "Content developer",
    "TeachingAssistant": "Teaching assistant",
    "Administrator": "Administrator",
    "Mentor": "Mentor",
}


def role_name(role: str) -> str:
    """``Instructor`` for ``http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor`` (and short forms)."""
    last = role.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
    return ROLE_NAMES.get(last, last)


@dataclass(frozen=True)
class LicenseLine:
    """One license of a roster member."""

    board: str
    board_title: str
    license_number: str | None
    state: str  # compliant | short | unknown
    short: tuple[str, ...]
    cycle_end: date | None
    basis: str
    error: str | None = None

    @property
    def state_text(self) -> str:
        return {"compliant": "Compliant", "short": "Short", "unknown": "Not known"}[self.state]


@dataclass
class MemberRow:
    """One roster member and their licenses."""

    name: str
    user_id: str | None
    roles: tuple[str, ...]
    clinician_id: int | None
    licenses: list[LicenseLine] = field(default_factory=list)

    @property
    def short(self) -> bool:
        return any(lic.state == "short" for lic in self.licenses)

    @property
    def summary(self) -> str:
        if self.clinician_id is None:
            return "No cebridge record"
        if not self.licenses:
            return "No license on record"
        if self.short:
            return "Short"
        if all(lic.state == "compliant" for lic in self.licenses):
            return "Compliant"
        return "Not known"


@dataclass
class RosterView:
    """The whole table and where its members came from."""

    source: str  # nrps | store
    notice: str | None
    members: list[MemberRow]
    course: str | None

    @property
    def short_count(self) -> int:
        return sum(1 for m in self.members if m.short)

    @property
    def matched_count(self) -> int:
        return sum(1 for m in self.members if m.clinician_id is not None)


def _chunks(values: list[str]) -> Iterable[list[str]]:
    for i in range(0, len(values), _CHUNK):
        yield values[i : i + _CHUNK]


def _match(session: Session, issuer: str, members: list[dict[str, Any]]) -> dict[int, int]:
    """Member index -> clinician id, by platform user id on this issuer, then by e-mail."""
    ids = sorted({str(m["user_id"]) for m in members if m.get("user_id")})
    by_user: dict[str, set[int]] = {}
    for chunk in _chunks(ids):
        for value, clinician in session.execute(
            select(Identity.value, Identity.clinician_id).where(
                Identity.kind == "platform_user", Identity.source == issuer, Identity.value.in_(chunk)
            )
        ):
            by_user.setdefault(value, set()).add(clinician)
    emails = sorted({str(m["email"]).strip().lower() for m in members if m.get("email")})
    by_email: dict[str, set[int]] = {}
    for chunk in _chunks(emails):
        for value, clinician in session.execute(
            select(Identity.value, Identity.clinician_id).where(
                Identity.kind == "email", Identity.source == "", Identity.value.in_(chunk)
            )
        ):
            by_email.setdefault(value, set()).add(clinician)
    out: dict[int, int] = {}
    for i, m in enumerate(members):
        if m.get("clinician_id") is not None:
            out[i] = int(m["clinician_id"])
            continue
        found = by_user.get(str(m.get("user_id") or ""), set())
        if not found and m.get("email"):
            found = by_email.get(str(m["email"]).strip().lower(), set())
        if len(found) == 1:  # two clinicians for one key is not a match: never guess
            out[i] = next(iter(found))
    return out


def _line_from_report(row: LicenseRow, title: str, report: dict[str, Any], basis: str) -> LicenseLine:
    short = tuple(
        f"{r.get('title') or r.get('id')}: "
        + (hours_label(r.get("short")) if to_decimal(r.get("short")) > 0 else "a completion")
        for r in report.get("requirements") or []
        if not r.get("satisfied", True)
    )
    total_short = to_decimal((report.get("total") or {}).get("short"))
    if total_short > 0:
        short += (f"Total: {hours_label(total_short)}",)
    end_raw = (report.get("cycle") or {}).get("end")
    end = date.fromisoformat(end_raw) if isinstance(end_raw, str) else None
    return LicenseLine(
        board=row.board,
        board_title=title,
        license_number=row.license_number,
        state="compliant" if report.get("compliant") else "short",
        short=short,
        cycle_end=end,
        basis=basis,
    )


def _license_lines(
    session: Session, clinician_ids: set[int], packs: Packs, as_of: date
) -> dict[int, list[LicenseLine]]:
    out: dict[int, list[LicenseLine]] = {c: [] for c in clinician_ids}
    if not clinician_ids:
        return out
    rows = session.scalars(
        select(LicenseRow).where(LicenseRow.clinician_id.in_(sorted(clinician_ids))).order_by(LicenseRow.board)
    ).all()
    ids = [r.id for r in rows]
    snaps = (
        {
            s.license_id: s
            for s in session.scalars(select(ComplianceSnapshot).where(ComplianceSnapshot.license_id.in_(ids)))
        }
        if ids
        else {}
    )
    pending = (
        set(session.scalars(select(PendingRecompute.license_id).where(PendingRecompute.license_id.in_(ids))))
        if ids
        else set()
    )
    completions: dict[int, Any] = {}
    for row in rows:
        try:
            title = packs.get(row.board).title
        except Exception:  # a board whose pack is gone still shows, by its id
            title = row.board
        snap = snaps.get(row.id)
        if snap is not None and row.id not in pending:
            line = _line_from_report(row, title, snap.report or {}, f"stored report of {snap.as_of.isoformat()}")
        else:
            if row.clinician_id not in completions:
                completions[row.clinician_id] = stored_completions(session, row.clinician_id)
            st = standing(row, completions[row.clinician_id], packs, as_of)
            if st.report is None:
                line = LicenseLine(
                    row.board, title, row.license_number, "unknown", (), None, "computed now", error=st.error
                )
            else:
                line = _line_from_report(row, title, st.report.to_json(), "computed now")
        out[row.clinician_id].append(line)
    return out


def store_members(session: Session, launch: LaunchContext) -> list[dict[str, Any]]:
    """The people the store knows in this course: launchers from it, and completers of offerings placed in it."""
    members: dict[str, dict[str, Any]] = {}
    if launch.context_id:
        launches = session.execute(
            select(LtiLaunch.sub, LtiLaunch.claims, LtiLaunch.created_at)
            .where(LtiLaunch.platform_id == launch.platform_id, LtiLaunch.context_id == launch.context_id)
            .order_by(LtiLaunch.created_at)
        ).all()
        for sub, claims, _ in launches:
            name = claims.get("name") or " ".join(
                str(p) for p in (claims.get("given_name"), claims.get("family_name")) if p
            )
            members[f"u:{sub}"] = {
                "user_id": sub,
                "name": name or None,
                "email": claims.get("email"),
                "roles": claims.get("https://purl.imsglobal.org/spec/lti/claim/roles") or [],
            }
        refs = set(
            session.scalars(
                select(LtiLineItem.offering_id).where(
                    LtiLineItem.platform_id == launch.platform_id, LtiLineItem.context_id == launch.context_id
                )
            )
        )
        offering_ids = {int(r) for r in refs if r.isdigit()}
        named = sorted(r for r in refs if not r.isdigit())
        if named:
            offering_ids |= set(session.scalars(select(Offering.id).where(Offering.offering_id.in_(named))))
        if offering_ids:
            clinicians = set(
                session.scalars(
                    select(CompletionRow.clinician_id).where(
                        CompletionRow.offering_id.in_(sorted(offering_ids)),
                        CompletionRow.match_status.in_(LINKED),
                        CompletionRow.clinician_id.is_not(None),
                    )
                )
            )
            known = _match(session, launch.issuer, list(members.values()))
            seen = {known[i] for i in known}
            for clinician in session.scalars(select(Clinician).where(Clinician.id.in_(sorted(clinicians - seen)))):
                members[f"c:{clinician.id}"] = {
                    "user_id": None,
                    "name": clinician.name or None,
                    "roles": [],
                    "clinician_id": clinician.id,
                }
    return list(members.values())


def roster_view(session: Session, launch: LaunchContext, packs: Packs, as_of: date) -> RosterView:
    """The roster of the launch's course with each member's standing."""
    notice = None
    source = "store"
    members: list[dict[str, Any]] = []
    course = launch.context_title
    if launch.memberships_url:
        rt = runtime()
        try:
            client = ServiceClient(rt.registrations.get(launch.platform_id), signing_key(), rt.http)
            context, members = fetch_roster(client, launch.memberships_url)
            source = "nrps"
            course = course or context.get("title")
        except ServiceError as exc:
            notice = (
                f"The course roster could not be read from the learning platform ({exc.user_message}). "
                "This table shows the people cebridge knows in this course instead."
            )
    else:
        notice = (
            "The learning platform does not share this course's roster with cebridge. "
            "This table shows the people cebridge knows in this course: those who opened the activity "
            "and those with completions of its courses."
        )
    if source == "store":
        members = store_members(session, launch)
    members = [
        m
        for m in members
        if (m.get("user_id") or m.get("clinician_id") is not None) and m.get("status", "Active") == "Active"
    ]
    matched = _match(session, launch.issuer, members)
    lines = _license_lines(session, set(matched.values()), packs, as_of)
    rows = []
    for i, m in enumerate(members):
        clinician = matched.get(i)
        rows.append(
            MemberRow(
                name=str(m.get("name") or m.get("user_id") or "Unnamed member"),
                user_id=str(m["user_id"]) if m.get("user_id") else None,
                roles=tuple(dict.fromkeys(role_name(str(r)) for r in m.get("roles") or [])),
                clinician_id=clinician,
                licenses=lines.get(clinician, []) if clinician is not None else [],
            )
        )
    rows.sort(key=lambda r: (not r.short, r.clinician_id is None, r.name.casefold()))
    return RosterView(source=source, notice=notice, members=rows, course=course)
