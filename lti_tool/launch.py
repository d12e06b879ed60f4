"""OIDC login (``/lti/login``) and launch (``/lti/launch``): the browser hops of an LTI 1.3 launch.

Login stores its state server-side (``lti_login_state``) and binds it to the browser with a secret the browser
alone holds: in a cookie (``SameSite=None; Secure; Partitioned`` over HTTPS) and, when the platform offers LTI
Platform Storage (``lti_storage_target``), in the platform's storage via ``postMessage``. A launch must present
that secret; a launch without it (another browser) is refused. When the iframe keeps no cookie and the
platform has no storage, the tool explains and offers to continue in a new window, where cookies work.

After a valid launch the tool stores a launch record and sends the browser to the ``target_link_uri`` (or the
deep-linking picker) with a launch token (``?lt=``), see :mod:`lti_tool.launch_session`.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import time
from dataclasses import fields
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, Flask, current_app, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import Dialect, Engine, Table, bindparam, delete, insert, select, update
from sqlalchemy.engine.interfaces import DBAPICursor
from werkzeug.wrappers import Response as BaseResponse

from cebridge.errors import ConcurrencyConflict
from cebridge.store.lti_tables import LtiLaunch, LtiLoginState, LtiNonce
from lti_tool.db import engine_of, unit_of_work
from lti_tool.errors import LaunchRejected
from lti_tool.launch_session import LAUNCH_RECORD_TTL, issue_token, with_token
from lti_tool.placements import record_placement, reveals_placement
from lti_tool.runtime import LtiRuntime, runtime
from lti_tool.statements import Prepared, autocommit, json_value, write_transaction
from lti_tool.validation import (
    LEEWAY_SECONDS,
    MESSAGE_TYPE,
    TARGET_LINK_URI,
    CebridgeMessageLaunch,
    LoginState,
    same_origin,
)

bp = Blueprint("lti_launch", __name__)

STATES: Table = LtiLoginState.__table__  # type: ignore[assignment]
NONCES: Table = LtiNonce.__table__  # type: ignore[assignment]
LAUNCHES: Table = LtiLaunch.__table__  # type: ignore[assignment]

# The launch path's statements, built and compiled once, run on the driver's cursor (see lti_tool.statements).
# A state is claimed once, and only while unexpired (it was read, and checked, before the write transaction).
_UNCLAIMED = (
    (STATES.c.state == bindparam("s"))
    & STATES.c.pending_launch_id.is_(None)
    & (STATES.c.expires_at >= bindparam("now"))
)
_INSERT_STATE = Prepared(insert(STATES))
_STATE_FIELDS = [f.name for f in fields(LoginState)]  # LoginState's fields are the table's columns
_SELECT_STATE = Prepared(select(*(STATES.c[name] for name in _STATE_FIELDS)).where(STATES.c.state == bindparam("s")))
_CLAIM = Prepared(delete(STATES).where(_UNCLAIMED))
_CLAIM_PENDING = Prepared(update(STATES).where(_UNCLAIMED).values(pending_launch_id=bindparam("pending")))
_INSERT_NONCE = Prepared(insert(NONCES))
_INSERT_LAUNCH = Prepared(insert(LAUNCHES))

STATE_TTL_SECONDS = 600
PURGE_EVERY_SECONDS = 60
COOKIE_PREFIX = "cebridge-lti-"
LOGIN_PARAMS = ("iss", "login_hint", "target_link_uri", "lti_message_hint", "client_id", "lti_deployment_id")
DEFAULT_LANDING = "/lti/home"


def _engine() -> Engine:
    return engine_of(current_app._get_current_object())  # type: ignore[attr-defined]


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _cookie_name(state: str) -> str:
    return COOKIE_PREFIX + state[:16]


def _secure_context() -> bool:
    """HTTPS, or a loopback host that browsers treat as secure (for local use and tests)."""
    if request.is_secure:
        return True
    host = (request.host or "").rsplit(":", 1)[0].strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _set_state_cookie(resp: BaseResponse, state: str, binding: str, max_age: int = STATE_TTL_SECONDS) -> None:
    """Set (or with ``max_age=0`` clear) the state cookie; attributes must match for a browser to clear it."""
    secure = _secure_context()
    resp.set_cookie(
        _cookie_name(state),
        binding,
        max_age=max_age,
        path="/lti/",
        httponly=True,
        secure=secure,
        samesite="None" if secure else "Lax",
        partitioned=secure,
    )


def _purge(rt: LtiRuntime, now: float) -> None:
    if now - rt.last_purge < PURGE_EVERY_SECONDS:
        return
    rt.last_purge = now
    with unit_of_work() as session:
        session.execute(delete(LtiLoginState).where(LtiLoginState.expires_at < now))
        session.execute(delete(LtiNonce).where(LtiNonce.expires_at < now))
        session.execute(delete(LtiLaunch).where(LtiLaunch.expires_at < now))


@bp.route("/lti/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """OIDC third-party initiated login: remember the state server-side and send the browser to the platform."""
    rt = runtime()
    params = {k: request.values.get(k, "").strip() for k in (*LOGIN_PARAMS, "lti_storage_target")}
    for required in ("iss", "login_hint", "target_link_uri"):
        if not params[required]:
            raise LaunchRejected(f"missing_{required}", f"the login request has no {required}")
    if not same_origin(params["target_link_uri"], rt.base_url):
        raise LaunchRejected("foreign_target", "the login's target_link_uri is not on this tool")
    platform = rt.registrations.find(params["iss"], params["client_id"] or None)
    now = time.time()
    _purge(rt, now)
    state, nonce, binding = secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    new_window = bool(request.values.get("lti_new_window"))
    storage_target = params["lti_storage_target"] or None
    if new_window:
        storage_target = None
    login_params = {k: params[k] for k in LOGIN_PARAMS if params[k]}
    login_params["platform_origin"] = _origin(platform.auth_login_url)
    engine = _engine()
    with autocommit(engine) as cursor:
        _INSERT_STATE.execute(
            cursor,
            engine.dialect,
            {
                "state": state,
                "nonce": nonce,
                "platform_id": platform.id,
                "binding_hash": _digest(binding),
                "storage_target": storage_target,
                "login_params": login_params,
                "pending_launch_id": None,
                "expires_at": int(now + STATE_TTL_SECONDS),
            },
        )
    auth = {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
        "client_id": platform.client_id,
        "redirect_uri": rt.base_url + "/lti/launch",
        "state": state,
        "nonce": nonce,
        "login_hint": params["login_hint"],
    }
    if params["lti_message_hint"]:
        auth["lti_message_hint"] = params["lti_message_hint"]
    sep = "&" if "?" in platform.auth_login_url else "?"
    auth_url = platform.auth_login_url + sep + urlencode(auth)
    if storage_target:
        resp: BaseResponse = make_response(
            render_template(
                "lti/login_storage.html",
                auth_url=auth_url,
                storage_target=storage_target,
                platform_origin=login_params["platform_origin"],
                key=_storage_key(state),
                binding=binding,
            )
        )
    else:
        resp = redirect(auth_url, 302)
    _set_state_cookie(resp, state, binding)
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _storage_key(state: str) -> str:
    return "cebridge-state-" + state[:16]


def _load_state(state: str) -> LoginState:
    engine = _engine()
    with autocommit(engine) as cursor:
        row = _SELECT_STATE.execute(cursor, engine.dialect, {"s": state}).fetchone()
    if row is None:
        raise LaunchRejected("unknown_state", "this launch was already used or has expired: open the activity again")
    values = dict(zip(_STATE_FIELDS, row, strict=True))
    values["login_params"] = dict(json_value(values["login_params"]))
    login = LoginState(**values)
    if login.expires_at < time.time():
        raise LaunchRejected("unknown_state", "this launch was already used or has expired: open the activity again")
    return login


def _binding_ok(presented: str | None, login: LoginState) -> bool:
    return bool(presented) and hmac.compare_digest(_digest(str(presented)), login.binding_hash)


@bp.post("/lti/launch")
def launch() -> ResponseReturnValue:
    """The platform's form POST of the id_token: validate, store the launch, go to the destination.

    The state is read, the browser binding and the id_token checked (the platform's key looked up, and fetched
    if need be, on the way), and only then does one write transaction claim the state (delete, or mark pending,
    only if still unclaimed), consume the nonce and store the launch: two POSTs of the same id_token cannot
    both succeed, and no fetch or other write happens while the write lock is held.
    """
    rt = runtime()
    form = request.form.to_dict()
    if not form.get("state"):
        raise LaunchRejected("missing_state", "the launch has no state: start it again from the course")
    if not form.get("id_token"):
        raise LaunchRejected("missing_id_token", "the launch has no id_token")
    login = _load_state(form["state"])
    cookie = request.cookies.get(_cookie_name(login.state))
    if cookie is not None and not _binding_ok(cookie, login):
        raise LaunchRejected("state_mismatch", "this launch was started in another browser", status=401)
    if cookie is None and not login.storage_target:
        return _cookies_blocked(login)
    message = CebridgeMessageLaunch(form, login, rt.registrations, rt.keys, rt.http, rt.base_url).validate()
    bound = cookie is not None
    engine = _engine()
    try:
        with write_transaction(engine) as cursor:
            launch_id = _save_launch(cursor, engine.dialect, login, message, verified=bound)
    except ConcurrencyConflict:
        raise LaunchRejected("replayed", "this id_token was already used (replay)") from None
    if not bound:
        # The iframe kept no cookie: fetch the binding secret from the platform's storage, then /verify.
        return render_template(
            "lti/launch_storage.html",
            state=login.state,
            key=_storage_key(login.state),
            storage_target=login.storage_target,
            platform_origin=login.login_params.get("platform_origin", "*"),
            new_window_url=_new_window_url(login),
        )
    resp = redirect(_destination(message.body, issue_token(launch_id), rt.base_url), 303)
    _set_state_cookie(resp, login.state, "", max_age=0)
    return resp


def _save_launch(
    cursor: DBAPICursor, dialect: Dialect, login: LoginState, message: CebridgeMessageLaunch, *, verified: bool
) -> str:
    body = message.body
    assert message.platform is not None
    now = int(time.time())
    launch_id = secrets.token_urlsafe(24)
    context = body.get("https://purl.imsglobal.org/spec/lti/claim/context") or {}
    link = body.get("https://purl.imsglobal.org/spec/lti/claim/resource_link") or {}
    deployment_id = str(body["https://purl.imsglobal.org/spec/lti/claim/deployment_id"])
    if verified:
        claimed = _CLAIM.execute(cursor, dialect, {"s": login.state, "now": now}).rowcount
    else:
        claimed = _CLAIM_PENDING.execute(cursor, dialect, {"s": login.state, "now": now, "pending": launch_id}).rowcount
    if claimed != 1:
        raise LaunchRejected("replayed", "this launch was already submitted")
    _INSERT_NONCE.execute(
        cursor,
        dialect,
        {
            "platform_id": login.platform_id,
            "nonce": str(body["nonce"]),
            "expires_at": int(body.get("exp", now)) + LEEWAY_SECONDS,
        },
    )
    _INSERT_LAUNCH.execute(
        cursor,
        dialect,
        {
            "id": launch_id,
            "platform_id": login.platform_id,
            "deployment_id": deployment_id,
            "message_type": str(body[MESSAGE_TYPE]),
            "sub": str(body["sub"]),
            "context_id": str(context["id"]) if isinstance(context, dict) and context.get("id") else None,
            "resource_link_id": str(link["id"]) if isinstance(link, dict) and link.get("id") else None,
            "claims": body,
            "verified": verified,
            "created_at": now,
            "expires_at": now + LAUNCH_RECORD_TTL,
        },
    )
    if reveals_placement(body):
        record_placement(cursor, dialect, login.platform_id, deployment_id, body, now)
    return launch_id


@bp.post("/lti/launch/verify")
def verify() -> ResponseReturnValue:
    """Second step of a cookie-less launch: the browser presents the secret kept in platform storage."""
    rt = runtime()
    login = _load_state(request.form.get("state", ""))
    if not login.pending_launch_id:
        raise LaunchRejected("nothing_to_verify", "there is no launch waiting for this state")
    if not _binding_ok(request.form.get("binding"), login):
        raise LaunchRejected("state_mismatch", "this launch was started in another browser", status=401)
    with unit_of_work() as session:
        row = session.get(LtiLaunch, login.pending_launch_id)
        if row is None:
            raise LaunchRejected("unknown_state", "the launch has expired: open the activity again")
        row.verified = True
        claims = dict(row.claims)
        session.execute(delete(LtiLoginState).where(LtiLoginState.state == login.state))
    return redirect(_destination(claims, issue_token(login.pending_launch_id), rt.base_url), 303)


def _destination(body: dict[str, Any], token: str, base_url: str) -> str:
    if body.get(MESSAGE_TYPE) == "LtiDeepLinkingRequest":
        return with_token(url_for("lti_deep_link.picker"), token)
    target = str(body.get(TARGET_LINK_URI) or "")
    path = urlsplit(target).path if target and same_origin(target, base_url) else ""
    if not path or path.startswith(("/lti/launch", "/lti/login")):
        target = base_url + DEFAULT_LANDING
    return with_token(target, token)


def _new_window_url(login: LoginState) -> str:
    params = {k: v for k, v in login.login_params.items() if k in LOGIN_PARAMS}
    params["lti_new_window"] = "1"
    return url_for("lti_launch.login") + "?" + urlencode(params)


def _cookies_blocked(login: LoginState) -> ResponseReturnValue:
    return (
        render_template("lti/cookies_blocked.html", new_window_url=_new_window_url(login)),
        401,
        {"Cache-Control": "no-store"},
    )


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
