"""Placements: which catalog offering a platform's resource link shows, and the AGS line item grading it.

Deep Linking puts the offering id in the link's custom parameters (``cebridge_offering``); the first launch
of the link tells the tool its resource link id and line item URL, and this module remembers them so the
AGS sink can post scores later, outside any launch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Dialect, Table, bindparam, func, insert, select, update
from sqlalchemy.engine.interfaces import DBAPICursor
from sqlalchemy.orm import Session

from cebridge.store.lti_tables import LtiLineItem
from lti_tool.statements import Prepared

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


ITEMS: Table = LtiLineItem.__table__  # type: ignore[assignment]
_THIS_LINK = (
    (ITEMS.c.platform_id == bindparam("p_platform"))
    & (ITEMS.c.deployment_id == bindparam("p_deployment"))
    & (ITEMS.c.resource_link_id == bindparam("p_link"))
)
# What a launch does not send (no AGS claim, no context) keeps what an earlier launch stored.
_REFRESH = Prepared(
    update(ITEMS)
    .where(_THIS_LINK)
    .values(
        offering_id=bindparam("p_offering"),
        context_id=func.coalesce(bindparam("p_context", type_=ITEMS.c.context_id.type), ITEMS.c.context_id),
        lineitems_url=func.coalesce(bindparam("p_items", type_=ITEMS.c.lineitems_url.type), ITEMS.c.lineitems_url),
        lineitem_url=func.coalesce(bindparam("p_item", type_=ITEMS.c.lineitem_url.type), ITEMS.c.lineitem_url),
    )
)
_ADD = Prepared(
    insert(ITEMS).values(
        platform_id=bindparam("p_platform"),
        deployment_id=bindparam("p_deployment"),
        resource_link_id=bindparam("p_link"),
        offering_id=bindparam("p_offering"),
        context_id=bindparam("p_context"),
        lineitems_url=bindparam("p_items"),
        lineitem_url=bindparam("p_item"),
        score_maximum=bindparam("p_score_maximum"),  # the line item deep linking asks for (scoreMaximum 1)
        created_at=bindparam("p_now"),
    )
)


def record_placement(
    cursor: DBAPICursor, dialect: Dialect, platform_id: int, deployment_id: str, body: dict[str, Any], now: int
) -> bool:
    """Remember (or refresh) the placement a resource-link launch reveals, in the caller's transaction.

    False when the launch reveals none (no offering or no resource link id)."""
    custom = body.get(CUSTOM_CLAIM) or {}
    link = body.get("https://purl.imsglobal.org/spec/lti/claim/resource_link") or {}
    offering = custom.get(OFFERING_PARAM) if isinstance(custom, dict) else None
    link_id = link.get("id") if isinstance(link, dict) else None
    if not offering or not link_id:
        return False
    ags_claim = body.get(AGS_CLAIM)
    ags: dict[str, Any] = ags_claim if isinstance(ags_claim, dict) else {}
    context = body.get("https://purl.imsglobal.org/spec/lti/claim/context") or {}
    params = {
        "p_platform": platform_id,
        "p_deployment": deployment_id,
        "p_link": str(link_id),
        "p_offering": str(offering),
        "p_context": str(context.get("id")) if isinstance(context, dict) and context.get("id") else None,
        "p_items": ags.get("lineitems") or None,
        "p_item": ags.get("lineitem") or None,
    }
    if _REFRESH.execute(cursor, dialect, params).rowcount == 0:
        _ADD.execute(cursor, dialect, {**params, "p_score_maximum": "1", "p_now": now})
    return True


def placements_for_offering(session: Session, offering_id: str) -> list[Placement]:
    """Every placement of an offering, on any platform."""
    rows = session.scalars(select(LtiLineItem).where(LtiLineItem.offering_id == offering_id)).all()
    return [Placement.of(r) for r in rows]
