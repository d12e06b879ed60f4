"""Tables of the LTI 1.3 tool: platform registrations and their deployments, launch security state
(OIDC login state, consumed nonces, launch records), cached platform keys, and AGS placements and scores.

Expiry and event times that the launch path compares are stored as integer epoch seconds (or
microseconds for score timestamps): cheap to compare in SQL and free of time-zone round trips through
SQLite.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cebridge.store.base import Base
from cebridge.store.types import JSONDoc

URL = String(1024)


class LtiPlatform(Base):
    """One registration of the tool in a platform: an issuer and the client id it gave the tool.

    Canvas uses one issuer for every customer, so (issuer, client_id) is the key, never issuer alone.
    """

    __tablename__ = "lti_platform"
    __table_args__ = (UniqueConstraint("issuer", "client_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issuer: Mapped[str] = mapped_column(URL)
    client_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255), default="")
    auth_login_url: Mapped[str] = mapped_column(URL)
    auth_token_url: Mapped[str] = mapped_column(URL)
    key_set_url: Mapped[str] = mapped_column(URL)
    auth_audience: Mapped[str | None] = mapped_column(URL, nullable=True)
    created_at: Mapped[int] = mapped_column(BigInteger)


class LtiDeployment(Base):
    """A deployment id the platform may send for a registration (Moodle: the tool type id)."""

    __tablename__ = "lti_deployment"
    __table_args__ = (UniqueConstraint("platform_id", "deployment_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platform.id", ondelete="CASCADE"), index=True)
    deployment_id: Mapped[str] = mapped_column(String(255))


class LtiLoginState(Base):
    """Server-side OIDC login state: what the tool sent in the authentication request.

    ``binding_hash`` is the SHA-256 of a secret only the browser that started the login holds (in the
    state cookie or in the platform's storage); a launch must present it.
    """

    __tablename__ = "lti_login_state"

    state: Mapped[str] = mapped_column(String(64), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64))
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platform.id", ondelete="CASCADE"))
    binding_hash: Mapped[str] = mapped_column(String(64))
    storage_target: Mapped[str | None] = mapped_column(String(255), nullable=True)
    login_params: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    pending_launch_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    expires_at: Mapped[int] = mapped_column(BigInteger, index=True)


class LtiNonce(Base):
    """A nonce seen in an id_token; kept until the token could no longer be valid, so a replay fails."""

    __tablename__ = "lti_nonce"

    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platform.id", ondelete="CASCADE"), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(255), primary_key=True)
    expires_at: Mapped[int] = mapped_column(BigInteger, index=True)


class LtiLaunch(Base):
    """A validated launch: who launched what, from where. The dashboard and API read it by its id."""

    __tablename__ = "lti_launch"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platform.id", ondelete="CASCADE"), index=True)
    deployment_id: Mapped[str] = mapped_column(String(255))
    message_type: Mapped[str] = mapped_column(String(64))
    sub: Mapped[str] = mapped_column(String(255))
    context_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    resource_link_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    claims: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    verified: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[int] = mapped_column(BigInteger, index=True)


class LtiPlatformKeySet(Base):
    """A platform's JWKS as last fetched; refetched when an id_token names a kid it does not hold."""

    __tablename__ = "lti_platform_key_set"

    key_set_url: Mapped[str] = mapped_column(URL, primary_key=True)
    jwks: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    fetched_at: Mapped[int] = mapped_column(BigInteger)


class LtiLineItem(Base):
    """A placement of a catalog offering in a platform course, and the AGS line item that grades it."""

    __tablename__ = "lti_line_item"
    __table_args__ = (UniqueConstraint("platform_id", "deployment_id", "resource_link_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platform.id", ondelete="CASCADE"), index=True)
    deployment_id: Mapped[str] = mapped_column(String(255))
    resource_link_id: Mapped[str] = mapped_column(String(255))
    context_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    offering_id: Mapped[str] = mapped_column(String(255), index=True)
    lineitems_url: Mapped[str | None] = mapped_column(URL, nullable=True)
    lineitem_url: Mapped[str | None] = mapped_column(URL, nullable=True)
    score_maximum: Mapped[str] = mapped_column(String(32), default="1")
    created_at: Mapped[int] = mapped_column(BigInteger)


class LtiScorePost(Base):
    """The last score posted for a learner on a line item; its timestamp only ever grows."""

    __tablename__ = "lti_score_post"
    __table_args__ = (UniqueConstraint("line_item_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    line_item_id: Mapped[int] = mapped_column(ForeignKey("lti_line_item.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(255))
    last_timestamp_us: Mapped[int] = mapped_column(BigInteger)
    last_idempotency_key: Mapped[str] = mapped_column(String(255))
    last_status: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")


__all__ = [
    "LtiDeployment",
    "LtiLaunch",
    "LtiLineItem",
    "LtiLoginState",
    "LtiNonce",
    "LtiPlatform",
    "LtiPlatformKeySet",
    "LtiScorePost",
]
