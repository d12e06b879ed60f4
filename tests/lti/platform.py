"""A small LTI 1.3 platform for tests, built on the independent ``lti1p3platform`` library.

lti1p3platform builds and signs the messages, checks the tool's client assertion at the token endpoint,
serves AGS and NRPS and verifies deep-linking responses. This wrapper adds what Moodle and Canvas enforce and
the library does not: the ``redirect_uri`` must be one of the registered URIs exactly, ``login_hint`` must be
the logged-in user, and ``response_type``/``scope``/``response_mode``/``prompt`` must be the OIDC values. It
scores like Moodle: required fields, 409 for a timestamp not after the last one, scoreGiven dropped unless
FullyGraded. NRPS pages carry ``Link: <...>; rel=next`` (unquoted, as the library writes it) unless told
otherwise. Messages can be tampered with before signing (``mutate``, ``headers``, ``signing_key``) to make
the invalid launches of lti.md §2.4.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
import typing as t
from datetime import datetime
from functools import lru_cache
from html import escape
from urllib.parse import urlencode

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, Response, request
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.membership import Context
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration
from lti1p3platform.request import Request, TRequest
from lti1p3platform.score import UpdateScoreStatus
from lti1p3platform.service_connector import AssignmentsGradesService, NamesRoleProvisioningService

from tests.lti.servers import Served

INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"


@lru_cache(maxsize=4)
def rsa_pem(label: str) -> tuple[str, str]:
    """(private PEM, public PEM) of a 2048-bit key, one per label per test run."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


class _Req(Request):  # type: ignore[misc]
    def build_metadata(self, req: t.Any) -> TRequest:
        def num(d: t.Mapping[str, str]) -> dict[str, t.Any]:
            return {k: int(v) if v.isdigit() else v for k, v in d.items()}

        return {
            "method": req.method,
            "form_data": dict(req.form),
            "get_data": num(req.args),
            "headers": dict(req.headers),
            "content_type": req.content_type,
            "path": req.path,
            "json": req.get_json(silent=True),
        }


class _Conf(LTI1P3PlatformConfAbstract):  # type: ignore[misc]
    def init_platform_config(self, **kwargs: t.Any) -> None:
        self.platform: TestPlatform = kwargs["platform"]

    def get_registration_by_params(self, **kwargs: t.Any) -> Registration:
        p = self.platform
        private, public = rsa_pem("platform")
        return (
            Registration()
            .set_iss(p.issuer)
            .set_client_id(p.client_id)
            .set_deployment_id(p.deployment_id)
            .set_oidc_login_url(p.tool_url + "/lti/login")
            .set_launch_url(p.target_link_uri)
            .set_deeplink_launch_url(p.target_link_uri)
            .set_tool_key_set_url(p.tool_url + "/lti/jwks")
            .set_platform_public_key(public)
            .set_platform_private_key(private)
        )


class _Login(OIDCLoginAbstract):  # type: ignore[misc]
    def set_lti_message_hint(self, **kwargs: t.Any) -> None:
        self._lti_message_hint = kwargs["hint"]

    def get_redirect(self, url: str) -> str:
        return url


class _Launch(LTIAdvantageMessageLaunchAbstract):  # type: ignore[misc]
    def render_launch_form(self, launch_data: dict[str, t.Any], **kwargs: t.Any) -> t.Any:
        return launch_data


class _Ags(AssignmentsGradesService):  # type: ignore[misc]
    def __init__(self, platform: TestPlatform, req: _Req) -> None:
        super().__init__(req, platform.conf, platform.url + "/lineitems")
        self.p = platform

    def find_lineitems(self, page: int = 1, limit: int | None = None, **filters: t.Any) -> t.Any:
        items = [
            i
            for i in self.p.line_items.values()
            if all(
                i.get(k) == v
                for k, v in {
                    "resourceLinkId": filters.get("resource_link_id"),
                    "resourceId": filters.get("resource_id"),
                    "tag": filters.get("tag"),
                }.items()
                if v
            )
        ]
        return {"content": items, "has_next": False, "next": None}

    def find_lineitem(self, line_item_id: str) -> t.Any:
        from lti1p3platform.exceptions import LineItemNotFoundException

        if line_item_id not in self.p.line_items:
            raise LineItemNotFoundException()
        return self.p.line_items[line_item_id]

    def create_lineitem(self, creation_data: t.Any) -> t.Any:
        return self.p.new_line_item(dict(creation_data))

    def update_lineitem(self, update_data: t.Any) -> t.Any:
        item = self.find_lineitem(update_data["id"].rsplit("/", 1)[-1])
        item.update({k: v for k, v in update_data.items() if k != "id"})
        return item

    def delete_lineitem(self, line_item_id: str) -> None:
        self.p.line_items.pop(line_item_id, None)

    def update_score(self, line_item_id: str, score: t.Any) -> UpdateScoreStatus:
        self.find_lineitem(line_item_id)
        return self.p.receive_score(line_item_id, score)

    def get_results(self, line_item_id: str, page: int = 1, limit: int | None = None, user_id: t.Any = None) -> t.Any:
        return {"content": [], "has_next": False, "next": None}


class _Nrps(NamesRoleProvisioningService):  # type: ignore[misc]
    def __init__(self, platform: TestPlatform, req: _Req) -> None:
        super().__init__(req, platform.conf, platform.url + "/memberships")
        self.p = platform

    def get_member_data_page(self, page: int = 1, limit: int | None = None, **_: t.Any) -> t.Any:
        members = self.p.members
        if not limit:
            return {"content": list(members), "has_next": False}
        start = (int(page) - 1) * int(limit)
        chunk = members[start : start + int(limit)]
        return {"content": [dict(m) for m in chunk], "has_next": start + int(limit) < len(members)}

    def get_context_by_id(self) -> Context:
        return Context(id=self.p.context_id, label="CE101", title="CE for clinicians")

    def is_resource_link_valid(self, context_id: str, resource_link_id: str) -> bool:
        return True


class PlatformRejected(AssertionError):
    """The platform refused a request of the tool (what a real LMS would show as an error)."""


class TestPlatform:
    """One platform registration of the tool, served on 127.0.0.1."""

    __test__ = False  # not a pytest class

    def __init__(
        self,
        tool_url: str,
        *,
        issuer: str | None = None,
        client_id: str = "cebridge-client",
        deployment_id: str = "1",
        target_link_uri: str | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        self.server = Served(host)
        self._stopped = False
        self.url = self.server.url
        self.issuer = issuer or self.url
        self.client_id = client_id
        self.deployment_id = deployment_id
        self.tool_url = tool_url
        self.target_link_uri = target_link_uri or tool_url + "/lti/home"
        self.redirect_uris = [tool_url + "/lti/launch"]
        self.logged_in: str | None = None
        self.users: dict[str, dict[str, t.Any]] = {}
        self.context_id = "course-1"
        self.pending: dict[str, dict[str, t.Any]] = {}
        self.line_items: dict[str, dict[str, t.Any]] = {}
        self.scores: list[dict[str, t.Any]] = []
        self.score_status: list[int] = []
        self.members: list[dict[str, t.Any]] = []
        self.link_style = "unquoted"
        self.score_fault: int | None = None
        self.deep_link_items: list[dict[str, t.Any]] = []
        self.token_requests: list[dict[str, t.Any]] = []
        self.mutate: t.Callable[[dict[str, t.Any]], None] | None = None
        self.headers: dict[str, t.Any] | None = None
        self.signing_key: str | None = None
        self.algorithm = "RS256"
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.conf = _Conf(platform=self)
        self.conf.get_registration()
        self.app = self._build_app()
        self.server.app.target = self.app
        self.client = self.app.test_client()

    def stop(self) -> None:
        if not self._stopped:
            self._stopped = True
            self.server.stop()

    # ---------------------------------------------------------------- people and state

    def add_user(self, user_id: str, *, roles: list[str], name: str | None = None, email: str | None = None) -> None:
        self.users[user_id] = {"roles": roles, "name": name, "email": email}
        self.members.append({"user_id": user_id, "roles": roles, "name": name or user_id, "status": "Active"})

    def login_as(self, user_id: str) -> None:
        self.logged_in = user_id

    def new_line_item(self, data: dict[str, t.Any]) -> dict[str, t.Any]:
        with self._lock:
            item_id = str(next(self._ids))
        data["id"] = f"{self.url}/lineitems/{item_id}"
        self.line_items[item_id] = data
        return data

    def receive_score(self, line_item_id: str, score: dict[str, t.Any]) -> UpdateScoreStatus:
        if self.score_fault:
            raise _ScoreRejected(self.score_fault, "the gradebook is not available")
        for field in ("userId", "timestamp", "gradingProgress", "activityProgress"):
            if field not in score:
                raise _ScoreRejected(400, f"score has no {field}")
        ts = datetime.fromisoformat(str(score["timestamp"]).replace("Z", "+00:00")).timestamp()
        last = [s for s in self.scores if s["_line_item"] == line_item_id and s["userId"] == score["userId"]]
        if last and int(ts) <= int(last[-1]["_ts"]):
            raise _ScoreRejected(409, "timestamp is not after the last score's")  # Moodle compares seconds
        stored = dict(score, _line_item=line_item_id, _ts=ts)
        if score["gradingProgress"] != "FullyGraded":
            stored["scoreGiven"] = None
        self.scores.append(stored)
        return UpdateScoreStatus.SUCCESS

    # ---------------------------------------------------------------- launches

    def login_url(
        self,
        user_id: str,
        *,
        kind: str = "resource",
        resource_link_id: str = "rl-1",
        custom: dict[str, str] | None = None,
        context: bool = True,
        storage_target: str | None = None,
        ags: bool = True,
        nrps: bool = True,
        client_id: bool = True,
    ) -> str:
        """The third-party login URL a platform sends the browser to, for a pending launch."""
        hint = f"msg-{next(self._ids)}"
        self.pending[hint] = {
            "kind": kind,
            "resource_link_id": resource_link_id,
            "custom": custom or {},
            "context": context,
            "ags": ags,
            "nrps": nrps,
        }
        login = _Login(None, self.conf)
        login.set_lti_message_hint(hint=hint)
        if kind == "deep":
            login.set_deeplinking_launch_url()
        url: str = login.initiate_login(user_id)
        if not client_id:
            url = re.sub(r"&client_id=[^&]*", "", url)
        if storage_target:
            url += "&" + urlencode({"lti_storage_target": storage_target})
        return url

    def sign(self, payload: dict[str, t.Any]) -> str:
        """Sign a message as this platform (or as told by ``signing_key``/``headers``/``algorithm``)."""
        reg = self.conf.get_registration()
        headers = self.headers if self.headers is not None else {"kid": reg.get_kid()}
        key = self.signing_key or reg.get_platform_private_key()
        if self.algorithm == "HS256":
            key = "not-a-secret-shared-with-anyone-at-all-0123456789"
        return t.cast(str, jwt.encode(payload, key, algorithm=self.algorithm, headers=headers))

    def _auth(self) -> Response:
        q = request.args
        problems = []
        expected = {
            "scope": "openid",
            "response_type": "id_token",
            "response_mode": "form_post",
            "prompt": "none",
            "client_id": self.client_id,
        }
        problems += [f"{k} must be {v!r}" for k, v in expected.items() if q.get(k) != v]
        if q.get("redirect_uri") not in self.redirect_uris:
            problems.append("redirect_uri is not registered")
        if not self.logged_in or q.get("login_hint") != self.logged_in:
            problems.append("login_hint is not the logged-in user")
        if not q.get("nonce") or not q.get("state"):
            problems.append("nonce and state are required")
        pending = self.pending.get(q.get("lti_message_hint", ""))
        if pending is None:
            problems.append("unknown lti_message_hint")
        if problems:
            return Response("; ".join(problems), status=400)
        assert pending is not None and self.logged_in is not None
        launch = _Launch(_Req(request), self.conf)
        launch._registration = self.conf.get_registration()
        launch.validate_preflight_response(dict(q))
        user = self.users[self.logged_in]
        launch.set_user_data(self.logged_in, user["roles"], full_name=user["name"], email_address=user["email"])
        if pending["kind"] == "resource":
            launch.set_resource_link_claim(pending["resource_link_id"], title="Ethics for counselors")
        if pending["context"]:
            launch.set_launch_context_claim(self.context_id, context_title="CE for clinicians", context_label="CE101")
        if pending["custom"]:
            launch.set_custom_parameters_claim(pending["custom"])
        if pending["ags"] and pending["kind"] == "resource":
            item = next(
                (i for i in self.line_items.values() if i.get("resourceLinkId") == pending["resource_link_id"]), None
            )
            launch.set_ags(self.url + "/lineitems", item["id"] if item else None)
        if pending["nrps"]:
            launch.set_nrps(self.url + "/memberships")
        if pending["kind"] == "deep":
            launch.set_launch_url(self.target_link_uri)
            launch.set_dl(
                self.url + "/deep_link_return",
                title="Pick a course",
                accept_types={"ltiResourceLink"},
                extra_data={"opaque": "dl-data-1"},
            )
        message, state = launch.get_launch_data()
        if pending["kind"] == "deep":
            message["https://purl.imsglobal.org/spec/lti/claim/message_type"] = "LtiDeepLinkingRequest"
            message.update(launch._deep_linking_launch_data)
        now = int(time.time())
        message.update({"iat": now, "exp": now + 300})
        if self.mutate:
            self.mutate(message)
        id_token = self.sign(message)
        self.last_message = message
        html = (
            f'<form id="f" method="post" action="{escape(q["redirect_uri"])}">'
            f'<input type="hidden" name="id_token" value="{escape(id_token)}">'
            f'<input type="hidden" name="state" value="{escape(state)}"></form>'
            "<script>document.getElementById('f').submit()</script>"
        )
        return Response(html, mimetype="text/html")

    # ---------------------------------------------------------------- the Flask app

    def _build_app(self) -> Flask:
        app = Flask(f"test-platform-{id(self)}")
        p = self

        @app.get("/auth")
        def auth() -> Response:
            return p._auth()

        @app.get("/course")
        def course() -> Response:
            """A course page embedding the tool in an iframe; with ?storage=1 it offers LTI Platform Storage."""
            src = escape(request.args["src"])
            storage = request.args.get("storage") == "1"
            script = _STORAGE_JS if storage else ""
            return Response(
                f"<!doctype html><title>Course</title><h1>Course page</h1>{script}"
                f'<iframe id="tool" name="tool" src="{src}" width="900" height="600"></iframe>',
                mimetype="text/html",
            )

        @app.get("/jwks")
        def jwks() -> t.Any:
            return p.conf.get_jwks()

        @app.post("/token")
        def token() -> t.Any:
            p.token_requests.append(dict(request.form))
            try:
                return p.conf.get_access_token(dict(request.form))
            except Exception as exc:
                return {"error": "invalid_client", "error_description": str(exc)}, 401

        @app.route("/lineitems", methods=["GET", "POST"])
        def lineitems() -> Response:
            svc = _Ags(p, _Req(request))
            if request.method == "POST":
                return _flask(svc.handle_resp(svc.handle_create_lineitem))
            return _flask(svc.handle_resp(svc.handle_get_lineitems))

        @app.route("/lineitems/<item_id>", methods=["GET", "PUT"])
        def lineitem(item_id: str) -> Response:
            svc = _Ags(p, _Req(request))
            if request.method == "PUT":
                return _flask(svc.handle_resp(svc.handle_update_lineitem, line_item_id=item_id))
            return _flask(svc.handle_resp(svc.handle_get_lineitem, line_item_id=item_id))

        @app.post("/lineitems/<item_id>/scores")
        def scores(item_id: str) -> Response:
            svc = _Ags(p, _Req(request))
            try:
                resp = _flask(svc.handle_resp(svc.handle_update_score, line_item_id=item_id))
            except _ScoreRejected as exc:
                resp = Response(json.dumps({"error": exc.message}), status=exc.status, mimetype="application/json")
            p.score_status.append(resp.status_code)
            return resp

        @app.get("/memberships")
        def memberships() -> Response:
            svc = _Nrps(p, _Req(request))
            resp = svc.handle_resp(svc.handle_get_members)
            out = _flask(resp)
            body = resp.result or {}
            if body.get("next"):
                out.headers["Link"] = _link(body["next"], p.link_style)
            return out

        @app.post("/deep_link_return")
        def deep_link_return() -> t.Any:
            items = p.conf.validate_deeplinking_resp(dict(request.form))
            claims = jwt.decode(request.form["JWT"], options={"verify_signature": False})
            checks = {
                "aud is the platform": p.issuer
                in (claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]),
                "iss is the client id": claims.get("iss") == p.client_id,
                "deployment echoed": claims.get("https://purl.imsglobal.org/spec/lti/claim/deployment_id")
                == p.deployment_id,
                "data echoed": claims.get("https://purl.imsglobal.org/spec/lti-dl/claim/data")
                == {"opaque": "dl-data-1"},
            }
            failed = [k for k, ok in checks.items() if not ok]
            if failed:
                return {"error": "; ".join(failed)}, 400
            p.deep_link_items.extend(items)
            for item in items:
                if item.get("lineItem"):
                    link_id = f"rl-dl-{len(p.deep_link_items)}"
                    item["_resource_link_id"] = link_id
                    p.new_line_item(dict(item["lineItem"], resourceLinkId=link_id))
            return {"placed": len(items)}

        return app


_STORAGE_JS = """<script>
window.platformStore = {};
window.addEventListener("message", function (event) {
  var d = event.data || {};
  var reply = {subject: d.subject + ".response", message_id: d.message_id, key: d.key};
  var key = event.origin + "|" + d.key;
  if (d.subject === "lti.put_data") { window.platformStore[key] = d.value; reply.value = d.value; }
  else if (d.subject === "lti.get_data") { reply.value = window.platformStore[key]; }
  else { return; }
  event.source.postMessage(reply, event.origin);
});
</script>"""


class _ScoreRejected(Exception):
    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message


def _link(url: str, style: str) -> str:
    return {
        "unquoted": f"<{url}>; rel=next",
        "quoted": f'<{url}>; rel="next"',
        "upper": f'<{url}>; REL="NEXT"',
        "multi": f'<{url}>; rel="next", <{url}&x=1>; rel="last"',
    }[style]


def _flask(resp: t.Any) -> Response:
    body = "" if resp.result is None else json.dumps(resp.result)
    return Response(body, status=resp.code, mimetype=resp.media_type)
