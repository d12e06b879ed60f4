"""The instructor's roster view: every member of the course (NRPS, all pages) and what each is short on.

A member is matched to a clinician by an exact identity only: the LTI user id on this platform (identity kind
``platform_user`` with ``source`` = the platform's issuer) or, when the platform shares it, the e-mail address.
For a matched clinician the view shows each license's latest stored compliance report: compliant or not, and the
requirements still short. Unmatched members are listed as such, never guessed.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session

from cebridge.store.people_tables import Identity, LicenseRow
from cebridge.store.record_tables import ComplianceSnapshot
from lti_tool.db import unit_of_work
from lti_tool.errors import LaunchRejected
from lti_tool.keys import signing_key
from lti_tool.launch_session import LaunchContext, current_launch, instructor_required
from lti_tool.nrps import roster as fetch_roster
from lti_tool.runtime import runtime
from lti_tool.services import ServiceClient, ServiceError

bp = Blueprint("lti_roster", __name__)


def _clinician_id(session: Session, issuer: str, member: dict[str, Any]) -> int | None:
    found = session.scalar(
        select(Identity.clinician_id).where(
            Identity.kind == "platform_user", Identity.source == issuer, Identity.value == str(member["user_id"])
        )
    )
    email = member.get("email")
    if found is None and email:
        found = session.scalar(
            select(Identity.clinician_id).where(
                Identity.kind == "email", Identity.source == "", Identity.value == str(email).strip().lower()
            )
        )
    return found


def _licenses(session: Session, clinician_id: int) -> list[dict[str, Any]]:
    out = []
    for lic in session.scalars(select(LicenseRow).where(LicenseRow.clinician_id == clinician_id)):
        snap = session.get(ComplianceSnapshot, lic.id)
        entry: dict[str, Any] = {"board": lic.board, "license_number": lic.license_number}
        if snap is None:
            entry.update({"compliant": None, "short": [], "as_of": None})
        else:
            report = snap.report or {}
            entry.update(
                {
                    "compliant": snap.compliant,
                    "as_of": snap.as_of.isoformat(),
                    "cycle_end": (report.get("cycle") or {}).get("end"),
                    "total_short": (report.get("total") or {}).get("short"),
                    "short": [
                        {"requirement": r.get("id"), "category": r.get("category"), "short": r.get("short")}
                        for r in report.get("requirements") or []
                        if not r.get("satisfied", True)
                    ],
                }
            )
        out.append(entry)
    return out


def roster_view(launch: LaunchContext) -> dict[str, Any]:
    """The roster view data for a launch's course."""
    if not launch.memberships_url:
        raise LaunchRejected("no_roster_service", "the platform offers no roster service for this course", status=404)
    rt = runtime()
    client = ServiceClient(rt.registrations.get(launch.platform_id), signing_key(), rt.http)
    try:
        context, members = fetch_roster(client, launch.memberships_url)
    except ServiceError as exc:
        raise LaunchRejected("roster_unavailable", f"the course roster could not be read: {exc}", status=502) from None
    rows = []
    with unit_of_work(write=False) as session:
        for member in members:
            if not member.get("user_id"):
                continue
            clinician = _clinician_id(session, launch.issuer, member)
            licenses = _licenses(session, clinician) if clinician is not None else []
            rows.append(
                {
                    "user_id": str(member["user_id"]),
                    "name": member.get("name"),
                    "roles": member.get("roles") or [],
                    "status": member.get("status", "Active"),
                    "matched": clinician is not None,
                    "licenses": licenses,
                    "short": any(lic["compliant"] is False for lic in licenses),
                }
            )
    return {"context": context, "members": rows, "count": len(rows)}


@bp.get("/lti/roster.json")
@instructor_required
def roster() -> ResponseReturnValue:
    """JSON for the roster view: who is in the course and who is short on what."""
    launch = current_launch()
    assert launch is not None
    return roster_view(launch)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
