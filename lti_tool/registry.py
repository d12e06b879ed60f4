"""Platform registrations in the database, and the pylti1p3 tool configuration backed by them.

A registration is (issuer, client_id): Canvas uses one issuer for every customer and tells registrations
apart by client id, Moodle gives each tool its own client id too, so the tool never looks a registration up
by issuer alone unless that issuer has exactly one. Each registration has its deployments (Moodle: the tool
type id; Canvas: one per account or course install).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from pylti1p3.deployment import Deployment
from pylti1p3.registration import Registration
from pylti1p3.request import Request
from pylti1p3.tool_config.abstract import ToolConfAbstract
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cebridge.errors import InputError
from cebridge.keys import SigningKey
from cebridge.store.db import SessionFactory, transaction
from cebridge.store.lti_tables import LtiDeployment, LtiPlatform
from lti_tool.errors import LaunchRejected


@dataclass(frozen=True)
class PlatformRecord:
    """A stored registration with its deployment ids."""

    id: int
    issuer: str
    client_id: str
    name: str
    auth_login_url: str
    auth_token_url: str
    key_set_url: str
    auth_audience: str | None
    deployment_ids: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """The registration as plain JSON (no secrets: a registration holds none)."""
        return {
            "id": self.id,
            "issuer": self.issuer,
            "client_id": self.client_id,
            "name": self.name,
            "auth_login_url": self.auth_login_url,
            "auth_token_url": self.auth_token_url,
            "key_set_url": self.key_set_url,
            "auth_audience": self.auth_audience,
            "deployment_ids": list(self.deployment_ids),
        }


def _check_url(field: str, value: str) -> str:
    value = (value or "").strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InputError(f"{field} must be an absolute http(s) URL, got {value!r}")
    return value


def _check_text(field: str, value: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InputError(f"{field} must not be empty")
    if len(value) > 255 and field != "issuer":
        raise InputError(f"{field} is longer than 255 characters")
    return value


#: Seconds a looked-up registration is reused before the database is read again (other workers' changes
#: show up within this time; changes made through this object show up at once).
CACHE_SECONDS = 30.0


class Registrations:
    """Reads and writes platform registrations and deployments (lookups cached for ``CACHE_SECONDS``)."""

    def __init__(self, sessions: SessionFactory, cache_seconds: float = CACHE_SECONDS) -> None:
        self._sessions = sessions
        self._cache_seconds = cache_seconds
        self._cache: dict[tuple[str, str | None] | int, tuple[float, PlatformRecord]] = {}
        self._lock = threading.Lock()

    def _cached(self, key: tuple[str, str | None] | int) -> PlatformRecord | None:
        entry = self._cache.get(key)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def _remember(self, record: PlatformRecord, *keys: tuple[str, str | None] | int) -> PlatformRecord:
        until = time.monotonic() + self._cache_seconds
        with self._lock:
            for key in (record.id, (record.issuer, record.client_id), *keys):
                self._cache[key] = (until, record)
        return record

    def forget(self) -> None:
        """Drop cached lookups (after a change)."""
        with self._lock:
            self._cache.clear()

    def add(
        self,
        *,
        issuer: str,
        client_id: str,
        auth_login_url: str,
        auth_token_url: str,
        key_set_url: str,
        deployment_ids: Iterable[str] = (),
        name: str = "",
        auth_audience: str | None = None,
    ) -> PlatformRecord:
        """Register a platform, or update an existing (issuer, client_id) and add deployments to it.

        Adding the same registration twice changes nothing; deployments are only ever added here.
        """
        issuer = _check_url("issuer", issuer) if issuer.startswith("http") else _check_text("issuer", issuer)
        client_id = _check_text("client_id", client_id)
        urls = {
            "auth_login_url": _check_url("auth login URL", auth_login_url),
            "auth_token_url": _check_url("token URL", auth_token_url),
            "key_set_url": _check_url("JWKS URL", key_set_url),
        }
        audience = _check_url("token audience", auth_audience) if auth_audience else None
        deployments = [_check_text("deployment_id", d) for d in deployment_ids]
        with transaction(self._sessions) as session:
            row = session.scalars(
                select(LtiPlatform).where(LtiPlatform.issuer == issuer, LtiPlatform.client_id == client_id)
            ).one_or_none()
            if row is None:
                row = LtiPlatform(
                    issuer=issuer,
                    client_id=client_id,
                    name=name.strip(),
                    auth_audience=audience,
                    created_at=int(time.time()),
                    **urls,
                )
                session.add(row)
                session.flush()
                from lti_tool.ags import ensure_subscription  # a registered platform can take grades

                ensure_subscription(session)
            else:
                for key, value in urls.items():
                    setattr(row, key, value)
                if name.strip():
                    row.name = name.strip()
                if audience:
                    row.auth_audience = audience
            known = set(session.scalars(select(LtiDeployment.deployment_id).where(LtiDeployment.platform_id == row.id)))
            for dep in deployments:
                if dep not in known:
                    session.add(LtiDeployment(platform_id=row.id, deployment_id=dep))
                    known.add(dep)
            platform_id = row.id
        self.forget()
        return self.get(platform_id)

    def add_deployment(self, platform_id: int, deployment_id: str) -> None:
        """Allow one more deployment id for a registration (no-op when it is already there)."""
        deployment_id = _check_text("deployment_id", deployment_id)
        try:
            with transaction(self._sessions) as session:
                session.add(LtiDeployment(platform_id=platform_id, deployment_id=deployment_id))
        except IntegrityError:
            return
        finally:
            self.forget()

    def remove(self, platform_id: int) -> None:
        """Delete a registration with its deployments and launch state."""
        with transaction(self._sessions) as session:
            session.execute(delete(LtiPlatform).where(LtiPlatform.id == platform_id))
        self.forget()

    def get(self, platform_id: int) -> PlatformRecord:
        """The registration with this id."""
        cached = self._cached(platform_id)
        if cached is not None:
            return cached
        with transaction(self._sessions, write=False) as session:
            row = session.get(LtiPlatform, platform_id)
            if row is None:
                raise LaunchRejected("unknown_platform", f"no platform registration with id {platform_id}")
            return self._remember(_record(session, row))

    def all(self) -> list[PlatformRecord]:
        """Every registration, oldest first."""
        with transaction(self._sessions, write=False) as session:
            rows = session.scalars(select(LtiPlatform).order_by(LtiPlatform.id)).all()
            return [_record(session, row) for row in rows]

    def find(self, issuer: str, client_id: str | None) -> PlatformRecord:
        """The registration for (issuer, client_id); without a client id, the issuer's only registration.

        Raises :class:`LaunchRejected` (400) naming what is unknown.
        """
        if not issuer:
            raise LaunchRejected("missing_issuer", "the platform did not say who it is (no iss)")
        cached = self._cached((issuer, client_id))
        if cached is not None:
            return cached
        with transaction(self._sessions, write=False) as session:
            query = select(LtiPlatform).where(LtiPlatform.issuer == issuer)
            if client_id:
                query = query.where(LtiPlatform.client_id == client_id)
            rows = session.scalars(query.limit(2)).all()
            if not rows:
                if client_id and session.scalar(select(LtiPlatform.id).where(LtiPlatform.issuer == issuer)):
                    raise LaunchRejected(
                        "unknown_client",
                        f"client id {client_id!r} is not registered for platform {issuer!r}",
                    )
                raise LaunchRejected("unknown_issuer", f"platform {issuer!r} is not registered with this tool")
            if len(rows) > 1:
                raise LaunchRejected(
                    "client_id_required",
                    f"platform {issuer!r} has several registrations; the login request must carry client_id",
                )
            return self._remember(_record(session, rows[0]), (issuer, client_id))

    def has_deployment(self, platform_id: int, deployment_id: str) -> bool:
        """Whether ``deployment_id`` is registered for the registration."""
        with transaction(self._sessions, write=False) as session:
            return _has_deployment(session, platform_id, deployment_id)


def _has_deployment(session: Session, platform_id: int, deployment_id: str) -> bool:
    found = session.scalar(
        select(LtiDeployment.id).where(
            LtiDeployment.platform_id == platform_id, LtiDeployment.deployment_id == deployment_id
        )
    )
    return found is not None


def _record(session: Session, row: LtiPlatform) -> PlatformRecord:
    deps: Sequence[str] = session.scalars(
        select(LtiDeployment.deployment_id).where(LtiDeployment.platform_id == row.id).order_by(LtiDeployment.id)
    ).all()
    return PlatformRecord(
        id=row.id,
        issuer=row.issuer,
        client_id=row.client_id,
        name=row.name,
        auth_login_url=row.auth_login_url,
        auth_token_url=row.auth_token_url,
        key_set_url=row.key_set_url,
        auth_audience=row.auth_audience,
        deployment_ids=tuple(deps),
    )


def to_pylti_registration(record: PlatformRecord, key: SigningKey | None) -> Registration:
    """A pylti1p3 Registration for a stored record, signing with the tool's active key (if given)."""
    reg = Registration()
    reg.set_issuer(record.issuer)
    reg.set_client_id(record.client_id)
    reg.set_auth_login_url(record.auth_login_url)
    reg.set_auth_token_url(record.auth_token_url)
    reg.set_key_set_url(record.key_set_url)
    if record.auth_audience:
        reg.set_auth_audience(record.auth_audience)
    if key is not None:
        reg.set_tool_private_key(key.private_pem())
        reg.set_tool_public_key(key.public_pem())
    return reg


class StoreToolConf(ToolConfAbstract[Request]):
    """pylti1p3's tool configuration, read from the registration tables.

    Every issuer is treated as "many client ids" (pylti1p3's own recommendation for new configurations):
    lookups go by (issuer, client_id). Unknown issuers, clients or deployments raise
    :class:`LaunchRejected` (a 4xx) instead of pylti1p3's bare exceptions.
    """

    def __init__(self, registrations: Registrations, key: SigningKey) -> None:
        # ToolConfAbstract keeps this map on the class (shared by every instance); keep ours private.
        self.issuers_relation_types: dict[str, str] = {}
        self._registrations = registrations
        self._key = key

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def find_registration_by_issuer(self, iss: str, *args: Any, **kwargs: Any) -> Registration:
        return to_pylti_registration(self._registrations.find(iss, None), self._key)

    def find_registration_by_params(self, iss: str, client_id: str, *args: Any, **kwargs: Any) -> Registration:
        if not client_id:
            raise LaunchRejected("missing_client_id", "the message names no client id (aud)")
        return to_pylti_registration(self._registrations.find(iss, client_id), self._key)

    def find_deployment(self, iss: str, deployment_id: str) -> Deployment | None:
        record = self._registrations.find(iss, None)
        return _deployment(record, deployment_id)

    def find_deployment_by_params(
        self, iss: str, deployment_id: str, client_id: str, *args: Any, **kwargs: Any
    ) -> Deployment | None:
        record = self._registrations.find(iss, client_id)
        return _deployment(record, deployment_id)

    def get_jwks(self, iss: str | None = None, client_id: str | None = None, **kwargs: Any) -> dict[str, Any]:
        """The tool's public keys (one key pair serves every registration)."""
        return {"keys": [self._key.jwk()]}


def _deployment(record: PlatformRecord, deployment_id: str) -> Deployment | None:
    if deployment_id not in record.deployment_ids:
        return None
    return Deployment().set_deployment_id(deployment_id)
