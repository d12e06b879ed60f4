"""What a page of the tool knows about the launch that opened it, without relying on cookies.

After a valid launch the tool stores a launch record (``lti_launch``) and hands the browser a *launch token*:
the record id signed with the app's secret and a timestamp (itsdangerous), valid for
``LAUNCH_TOKEN_MAX_AGE`` seconds. Pages carry it as ``?lt=...`` in links and forms (or an
``X-Launch-Token`` / ``Authorization: Bearer`` header for scripts), because an LMS iframe may not keep cookies.

Pages call :func:`current_launch` (or decorate a view with :func:`launch_required`) and build links with
:func:`launch_url`.
"""

from __future__ import annotations

import functools
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ParamSpec, TypeVar
from urllib.parse import urlencode, urlsplit, urlunsplit

from flask import Flask, Response, current_app, g, request, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from cebridge.store.lti_tables import LtiLaunch, LtiPlatform
from lti_tool import settings_of
from lti_tool.db import unit_of_work
from lti_tool.errors import LaunchRejected

#: Seconds a launch token is accepted; the launch record itself lives ``LAUNCH_RECORD_TTL``.
LAUNCH_TOKEN_MAX_AGE = 2 * 3600
LAUNCH_RECORD_TTL = 12 * 3600
TOKEN_PARAM = "lt"  # noqa: S105 - the query parameter name, not a secret
_SALT = "cebridge.lti.launch"

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
INSTRUCTOR_ROLES = (
    "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor",
    "http://purl.imsglobal.org/vocab/lis/v2/membership#ContentDeveloper",
    "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant",
    "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator",
    "http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator",
    "http://purl.imsglobal.org/vocab/lis/v2/membership#Administrator",
)
_SHORT_INSTRUCTOR = ("Instructor", "ContentDeveloper", "TeachingAssistant", "Administrator")

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class LaunchContext:
    """A validated launch as the tool's pages see it."""

    id: str
    platform_id: int
    issuer: str
    client_id: str
    deployment_id: str
    message_type: str
    user_id: str
    context_id: str | None
    resource_link_id: str | None
    roles: tuple[str, ...]
    claims: dict[str, Any] = field(repr=False)

    @property
    def name(self) -> str | None:
        """The launcher's name when the platform shares it."""
        value = self.claims.get("name") or " ".join(
            p for p in (self.claims.get("given_name"), self.claims.get("family_name")) if p
        )
        return str(value) if value else None

    @property
    def email(self) -> str | None:
        """The launcher's email when the platform shares it."""
        value = self.claims.get("email")
        return str(value) if value else None

    @property
    def is_instructor(self) -> bool:
        """Instructors, content developers, TAs and administrators manage placements and see rosters."""
        return any(r in INSTRUCTOR_ROLES or r in _SHORT_INSTRUCTOR for r in self.roles)

    @property
    def is_deep_linking(self) -> bool:
        """Whether the platform asked the tool to pick content to place."""
        return self.message_type == "LtiDeepLinkingRequest"

    @property
    def custom(self) -> dict[str, str]:
        """Custom parameters of the placement (e.g. ``cebridge_offering``)."""
        value = self.claims.get(CLAIM + "custom") or {}
        return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}

    @property
    def context_title(self) -> str | None:
        """The course title when sent."""
        ctx = self.claims.get(CLAIM + "context") or {}
        return ctx.get("title") or ctx.get("label") if isinstance(ctx, dict) else None

    @property
    def ags(self) -> dict[str, Any] | None:
        """The AGS endpoint claim, when the placement has grade services."""
        value = self.claims.get("https://purl.imsglobal.org/spec/lti-ags/claim/endpoint")
        return value if isinstance(value, dict) else None

    @property
    def memberships_url(self) -> str | None:
        """The NRPS memberships URL, when the platform offers the roster."""
        value = self.claims.get("https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice") or {}
        url = value.get("context_memberships_url") if isinstance(value, dict) else None
        return str(url) if url else None

    def to_json(self) -> dict[str, Any]:
        """A safe summary for pages and the JSON API (no raw id_token, only the parsed claims)."""
        return {
            "launch_id": self.id,
            "issuer": self.issuer,
            "client_id": self.client_id,
            "deployment_id": self.deployment_id,
            "message_type": self.message_type,
            "user_id": self.user_id,
            "name": self.name,
            "email": self.email,
            "roles": list(self.roles),
            "is_instructor": self.is_instructor,
            "context_id": self.context_id,
            "context_title": self.context_title,
            "resource_link_id": self.resource_link_id,
            "custom": self.custom,
        }


def _serializer(app: Flask) -> URLSafeTimedSerializer:
    ext = app.extensions["cebridge"]
    serializer: URLSafeTimedSerializer | None = ext.get("launch_tokens")
    if serializer is None:
        serializer = URLSafeTimedSerializer(str(app.secret_key), salt=_SALT)
        ext["launch_tokens"] = serializer
    return serializer


def issue_token(launch_id: str, app: Flask | None = None) -> str:
    """The launch token for a stored launch."""
    return _serializer(app or current_app._get_current_object()).dumps(launch_id)  # type: ignore[attr-defined]


def read_token(token: str, app: Flask | None = None) -> str:
    """The launch id inside a launch token; :class:`LaunchRejected` (401) when forged or expired."""
    try:
        value = _serializer(app or current_app._get_current_object()).loads(  # type: ignore[attr-defined]
            token, max_age=LAUNCH_TOKEN_MAX_AGE
        )
    except SignatureExpired:
        raise LaunchRejected("launch_expired", "this page has expired: open the activity again", status=401) from None
    except BadSignature:
        raise LaunchRejected("bad_launch_token", "the launch token is not valid", status=401) from None
    return str(value)


def _token_from_request() -> str | None:
    token = request.args.get(TOKEN_PARAM) or request.form.get(TOKEN_PARAM) or request.headers.get("X-Launch-Token")
    if not token:
        auth = request.headers.get("Authorization", "")
        if auth.lower().startswith("bearer "):
            token = auth[7:].strip()
    return token or None


def load_launch(launch_id: str) -> LaunchContext:
    """The stored launch with this id (verified and not expired)."""
    with unit_of_work(write=False) as session:
        row = session.get(LtiLaunch, launch_id)
        if row is None or not row.verified or row.expires_at < time.time():
            raise LaunchRejected("launch_expired", "this launch is over: open the activity again", status=401)
        platform = session.get(LtiPlatform, row.platform_id)
        if platform is None:
            raise LaunchRejected("unknown_platform", "the platform of this launch is no longer registered", status=401)
        return LaunchContext(
            id=row.id,
            platform_id=row.platform_id,
            issuer=platform.issuer,
            client_id=platform.client_id,
            deployment_id=row.deployment_id,
            message_type=row.message_type,
            user_id=row.sub,
            context_id=row.context_id,
            resource_link_id=row.resource_link_id,
            roles=tuple(str(r) for r in row.claims.get(CLAIM + "roles") or () if r),
            claims=dict(row.claims),
        )


def current_launch(required: bool = True) -> LaunchContext | None:
    """The launch of this request (from its launch token); None or 401 when there is none."""
    if "cebridge_launch" in g:
        cached: LaunchContext = g.cebridge_launch
        return cached
    token = _token_from_request()
    if token is None:
        if required:
            raise LaunchRejected("no_launch", "open this page from your course (no launch token)", status=401)
        return None
    launch = load_launch(read_token(token))
    g.cebridge_launch = launch
    g.cebridge_launch_token = token
    return launch


def current_token() -> str:
    """The launch token of this request, to carry into the next link or form."""
    current_launch()
    token: str = g.cebridge_launch_token
    return token


def launch_required(view: Callable[P, R]) -> Callable[P, R]:
    """Refuse a view (401) unless the request carries a valid launch token."""

    @functools.wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        current_launch()
        return view(*args, **kwargs)

    return wrapper


def instructor_required(view: Callable[P, R]) -> Callable[P, R]:
    """Refuse a view (403) unless the launcher is an instructor of the course."""

    @functools.wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        launch = current_launch()
        if launch is None or not launch.is_instructor:
            raise LaunchRejected("instructors_only", "only instructors of this course can open this page", status=403)
        return view(*args, **kwargs)

    return wrapper


def launch_url(endpoint: str, **values: Any) -> str:
    """``url_for(endpoint, ...)`` with this request's launch token added."""
    params: dict[str, Any] = {**values, TOKEN_PARAM: current_token()}
    return url_for(endpoint, **params)


def with_token(url: str, token: str) -> str:
    """``url`` with ``lt=token`` added to its query."""
    parts = urlsplit(url)
    query = (parts.query + "&" if parts.query else "") + urlencode({TOKEN_PARAM: token})
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def _app_secret(app: Flask) -> str:
    """The configured secret key, or one kept in CEBRIDGE_HOME (mode 0600) so every worker shares it."""
    settings = settings_of(app)
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value()
    path: Path = settings.ensure_home() / "flask-secret"
    if not path.exists():
        tmp = path.with_name(f".flask-secret.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
        try:
            os.link(tmp, path)  # atomic: the first worker's secret wins, later ones read it
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip()


def _referrer_policy(response: Response) -> Response:
    # Launch tokens travel in URLs: never let them reach another site in a Referer header.
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def init_app(app: Flask) -> None:
    if not app.secret_key:
        app.secret_key = _app_secret(app)
    app.jinja_env.globals["launch_url"] = launch_url
    app.after_request(_referrer_policy)
