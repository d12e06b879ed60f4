"""A built-in LTI 1.3 platform for ``cebridge demo --serve``: a course page a person launches the tool from.

It plays the LMS side honestly, so the tool checks it like any platform: OIDC third-party login, an id_token
signed RS256 with the platform's own key (kept in ``CEBRIDGE_HOME/demo/platform``, published at ``/jwks``), an
exact redirect URI, the client-credentials token endpoint that checks the tool's signed assertion against the
tool's JWKS, Assignment and Grade Services (line items and scores, refusing a timestamp that is not newer, as
Moodle does) and Names and Role Provisioning (the course roster). The tool knows it through an ordinary
registration (:func:`register`, the API behind ``cebridge platforms add``).
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jwt
import requests
from flask import Blueprint, Flask, Response, abort, redirect, render_template_string, request
from flask.typing import ResponseReturnValue

from cebridge.demo import data
from cebridge.demo.platform_page import PAGE, POST_FORM
from cebridge.keys import KeyStore
from cebridge.store.db import SessionFactory

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
AGS = "https://purl.imsglobal.org/spec/lti-ags/"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
PREFIX = "/demo/platform"
CONTEXT = {"id": "demo-course-1", "label": "CE-TX-101", "title": "Continuing Education for Counselors (demo course)"}
RESOURCE_LINK = {"id": "demo-link-ethics", "title": "Ethics for Texas Counselors: Boundaries and Records"}
#: The catalog offering the demo course's activity is (provider, offering id).
PLACED_OFFERING = ("lone-star-ce", "ls-ethics-6")
INSTRUCTOR_USER = {"id": "sam.rivera", "name": "Sam Rivera", "email": "sam.rivera@example.org"}
SCOPES = [AGS + "scope/lineitem", AGS + "scope/result.readonly", AGS + "scope/score"]


@dataclass
class Person:
    id: str
    name: str
    email: str
    roles: list[str]


@dataclass
class DemoPlatform:
    """The platform's state: people, the course's line items, scores received, tokens handed out."""

    base_url: str
    key_home: Path
    offering_row_id: str
    people: dict[str, Person] = field(default_factory=dict)
    line_items: dict[str, dict[str, Any]] = field(default_factory=dict)
    scores: list[dict[str, Any]] = field(default_factory=list)
    pending: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        for spec in data.clinicians():
            self.people[spec.lms_user_id] = Person(spec.lms_user_id, spec.name, spec.email, [LEARNER])
        self.people[INSTRUCTOR_USER["id"]] = Person(
            INSTRUCTOR_USER["id"], INSTRUCTOR_USER["name"], INSTRUCTOR_USER["email"], [INSTRUCTOR]
        )
        self.keys = KeyStore(self.key_home)
        self.keys.active()
        self.line_items["1"] = {
            "id": self.url("/lineitems/1"),
            "label": RESOURCE_LINK["title"],
            "scoreMaximum": 1,
            "resourceLinkId": RESOURCE_LINK["id"],
            "resourceId": self.offering_row_id,
            "tag": "cebridge-ce-credit",
        }

    def url(self, path: str = "") -> str:
        return self.base_url.rstrip("/") + PREFIX + path

    # -- launching ----------------------------------------------------------------------------------

    def login_url(self, user_id: str) -> str:
        """Where the course page sends the browser: the tool's OIDC login, with a hint naming this launch."""
        hint = secrets.token_urlsafe(16)
        with self.lock:
            self.pending[hint] = user_id
        query = {
            "iss": data.DEMO_ISSUER,
            "login_hint": user_id,
            "target_link_uri": self.base_url.rstrip("/") + "/dashboard/",
            "lti_message_hint": hint,
            "client_id": data.DEMO_CLIENT_ID,
            "lti_deployment_id": data.DEMO_DEPLOYMENT_ID,
        }
        return self.base_url.rstrip("/") + "/lti/login?" + urlencode(query)

    def authenticate(self, q: dict[str, str]) -> tuple[str, dict[str, str]]:
        """Check the tool's authentication request as a platform does; returns (redirect URI, form fields)."""
        expected = {
            "scope": "openid",
            "response_type": "id_token",
            "response_mode": "form_post",
            "prompt": "none",
            "client_id": data.DEMO_CLIENT_ID,
            "redirect_uri": self.base_url.rstrip("/") + "/lti/launch",
        }
        wrong = [k for k, v in expected.items() if q.get(k) != v]
        with self.lock:
            user_id = self.pending.pop(q.get("lti_message_hint", ""), None)
        if wrong or not q.get("nonce") or not q.get("state") or user_id is None or q.get("login_hint") != user_id:
            raise PlatformError("the authentication request is not one this platform started: " + ", ".join(wrong))
        person = self.people[user_id]
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": data.DEMO_ISSUER,
            "aud": data.DEMO_CLIENT_ID,
            "sub": person.id,
            "iat": now,
            "exp": now + 300,
            "nonce": q["nonce"],
            "name": person.name,
            "email": person.email,
            LTI + "message_type": "LtiResourceLinkRequest",
            LTI + "version": "1.3.0",
            LTI + "deployment_id": data.DEMO_DEPLOYMENT_ID,
            LTI + "target_link_uri": self.base_url.rstrip("/") + "/dashboard/",
            LTI + "resource_link": RESOURCE_LINK,
            LTI + "roles": person.roles,
            LTI + "context": {**CONTEXT, "type": ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"]},
            LTI + "custom": {"cebridge_offering": self.offering_row_id},
            LTI + "tool_platform": {"guid": "cebridge-demo-lms", "name": "cebridge demo LMS"},
            LTI + "launch_presentation": {"document_target": "window", "return_url": self.url("/")},
            AGS + "claim/endpoint": {
                "scope": SCOPES,
                "lineitems": self.url("/lineitems"),
                "lineitem": self.url("/lineitems/1"),
            },
            NRPS + "claim/namesroleservice": {
                "context_memberships_url": self.url("/memberships"),
                "service_versions": ["2.0"],
            },
        }
        id_token = self.keys.active().sign(claims)
        return expected["redirect_uri"], {"id_token": id_token, "state": q["state"]}

    # -- services -----------------------------------------------------------------------------------

    def issue_token(self, form: dict[str, str]) -> dict[str, Any]:
        """Client credentials with a JWT assertion signed by the tool's key (checked against its JWKS URL)."""
        if form.get("grant_type") != "client_credentials" or not form.get("client_assertion"):
            raise PlatformError("unsupported grant")
        assertion = form["client_assertion"]
        try:
            kid = jwt.get_unverified_header(assertion).get("kid")
            keys = requests.get(self.base_url.rstrip("/") + "/lti/jwks", timeout=5).json()["keys"]
            jwk = next(k for k in keys if k.get("kid") == kid)
            claims = jwt.decode(
                assertion,
                jwt.PyJWK(jwk).key,
                algorithms=["RS256"],
                audience=self.url("/token"),
                options={"require": ["exp", "iat", "iss", "sub"]},
            )
        except (jwt.PyJWTError, requests.RequestException, StopIteration, KeyError, ValueError) as exc:
            raise PlatformError(f"the client assertion does not verify ({type(exc).__name__})") from None
        if claims.get("iss") != data.DEMO_CLIENT_ID or claims.get("sub") != data.DEMO_CLIENT_ID:
            raise PlatformError("the client assertion is not from the registered tool")
        token = secrets.token_urlsafe(24)
        with self.lock:
            self.tokens[token] = time.time() + 3600
        return {"access_token": token, "token_type": "Bearer", "expires_in": 3600, "scope": form.get("scope", "")}

    def authorized(self, header: str | None) -> bool:
        token = (header or "").removeprefix("Bearer ").strip()
        with self.lock:
            return self.tokens.get(token, 0) > time.time()

    def add_score(self, item_id: str, score: dict[str, Any]) -> int:
        """Store a score like Moodle: required fields, and a timestamp after the learner's last one."""
        if item_id not in self.line_items:
            return 404
        if any(f not in score for f in ("userId", "timestamp", "activityProgress", "gradingProgress")):
            return 400
        when = datetime.fromisoformat(str(score["timestamp"]).replace("Z", "+00:00")).timestamp()
        with self.lock:
            last = [s for s in self.scores if s["line_item"] == item_id and s["userId"] == score["userId"]]
            if last and int(when) <= int(last[-1]["_ts"]):
                return 409
            person = self.people.get(str(score["userId"]))
            self.scores.append(
                dict(score, line_item=item_id, _ts=when, learner=person.name if person else str(score["userId"]))
            )
        return 200

    def members(self) -> dict[str, Any]:
        return {
            "id": self.url("/memberships"),
            "context": CONTEXT,
            "members": [
                {"user_id": p.id, "roles": p.roles, "name": p.name, "email": p.email, "status": "Active"}
                for p in self.people.values()
            ],
        }


class PlatformError(Exception):
    """A request the platform refuses (answered 400)."""


def blueprint(platform: DemoPlatform) -> Blueprint:
    """The platform's pages and services under ``/demo/platform``."""
    bp = Blueprint("demo_platform", __name__, url_prefix=PREFIX)

    @bp.errorhandler(PlatformError)
    def _refused(exc: PlatformError) -> ResponseReturnValue:
        return {"error": "invalid_request", "error_description": str(exc)}, 400

    @bp.get("/")
    def page() -> ResponseReturnValue:
        learners = [p for p in platform.people.values() if LEARNER in p.roles]
        teachers = [p for p in platform.people.values() if INSTRUCTOR in p.roles]
        return render_template_string(
            PAGE, platform=platform, learners=learners, teachers=teachers, context=CONTEXT, link=RESOURCE_LINK
        )

    @bp.get("/launch/<user_id>")
    def launch(user_id: str) -> ResponseReturnValue:
        if user_id not in platform.people:
            abort(404)
        return redirect(platform.login_url(user_id), 302)

    @bp.get("/auth")
    def auth() -> ResponseReturnValue:
        action, fields = platform.authenticate(request.args.to_dict())
        return render_template_string(POST_FORM, action=action, fields=fields)

    @bp.get("/jwks")
    def jwks() -> ResponseReturnValue:
        return platform.keys.jwks()

    @bp.post("/token")
    def token() -> ResponseReturnValue:
        return platform.issue_token(request.form.to_dict())

    @bp.route("/lineitems", methods=["GET", "POST"])
    def lineitems() -> ResponseReturnValue:
        if not platform.authorized(request.headers.get("Authorization")):
            return {"error": "unauthorized"}, 401
        if request.method == "POST":
            body = request.get_json(silent=True) or {}
            with platform.lock:
                item_id = str(len(platform.line_items) + 1)
                item = dict(body, id=platform.url(f"/lineitems/{item_id}"))
                platform.line_items[item_id] = item
            return Response(_json(item), status=201, mimetype="application/vnd.ims.lis.v2.lineitem+json")
        wanted = request.args.get("resource_link_id")
        items = [i for i in platform.line_items.values() if not wanted or i.get("resourceLinkId") == wanted]
        return Response(_json(items), mimetype="application/vnd.ims.lis.v2.lineitemcontainer+json")

    @bp.get("/lineitems/<item_id>")
    def lineitem(item_id: str) -> ResponseReturnValue:
        if not platform.authorized(request.headers.get("Authorization")):
            return {"error": "unauthorized"}, 401
        if item_id not in platform.line_items:
            abort(404)
        return Response(_json(platform.line_items[item_id]), mimetype="application/vnd.ims.lis.v2.lineitem+json")

    @bp.post("/lineitems/<item_id>/scores")
    def scores(item_id: str) -> ResponseReturnValue:
        if not platform.authorized(request.headers.get("Authorization")):
            return {"error": "unauthorized"}, 401
        status = platform.add_score(item_id, request.get_json(silent=True, force=True) or {})
        return Response("" if status == 200 else _json({"error": status}), status=status, mimetype="application/json")

    @bp.get("/memberships")
    def memberships() -> ResponseReturnValue:
        if not platform.authorized(request.headers.get("Authorization")):
            return {"error": "unauthorized"}, 401
        return Response(_json(platform.members()), mimetype="application/vnd.ims.lti-nrps.v2.membershipcontainer+json")

    return bp


def _json(value: Any) -> str:
    import json

    return json.dumps(value)


def register(factory: SessionFactory, platform: DemoPlatform) -> Any:
    """Register the demo platform with the tool, as ``cebridge platforms add`` does (an upsert)."""
    from lti_tool.registry import Registrations

    return Registrations(factory).add(
        issuer=data.DEMO_ISSUER,
        client_id=data.DEMO_CLIENT_ID,
        auth_login_url=platform.url("/auth"),
        auth_token_url=platform.url("/token"),
        key_set_url=platform.url("/jwks"),
        deployment_ids=[data.DEMO_DEPLOYMENT_ID],
        name="cebridge demo LMS",
    )


def install(app: Flask, platform: DemoPlatform) -> None:
    """Add the platform's pages to the tool's app (same origin: the browser needs no third-party cookie)."""
    app.register_blueprint(blueprint(platform))
    app.extensions["cebridge_demo_platform"] = platform
