"""Assignment and Grade Services: post a clinician's completion of a placed CE offering to the gradebook.

A completion is posted as ``activityProgress: Completed``, ``gradingProgress: FullyGraded``, score 1 of 1 and a
comment with the credit earned. Moodle drops scoreGiven unless FullyGraded and answers 409 to a timestamp not
after the stored one, comparing whole seconds; so each learner's timestamps on a line item strictly increase
by at least a second, and the next timestamp is reserved in the database before the HTTP call (a crash between
the two can only skip a timestamp, never reuse one).

Completions reach the gradebook through the outbox, in two steps. The sync pipeline writes a
``completion.accepted`` event when a completion newly counts for a license; the ``lti_ags`` sink answers it with
:func:`queue_scores_for_completion`, which finds the placements of the completion's offering and the learner's
LTI user id on each platform (the clinician's ``platform_user`` identities) and writes one ``lti.score`` item per
placement through :func:`enqueue_completion_scores`; :class:`lti_tool.sinks.ags.AgsSink` delivers those. The
default subscription ``lti_ags`` (both kinds) is created when a platform is registered, or on first use.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from cebridge.store.db import SessionFactory, transaction
from cebridge.store.lti_tables import LtiLineItem, LtiPlatform, LtiScorePost
from cebridge.store.org_tables import SinkSubscription
from cebridge.store.record_tables import OutboxItem
from cebridge.store.types import utcnow
from lti_tool.deep_linking import LINE_ITEM_TAG
from lti_tool.placements import Placement
from lti_tool.services import ServiceClient, ServiceError

SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
LINEITEM_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCORE_MEDIA_TYPE = "application/vnd.ims.lis.v1.score+json"
LINEITEM_MEDIA_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
LINEITEMS_MEDIA_TYPE = "application/vnd.ims.lis.v2.lineitemcontainer+json"
SINK_NAME = "lti_ags"
SCORE_KIND = "lti.score"
#: The pipeline's event for a completion that newly counts for a license; the sink turns it into score posts.
ACCEPTED_KIND = "completion.accepted"
SUBSCRIBED_KINDS = (SCORE_KIND, ACCEPTED_KIND)
SECOND_US = 1_000_000
MAX_PAGES = 100


def iso_timestamp(us: int) -> str:
    """ISO 8601 UTC with microseconds, as AGS wants (``2026-01-02T03:04:05.123456Z``)."""
    return datetime.fromtimestamp(us / SECOND_US, UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def next_timestamp_us(last_us: int | None, now_us: int) -> int:
    """A timestamp after ``last_us`` in whole seconds (Moodle compares seconds), and not before now."""
    if last_us is None:
        return now_us
    return max(now_us, (last_us // SECOND_US + 1) * SECOND_US)


def credit_comment(credit: Mapping[str, Any], title: str | None = None) -> str:
    """The score comment: what the completion earned."""
    amount = Decimal(str(credit.get("amount", "0"))).normalize()
    text = f"CE credit earned: {format(amount, 'f')} {credit.get('unit', 'hours')}"
    categories = [str(c) for c in credit.get("categories") or ()]
    if categories:
        text += f" ({', '.join(categories)})"
    return f"{title}: {text}" if title else text


def _sub_url(url: str, suffix: str) -> str:
    """``url`` with ``suffix`` appended to its path, query kept (Moodle line item URLs carry ``?type_id=``)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/") + suffix, parts.query, parts.fragment))


def ensure_line_item(sessions: SessionFactory, client: ServiceClient, placement: Placement, label: str) -> str:
    """The line item URL of a placement: the one the launch named, one found by resource link, or a new one."""
    if placement.lineitem_url:
        return placement.lineitem_url
    if not placement.lineitems_url:
        raise ServiceError("the placement has no AGS line item and the platform offers no line items service")
    parts = urlsplit(placement.lineitems_url)
    query = (parts.query + "&" if parts.query else "") + urlencode({"resource_link_id": placement.resource_link_id})
    items: list[dict[str, Any]] = []
    url: str | None = urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))
    seen: set[str] = set()
    while url and url not in seen and len(seen) < MAX_PAGES:  # every page, as with the roster
        seen.add(url)
        page = client.call("GET", url, [LINEITEM_SCOPE], accept=LINEITEMS_MEDIA_TYPE)
        body = page.body if isinstance(page.body, list) else []
        items.extend(i for i in body if isinstance(i, dict) and i.get("id"))
        url = page.next_url
    match = next((i for i in items if i.get("tag") == LINE_ITEM_TAG), items[0] if items else None)
    if match is None:
        created = client.call(
            "POST",
            placement.lineitems_url,
            [LINEITEM_SCOPE],
            json_body={
                "scoreMaximum": 1,
                "label": label,
                "resourceId": placement.offering_id,
                "resourceLinkId": placement.resource_link_id,
                "tag": LINE_ITEM_TAG,
            },
            content_type=LINEITEM_MEDIA_TYPE,
            accept=LINEITEM_MEDIA_TYPE,
        )
        match = created.body if isinstance(created.body, dict) else {}
    url = str(match.get("id") or "")
    if not url:
        raise ServiceError("the platform created a line item without an id")
    with transaction(sessions) as session:
        row = session.get(LtiLineItem, placement.id)
        if row is not None:
            row.lineitem_url = url
    return url


def _reserve_timestamp(sessions: SessionFactory, placement_id: int, user_id: str, key: str) -> int | None:
    """Reserve the next timestamp for (line item, learner); None when ``key`` was already delivered."""
    now_us = int(time.time() * SECOND_US)
    with transaction(sessions) as session:
        row = session.scalars(
            select(LtiScorePost).where(LtiScorePost.line_item_id == placement_id, LtiScorePost.user_id == user_id)
        ).one_or_none()
        if row is not None and row.last_idempotency_key == key and 200 <= row.last_status < 300:
            return None
        ts = next_timestamp_us(row.last_timestamp_us if row else None, now_us)
        if row is None:
            row = LtiScorePost(line_item_id=placement_id, user_id=user_id, last_status=0, comment="")
            session.add(row)
        row.last_timestamp_us = ts
        row.last_idempotency_key = key
        row.last_status = 0
        return ts


def _record_status(sessions: SessionFactory, placement_id: int, user_id: str, status: int, comment: str) -> None:
    with transaction(sessions) as session:
        row = session.scalars(
            select(LtiScorePost).where(LtiScorePost.line_item_id == placement_id, LtiScorePost.user_id == user_id)
        ).one()
        row.last_status = status
        row.comment = comment


def post_completion(
    sessions: SessionFactory,
    client: ServiceClient,
    placement: Placement,
    *,
    user_id: str,
    comment: str,
    idempotency_key: str,
    label: str,
) -> int | None:
    """Post the completion score; returns the platform's status, or None when already delivered.

    A 409 (timestamp not newer, e.g. a score posted meanwhile from elsewhere) is retried once with the next
    second's timestamp.
    """
    lineitem_url = ensure_line_item(sessions, client, placement, label)
    for attempt in (1, 2):
        ts = _reserve_timestamp(sessions, placement.id, user_id, idempotency_key)
        if ts is None:
            return None
        score = {
            "userId": user_id,
            "scoreGiven": 1,
            "scoreMaximum": 1,
            "activityProgress": "Completed",
            "gradingProgress": "FullyGraded",
            "timestamp": iso_timestamp(ts),
            "comment": comment,
        }
        try:
            resp = client.call(
                "POST", _sub_url(lineitem_url, "/scores"), [SCORE_SCOPE], json_body=score, content_type=SCORE_MEDIA_TYPE
            )
        except ServiceError as exc:
            _record_status(sessions, placement.id, user_id, exc.status or 599, comment)
            if exc.status == 409 and attempt == 1:
                continue
            raise
        _record_status(sessions, placement.id, user_id, resp.status, comment)
        return resp.status
    return None  # pragma: no cover - the loop always returns or raises


def enqueue_completion_scores(
    session: Session,
    *,
    offering_id: str,
    user_ids: Mapping[str, str],
    completion_id: str,
    credit: Mapping[str, Any],
    title: str | None = None,
) -> list[str]:
    """Queue a score post for every placement of ``offering_id`` on a platform where the learner is known.

    ``user_ids`` maps a platform issuer to the learner's LTI user id (``sub``) there. Runs in the caller's
    transaction (the outbox pattern); returns the idempotency keys written (existing ones are not duplicated).
    """
    rows: Sequence[tuple[LtiLineItem, LtiPlatform]] = [
        (row[0], row[1])
        for row in session.execute(
            select(LtiLineItem, LtiPlatform)
            .join(LtiPlatform, LtiPlatform.id == LtiLineItem.platform_id)
            .where(LtiLineItem.offering_id == offering_id)
        )
    ]
    sinks = _ags_subscriptions(session)
    keys = []
    for item, platform in rows:
        user_id = user_ids.get(platform.issuer)
        if not user_id:
            continue
        event = f"{platform.id}:{item.deployment_id}:{item.resource_link_id}:{user_id}:{completion_id}"
        payload = {
            "issuer": platform.issuer,
            "client_id": platform.client_id,
            "deployment_id": item.deployment_id,
            "resource_link_id": item.resource_link_id,
            "user_id": user_id,
            "credit": {
                "amount": str(credit.get("amount", "0")),
                "unit": str(credit.get("unit", "hours")),
                "categories": [str(c) for c in credit.get("categories") or ()],
            },
            "title": title,
        }
        for sink in sinks:
            key = f"{sink}:{SCORE_KIND}:{event}"
            if session.scalar(select(OutboxItem.id).where(OutboxItem.idempotency_key == key)) is not None:
                continue
            session.add(OutboxItem(sink=sink, kind=SCORE_KIND, payload=payload, idempotency_key=key))
            keys.append(key)
    return keys


def _ags_subscriptions(session: Session) -> list[str]:
    """Names of the enabled subscriptions of the ``lti_ags`` plugin; one is created when there is none."""
    names = list(
        session.scalars(
            select(SinkSubscription.name).where(
                SinkSubscription.plugin == SINK_NAME, SinkSubscription.enabled.is_(True)
            )
        )
    )
    if names:
        return names
    if session.scalar(select(SinkSubscription.id).where(SinkSubscription.name == SINK_NAME)) is not None:
        return []  # the default subscription exists but an operator disabled it
    ensure_subscription(session)
    return [SINK_NAME]


def ensure_subscription(session: Session) -> None:
    """Create the default ``lti_ags`` subscription (score posts and accepted completions) unless it exists.

    An existing default subscription gains a kind it lacks; one an operator disabled stays disabled.
    """
    row = session.scalars(select(SinkSubscription).where(SinkSubscription.name == SINK_NAME)).one_or_none()
    if row is None:
        session.add(
            SinkSubscription(
                name=SINK_NAME, plugin=SINK_NAME, kinds=list(SUBSCRIBED_KINDS), config={}, created_at=utcnow()
            )
        )
    elif row.plugin == SINK_NAME and set(SUBSCRIBED_KINDS) - set(row.kinds):
        row.kinds = sorted(set(row.kinds) | set(SUBSCRIBED_KINDS))
    session.flush()


def queue_scores_for_completion(session: Session, completion_id: int) -> list[str]:
    """Queue score posts for one stored completion on every platform where its offering is placed.

    Nothing is queued for a completion that is unmatched, revoked, not earning, of no catalog offering, or whose
    clinician has no LTI user id on the platforms of the placements. Idempotent like
    :func:`enqueue_completion_scores`.
    """
    from cebridge.domain.records import EARNING_STATUSES
    from cebridge.store.tables import CompletionRow, Identity, Offering

    row = session.get(CompletionRow, completion_id)
    if row is None or row.clinician_id is None or row.revoked_at is not None or row.offering_id is None:
        return []
    if row.status not in EARNING_STATUSES:
        return []
    offering = session.get(Offering, row.offering_id)
    if offering is None:
        return []
    identities = session.execute(
        select(Identity.source, Identity.value).where(
            Identity.clinician_id == row.clinician_id, Identity.kind == "platform_user"
        )
    )
    return enqueue_completion_scores(
        session,
        offering_id=str(offering.id),
        user_ids={str(source): str(value) for source, value in identities},
        completion_id=str(row.id),
        credit={"amount": offering.credits_amount, "unit": offering.credits_unit, "categories": offering.categories},
        title=offering.title,
    )
