"""A built-in LTI 1.3 platform for ``cebridge demo --serve``: a course page a person launches the tool from.

It plays the LMS side honestly, so the tool checks it like any platform: OIDC third-party login, id_tokens signed
RS256 with the platform's own key (kept in ``CEBRIDGE_HOME/demo/platform``, published at ``/jwks``), an exact
redirect URI, Deep Linking (an instructor places a catalog offering; the tool's signed response is verified against
the tool's JWKS before the course gets the new activity), the client-credentials token endpoint that checks the
tool's signed assertion, Assignment and Grade Services (line items and scores, refusing a timestamp that is not
newer, as Moodle does) and Names and Role Provisioning (the course roster).

Its routes are in :mod:`cebridge.demo.platform_routes`.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jwt
import requests

from cebridge.demo import data
from cebridge.keys import KeyStore

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
AGS = "https://purl.imsglobal.org/spec/lti-ags/"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
PREFIX = "/demo/platform"
CONTEXT = {"id": "demo-course-1", "label": "CE-TX-101", "title": "Continuing Education for Counselors (demo course)"}
FIRST_ACTIVITY = {"id": "demo-link-ethics", "title": "Ethics for Texas Counselors: Boundaries and Records"}
#: The catalog offering the demo course's first activity is (provider, offering id).
PLACED_OFFERING = ("lone-star-ce", "ls-ethics-6")
INSTRUCTOR_USER = {"id": "sam.rivera", "name": "Sam Rivera", "email": "sam.rivera@example.org"}
SCOPES = [AGS + "scope/lineitem", AGS + "scope/result.readonly", AGS + "scope/score"]


class PlatformError(Exception):
    """A request the platform refuses (answered 400)."""


@dataclass
class Person:
    id: str
    name: str
    email: str
    roles: list[str]

    @property
    def is_instructor(self) -> bool:
        return INSTRUCTOR in self.roles


@dataclass
class Activity:
    """A resource link in the course: the tool, placed with one catalog offering, graded in one line item."""

    id: str
    title: str
    offering: str
    line_item: str


@dataclass
class Pending:
    """A launch the course page started: who, into which activity, or a Deep Linking request."""

    user_id: str
    activity_id: str | None


def _fetch_tool_jwks(base_url: str) -> dict[str, Any]:
    """The tool's public keys from its JWKS URL, as a platform reads them."""
    body: dict[str, Any] = requests.get(base_url.rstrip("/") + "/lti/jwks", timeout=5).json()
    return body


@dataclass
class DemoPlatform:
    """The platform's state: people, activities and line items, scores received, tokens handed out."""

    base_url: str
    key_home: Path
    offering_row_id: str
    tool_jwks: Callable[[], dict[str, Any]] | None = None
    people: dict[str, Person] = field(default_factory=dict)
    activities: dict[str, Activity] = field(default_factory=dict)
    line_items: dict[str, dict[str, Any]] = field(default_factory=dict)
    scores: list[dict[str, Any]] = field(default_factory=list)
    pending: dict[str, Pending] = field(default_factory=dict)
    tokens: dict[str, float] = field(default_factory=dict)
    deep_link_requests: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        for spec in data.clinicians():
            self.people[spec.lms_user_id] = Person(spec.lms_user_id, spec.name, spec.email, [LEARNER])
        teacher = INSTRUCTOR_USER
        self.people[teacher["id"]] = Person(teacher["id"], teacher["name"], teacher["email"], [INSTRUCTOR])
        self.keys = KeyStore(self.key_home)
        self.keys.active()
        self.add_activity(FIRST_ACTIVITY["id"], FIRST_ACTIVITY["title"], self.offering_row_id)

    def url(self, path: str = "") -> str:
        return self.base_url.rstrip("/") + PREFIX + path

    def add_activity(self, link_id: str, title: str, offering: str) -> Activity:
        """A new resource link with its gradebook column."""
        with self.lock:
            item_id = str(len(self.line_items) + 1)
            self.line_items[item_id] = {
                "id": self.url(f"/lineitems/{item_id}"),
                "label": title,
                "scoreMaximum": 1,
                "resourceLinkId": link_id,
                "resourceId": offering,
                "tag": "cebridge-ce-credit",
            }
            activity = Activity(link_id, title, offering, item_id)
            self.activities[link_id] = activity
        return activity

    # -- launching ----------------------------------------------------------------------------------

    def login_url(self, user_id: str, activity_id: str | None = FIRST_ACTIVITY["id"]) -> str:
        """The tool's OIDC login for a launch of ``activity_id`` (None: a Deep Linking request)."""
        if user_id not in self.people or (activity_id is not None and activity_id not in self.activities):
            raise PlatformError("no such person or activity in this course")
        if activity_id is None and not self.people[user_id].is_instructor:
            raise PlatformError("only instructors place content")
        hint = secrets.token_urlsafe(16)
        with self.lock:
            self.pending[hint] = Pending(user_id, activity_id)
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
        hint = q.get("lti_message_hint", "")
        with self.lock:
            pending = self.pending.pop(hint, None)
        if (
            wrong
            or not q.get("nonce")
            or not q.get("state")
            or pending is None
            or q.get("login_hint") != pending.user_id
        ):
            raise PlatformError("the authentication request is not one this platform started: " + ", ".join(wrong))
        claims = self._message(self.people[pending.user_id], pending.activity_id, hint)
        claims["nonce"] = q["nonce"]
        return expected["redirect_uri"], {"id_token": self.keys.active().sign(claims), "state": q["state"]}

    def _message(self, person: Person, activity_id: str | None, hint: str) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": data.DEMO_ISSUER,
            "aud": data.DEMO_CLIENT_ID,
            "sub": person.id,
            "iat": now,
            "exp": now + 300,
            "name": person.name,
            "email": person.email,
            LTI + "version": "1.3.0",
            LTI + "deployment_id": data.DEMO_DEPLOYMENT_ID,
            LTI + "target_link_uri": self.base_url.rstrip("/") + "/dashboard/",
            LTI + "roles": person.roles,
            LTI + "context": {**CONTEXT, "type": ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"]},
            LTI + "tool_platform": {"guid": "cebridge-demo-lms", "name": "cebridge demo LMS"},
            LTI + "launch_presentation": {"document_target": "window", "return_url": self.url("/")},
            NRPS + "claim/namesroleservice": {
                "context_memberships_url": self.url("/memberships"),
                "service_versions": ["2.0"],
            },
        }
        ags: dict[str, Any] = {"scope": SCOPES, "lineitems": self.url("/lineitems")}
        if activity_id is None:
            with self.lock:
                self.deep_link_requests.add(hint)
            claims[LTI + "message_type"] = "LtiDeepLinkingRequest"
            claims[DL + "deep_linking_settings"] = {
                "deep_link_return_url": self.url("/deep-link-return"),
                "accept_types": ["ltiResourceLink"],
                "accept_presentation_document_targets": ["iframe", "window"],
                "accept_multiple": True,
                "auto_create": True,
                "title": "Place a CE offering in " + CONTEXT["title"],
                "data": hint,
            }
        else:
            activity = self.activities[activity_id]
            claims[LTI + "message_type"] = "LtiResourceLinkRequest"
            claims[LTI + "resource_link"] = {"id": activity.id, "title": activity.title}
            claims[LTI + "custom"] = {"cebridge_offering": activity.offering}
            ags["lineitem"] = self.url(f"/lineitems/{activity.line_item}")
        claims[AGS + "claim/endpoint"] = ags
        return claims

    # -- what the tool sends back -------------------------------------------------------------------

    def _verify_from_tool(self, token: str, *, audience: str, require: list[str]) -> dict[str, Any]:
        """A JWT the tool signed, checked against the tool's JWKS (fetched from its URL, as a platform does)."""
        fetch = self.tool_jwks or (lambda: _fetch_tool_jwks(self.base_url))
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            jwk = next(k for k in fetch()["keys"] if k.get("kid") == kid)
            claims: dict[str, Any] = jwt.decode(
                token, jwt.PyJWK(jwk).key, algorithms=["RS256"], audience=audience, options={"require": require}
            )
        except (jwt.PyJWTError, requests.RequestException, StopIteration, KeyError, ValueError) as exc:
            raise PlatformError(f"the tool's token does not verify ({type(exc).__name__})") from None
        return claims

    def accept_deep_link(self, token: str) -> list[Activity]:
        """Place what the tool's signed ``LtiDeepLinkingResponse`` names; returns the new activities."""
        claims = self._verify_from_tool(token, audience=data.DEMO_ISSUER, require=["exp", "iat", "iss"])
        if claims.get("iss") != data.DEMO_CLIENT_ID:
            raise PlatformError("the deep-linking response is not from the registered tool")
        if claims.get(LTI + "message_type") != "LtiDeepLinkingResponse":
            raise PlatformError("not a deep-linking response")
        if claims.get(LTI + "deployment_id") != data.DEMO_DEPLOYMENT_ID:
            raise PlatformError("the deep-linking response names another deployment")
        with self.lock:
            echoed = str(claims.get(DL + "data") or "")
            if echoed not in self.deep_link_requests:
                raise PlatformError("the deep-linking response answers no request of this platform (or answers twice)")
            self.deep_link_requests.discard(echoed)
        placed = []
        for item in claims.get(DL + "content_items") or []:
            offering = str((item.get("custom") or {}).get("cebridge_offering") or "")
            if item.get("type") != "ltiResourceLink" or not offering:
                continue
            link_id = f"demo-link-{len(self.activities) + 1}"
            placed.append(self.add_activity(link_id, str(item.get("title") or offering), offering))
        return placed

    def issue_token(self, form: dict[str, str]) -> dict[str, Any]:
        """Client credentials with a JWT assertion signed by the tool's key (checked against its JWKS URL)."""
        if form.get("grant_type") != "client_credentials" or not form.get("client_assertion"):
            raise PlatformError("unsupported grant")
        claims = self._verify_from_tool(
            form["client_assertion"], audience=self.url("/token"), require=["exp", "iat", "iss", "sub"]
        )
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
            label = str(self.line_items[item_id].get("label", ""))
            self.scores.append(
                dict(
                    score,
                    line_item=item_id,
                    activity=label,
                    _ts=when,
                    learner=person.name if person else str(score["userId"]),
                )
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
