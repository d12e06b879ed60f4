"""Placements: which catalog offering a platform's resource link shows, and the AGS line item grading it.

Deep Linking puts the offering id in the link's custom parameters (``cebridge_offering``); the first launch
of the link tells the tool its resource link id and line item URL, and this module remembers them so the
AGS sink can post scores later, outside any launch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cebridge.store.lti_tables import LtiLineItem

OFFERING_PARAM = "cebridge_offering"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
CUSTOM_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/custom"


@dataclass(frozen=True)
class Placement:
    """A stored placement."""

    id: int
    platform_id: int
    deployment_id: str
    resource_link_id: str
    context_id: str | None
    offering_id: str
    lineitems_url: str | None
    lineitem_url: str | None

    @classmethod
    def of(cls, row: LtiLineItem) -> Placement:
        return cls(
            id=row.id,
            platform_id=row.platform_id,
            deployment_id=row.deployment_id,
            resource_link_id=row.resource_link_id,
            context_id=row.context_id,
            offering_id=row.offering_id,
            lineitems_url=row.lineitems_url,
            lineitem_url=row.lineitem_url,
        )


def reveals_placement(body: dict[str, Any]) -> bool:
    """Whether a launch names a placed offering (so :func:`record_placement` has something to do)."""
    custom = body.get(CUSTOM_CLAIM)
    return isinstance(custom, dict) and bool(custom.get(OFFERING_PARAM))


def record_placement(
    session: Session, platform_id: int, deployment_id: str, body: dict[str, Any], now: int
) -> Placement | None:
    """Remember (or refresh) the placement a resource-link launch reveals; None for other launches."""
    custom = body.get(CUSTOM_CLAIM) or {}
    link = body.get("https://purl.imsglobal.org/spec/lti/claim/resource_link") or {}
    offering = custom.get(OFFERING_PARAM) if isinstance(custom, dict) else None
    link_id = link.get("id") if isinstance(link, dict) else None
    if not offering or not link_id:
        return None
    ags_claim = body.get(AGS_CLAIM)
    ags: dict[str, Any] = ags_claim if isinstance(ags_claim, dict) else {}
    context = body.get("https://purl.imsglobal.org/spec/lti/claim/context") or {}
    row = session.scalars(
        select(LtiLineItem).where(
            LtiLineItem.platform_id == platform_id,
            LtiLineItem.deployment_id == deployment_id,
            LtiLineItem.resource_link_id == str(link_id),
        )
    ).one_or_none()
    if row is None:
        row = LtiLineItem(
            platform_id=platform_id,
            deployment_id=deployment_id,
            resource_link_id=str(link_id),
            created_at=now,
            offering_id=str(offering),
        )
        session.add(row)
    row.offering_id = str(offering)
    row.context_id = str(context.get("id")) if isinstance(context, dict) and context.get("id") else row.context_id
    row.lineitems_url = ags.get("lineitems") or row.lineitems_url
    row.lineitem_url = ags.get("lineitem") or row.lineitem_url
    session.flush()
    return Placement.of(row)


def placements_for_offering(session: Session, offering_id: str) -> list[Placement]:
    """Every placement of an offering, on any platform."""
    rows = session.scalars(select(LtiLineItem).where(LtiLineItem.offering_id == offering_id)).all()
    return [Placement.of(r) for r in rows]
