"""The ``lti_ags`` sink: delivers ``lti.score`` outbox items to a platform's gradebook through AGS, and turns the
pipeline's ``completion.accepted`` events into such items (:func:`lti_tool.ags.queue_scores_for_completion`).

Payload (written by :func:`lti_tool.ags.enqueue_completion_scores`)::

    {"issuer": "...", "client_id": "...", "deployment_id": "...", "resource_link_id": "...",
     "user_id": "<LTI sub>", "credit": {"amount": "3", "unit": "hours", "categories": ["ethics"]},
     "title": "Ethics for counselors"}

A platform that is down, slow, throttling or failing (5xx) is :class:`~cebridge.errors.SinkUnavailable`
(the outbox retries); a registration or placement the tool does not know, or a 4xx refusal, is
:class:`~cebridge.errors.SinkRejected` (dead letter). Redelivering the same idempotency key after a success
posts nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import requests
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select

from cebridge.config import Settings
from cebridge.errors import LtiError, SinkRejected, SinkUnavailable
from cebridge.keys import KeyStore
from cebridge.store.db import SessionFactory, make_engine, session_factory, transaction
from cebridge.store.lti_tables import LtiLineItem
from lti_tool.ags import ACCEPTED_KIND, SCORE_KIND, credit_comment, post_completion, queue_scores_for_completion
from lti_tool.placements import Placement
from lti_tool.registry import Registrations
from lti_tool.services import TOKENS, ServiceClient, ServiceError, ServiceUnavailable


class _Credit(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: Decimal
    unit: str = "hours"
    categories: list[str] = Field(default_factory=list)


class ScorePayload(BaseModel):
    """The payload of an ``lti.score`` item."""

    model_config = ConfigDict(extra="forbid")
    issuer: str
    client_id: str
    deployment_id: str
    resource_link_id: str
    user_id: str = Field(min_length=1)
    credit: _Credit
    title: str | None = None


class AgsSink:
    """Posts completion scores. ``config`` may set ``home``, ``database_url`` (else the environment's)."""

    def __init__(
        self,
        config: Mapping[str, Any] | None = None,
        *,
        sessions: SessionFactory | None = None,
        keys: KeyStore | None = None,
        http: requests.Session | None = None,
    ) -> None:
        config = dict(config or {})
        settings = Settings(**{k: v for k, v in config.items() if k in ("home", "database_url")})
        self._sessions = sessions or session_factory(make_engine(settings))
        self._keys = keys or KeyStore(Path(settings.ensure_home()))
        self._http = http or requests.Session()
        self._registrations = Registrations(self._sessions)

    def deliver(self, kind: str, payload: dict[str, Any], idempotency_key: str) -> None:
        """Post one completion score, or queue the score posts of a newly accepted completion (see the module
        doc for what is retried and what is refused)."""
        if kind == ACCEPTED_KIND:
            completion_id = payload.get("completion_id")
            if not isinstance(completion_id, int):
                raise SinkRejected(f"{ACCEPTED_KIND} payload: completion_id is not a completion id")
            with transaction(self._sessions) as session:
                queue_scores_for_completion(session, completion_id)
            return
        if kind != SCORE_KIND:
            raise SinkRejected(f"the lti_ags sink delivers {SCORE_KIND!r} and {ACCEPTED_KIND!r} items, not {kind!r}")
        try:
            item = ScorePayload.model_validate(payload)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise SinkRejected(f"lti.score payload: {where}: {first['msg']}") from None
        try:
            platform = self._registrations.find(item.issuer, item.client_id)
        except LtiError as exc:
            raise SinkRejected(f"lti.score: {exc.user_message}") from None
        with transaction(self._sessions, write=False) as session:
            row = session.scalars(
                select(LtiLineItem).where(
                    LtiLineItem.platform_id == platform.id,
                    LtiLineItem.deployment_id == item.deployment_id,
                    LtiLineItem.resource_link_id == item.resource_link_id,
                )
            ).one_or_none()
            placement = Placement.of(row) if row is not None else None
        if placement is None:
            raise SinkRejected(
                f"lti.score: resource link {item.resource_link_id!r} is not a known placement on {item.issuer}"
            )
        client = ServiceClient(platform, self._keys.active(), self._http, TOKENS)
        credit = item.credit.model_dump(mode="json")
        try:
            post_completion(
                self._sessions,
                client,
                placement,
                user_id=item.user_id,
                comment=credit_comment(credit),
                idempotency_key=idempotency_key,
                label=item.title or f"CE offering {placement.offering_id}",
            )
        except ServiceUnavailable as exc:
            raise SinkUnavailable(f"lti.score: {exc}") from None
        except ServiceError as exc:
            if exc.status == 409:
                raise SinkUnavailable(f"lti.score: {exc}") from None
            raise SinkRejected(f"lti.score: {exc}") from None
