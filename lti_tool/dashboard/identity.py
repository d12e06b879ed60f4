"""Which clinician a launch is: the store's identity keys, exact matches only.

A launching user is the clinician whose ``platform_user`` identity is the launch's user id on the launch's issuer
(``source`` = issuer), or, when the platform shares an e-mail, the clinician with that e-mail identity: the same
rule as the instructor roster of :mod:`lti_tool.roster`. Never a name. Onboarding creates the clinician (in the
default organization) with the platform identity, so the next launch finds them by it.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from cebridge.services import people
from cebridge.store.people_tables import Clinician, Identity
from lti_tool.errors import LaunchRejected
from lti_tool.launch_session import LaunchContext

ACTOR_PREFIX = "lti-dashboard"


def actor(launch: LaunchContext) -> str:
    """How the audit log names a change the launching user made through the dashboard."""
    return f"{ACTOR_PREFIX}:{launch.issuer}:{launch.user_id}"


def _one(session: Session, kind: str, source: str, value: str) -> int | None:
    found = sorted(
        set(
            session.scalars(
                select(Identity.clinician_id).where(
                    Identity.kind == kind, Identity.source == source, Identity.value == value
                )
            )
        )
    )
    if len(found) > 1:
        raise LaunchRejected(
            "ambiguous_identity",
            "more than one clinician record matches your account; ask your administrator to merge them",
            status=409,
        )
    return found[0] if found else None


def find_clinician(session: Session, launch: LaunchContext) -> Clinician | None:
    """The launching user's clinician record, or None when the store does not know them."""
    found = _one(session, "platform_user", launch.issuer, launch.user_id)
    if found is None and launch.email:
        found = _one(session, "email", "", launch.email.strip().lower())
    return session.get(Clinician, found) if found is not None else None


def ensure_clinician(session: Session, launch: LaunchContext) -> Clinician:
    """The launching user's clinician, created with their platform identity (and e-mail) when new.

    A clinician found by e-mail also gets the platform identity, so later launches match without the e-mail.
    """
    clinician = find_clinician(session, launch)
    if clinician is None:
        return people.add_clinician(
            session,
            name=launch.name or "",
            email=launch.email,
            platform_users=[(launch.issuer, launch.user_id)],
            actor=actor(launch),
        )
    people.add_identity(session, clinician, "platform_user", launch.user_id, launch.issuer)
    return clinician
