"""Registering the tool in a platform: Canvas's developer-key JSON and LTI Dynamic Registration.

* ``GET /lti/config/canvas.json``: the developer key configuration Canvas reads "by URL" (placements, privacy
  level, scopes, custom fields such as ``$Canvas.user.id``, the JWKS URL).
* ``GET /lti/register?openid_configuration=...&registration_token=...``: LTI Dynamic Registration
  (https://www.imsglobal.org/spec/lti-dr/v1p0) for Moodle (3.10+) and Canvas. The tool reads the platform's
  OpenID configuration (bearer: the registration token), checks it belongs to its issuer, POSTs its own
  configuration to the registration endpoint, stores the returned client id and deployment, and closes the
  platform's dialog with ``postMessage({subject: "org.imsglobal.lti.close"})``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests
from flask import Blueprint, Flask, render_template, request
from flask.typing import ResponseReturnValue

from cebridge.errors import InputError
from lti_tool.errors import LaunchRejected
from lti_tool.registry import PlatformRecord
from lti_tool.runtime import LtiRuntime, runtime

bp = Blueprint("lti_registration", __name__)

TOOL_NAME = "cebridge"
TOOL_DESCRIPTION = "Continuing-education credit for mental-health clinicians: what a course earns for each license."
SCOPES = [
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
]
CANVAS_CUSTOM_FIELDS = {
    "canvas_user_id": "$Canvas.user.id",
    "canvas_course_id": "$Canvas.course.id",
    "canvas_user_login_id": "$Canvas.user.loginId",
}
PRIVACY_LEVELS = ("anonymous", "name_only", "email_only", "public")
TOOL_CONFIG = "https://purl.imsglobal.org/spec/lti-tool-configuration"
PLATFORM_CONFIG = "https://purl.imsglobal.org/spec/lti-platform-configuration"
TIMEOUT_SECONDS = 20


def _landing(base: str) -> str:
    return base + "/lti/home"


@bp.get("/lti/config/canvas.json")
def canvas_config() -> ResponseReturnValue:
    """The Canvas developer key configuration (LTI 1.3 key, "Enter URL")."""
    base = runtime().base_url
    privacy = request.args.get("privacy_level", "public")
    if privacy not in PRIVACY_LEVELS:
        raise LaunchRejected("bad_privacy_level", f"privacy_level must be one of {', '.join(PRIVACY_LEVELS)}")
    placements = [
        {
            "placement": "course_navigation",
            "message_type": "LtiResourceLinkRequest",
            "target_link_uri": _landing(base),
            "text": "CE credit",
            "enabled": True,
            "default": "enabled",
            "visibility": "members",
        },
        {
            "placement": "link_selection",
            "message_type": "LtiDeepLinkingRequest",
            "target_link_uri": _landing(base),
            "text": "CE offering",
            "enabled": True,
        },
        {
            "placement": "assignment_selection",
            "message_type": "LtiDeepLinkingRequest",
            "target_link_uri": _landing(base),
            "text": "CE offering (graded)",
            "enabled": True,
        },
    ]
    return {
        "title": TOOL_NAME,
        "description": TOOL_DESCRIPTION,
        "oidc_initiation_url": base + "/lti/login",
        "target_link_uri": _landing(base),
        "public_jwk_url": base + "/lti/jwks",
        "scopes": SCOPES,
        "extensions": [
            {
                "domain": urlsplit(base).hostname,
                "tool_id": TOOL_NAME,
                "platform": "canvas.instructure.com",
                "privacy_level": privacy,
                "settings": {
                    "text": "CE credit",
                    "selection_height": 800,
                    "selection_width": 1000,
                    "placements": placements,
                },
            }
        ],
        "custom_fields": CANVAS_CUSTOM_FIELDS,
    }


def tool_registration_request(base: str, platform_config: dict[str, Any]) -> dict[str, Any]:
    """The client metadata the tool POSTs to a platform's registration endpoint."""
    supported = platform_config.get("scopes_supported")
    scopes = [s for s in SCOPES if not isinstance(supported, list) or s in supported]
    product = (platform_config.get(PLATFORM_CONFIG) or {}).get("product_family_code", "")
    canvas = product == "canvas"
    messages: list[dict[str, Any]] = [
        {"type": "LtiResourceLinkRequest", "target_link_uri": _landing(base), "label": "CE credit"},
        {"type": "LtiDeepLinkingRequest", "target_link_uri": _landing(base), "label": "CE offering"},
    ]
    if canvas:
        messages[0]["placements"] = ["course_navigation"]
        messages[1]["placements"] = ["link_selection", "assignment_selection"]
    else:
        messages[1]["placements"] = ["ContentArea"]
    tool_config: dict[str, Any] = {
        "domain": urlsplit(base).netloc,
        "target_link_uri": _landing(base),
        "description": TOOL_DESCRIPTION,
        "claims": ["iss", "sub", "name", "given_name", "family_name", "email"],
        "messages": messages,
        "custom_parameters": CANVAS_CUSTOM_FIELDS if canvas else {},
    }
    body: dict[str, Any] = {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": base + "/lti/login",
        "redirect_uris": [base + "/lti/launch"],
        "client_name": TOOL_NAME,
        "jwks_uri": base + "/lti/jwks",
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": " ".join(scopes),
        TOOL_CONFIG: tool_config,
    }
    if canvas:
        body["https://canvas.instructure.com/lti/privacy_level"] = "public"
    return body


def _fetch_config(url: str, token: str | None) -> dict[str, Any]:
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    try:
        resp = runtime().http.get(url, headers=headers, timeout=TIMEOUT_SECONDS)
    except requests.RequestException as exc:
        raise LaunchRejected(
            "platform_unreachable", f"the platform's configuration could not be read ({type(exc).__name__})", status=502
        ) from None
    if resp.status_code != 200:
        raise LaunchRejected(
            "platform_refused", f"the platform's configuration answered HTTP {resp.status_code}", status=502
        )
    try:
        config = resp.json()
    except ValueError:
        raise LaunchRejected("bad_platform_config", "the platform's configuration is not JSON", status=502) from None
    if not isinstance(config, dict):
        raise LaunchRejected("bad_platform_config", "the platform's configuration is not a JSON object", status=502)
    missing = [
        k
        for k in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri", "registration_endpoint")
        if not config.get(k)
    ]
    if missing:
        raise LaunchRejected(
            "bad_platform_config", f"the platform's configuration lacks {', '.join(missing)}", status=502
        )
    if not url.startswith(str(config["issuer"]).rstrip("/")):
        raise LaunchRejected("issuer_mismatch", "the configuration URL is not under the platform's issuer")
    return config


@bp.get("/lti/register")
def register() -> ResponseReturnValue:
    """LTI Dynamic Registration, started by an administrator in the platform."""
    rt = runtime()
    config_url = request.args.get("openid_configuration", "")
    token = request.args.get("registration_token") or None
    if urlsplit(config_url).scheme not in ("http", "https"):
        raise LaunchRejected("missing_openid_configuration", "open this page from the platform's tool registration")
    config = _fetch_config(config_url, token)
    body = tool_registration_request(rt.base_url, config)
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    try:
        resp = rt.http.post(str(config["registration_endpoint"]), json=body, headers=headers, timeout=TIMEOUT_SECONDS)
    except requests.RequestException as exc:
        raise LaunchRejected(
            "platform_unreachable", f"the registration could not be sent ({type(exc).__name__})", status=502
        ) from None
    if resp.status_code not in (200, 201):
        raise LaunchRejected(
            "registration_refused", f"the platform refused the registration (HTTP {resp.status_code})", status=502
        )
    try:
        answer = resp.json()
        client_id = str(answer["client_id"])
    except (ValueError, KeyError, TypeError):
        raise LaunchRejected("bad_registration_answer", "the platform's answer has no client_id", status=502) from None
    answer_tool = answer.get(TOOL_CONFIG) or {}
    deployment = answer_tool.get("deployment_id") or answer.get("deployment_id") or answer.get("lti_deployment_id")
    platform_name = (config.get(PLATFORM_CONFIG) or {}).get("product_family_code", "")
    try:
        record = _store(rt, config, client_id, deployment, platform_name)
    except InputError as exc:
        raise LaunchRejected(
            "bad_platform_config", f"the platform's configuration is not usable: {exc}", status=502
        ) from None
    return render_template("lti/registered.html", record=record)


def _store(rt: LtiRuntime, config: dict[str, Any], client_id: str, deployment: Any, name: str) -> PlatformRecord:
    return rt.registrations.add(
        issuer=str(config["issuer"]),
        client_id=client_id,
        auth_login_url=str(config["authorization_endpoint"]),
        auth_token_url=str(config["token_endpoint"]),
        key_set_url=str(config["jwks_uri"]),
        deployment_ids=[str(deployment)] if deployment else [],
        name=f"{name or 'platform'} (dynamic registration)",
    )


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
