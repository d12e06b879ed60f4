"""The demo platform's pages and services under ``/demo/platform``, and its registration with the tool."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Flask, Response, abort, redirect, render_template_string, request
from flask.typing import ResponseReturnValue

from cebridge.demo import data
from cebridge.demo.platform import CONTEXT, PREFIX, DemoPlatform, PlatformError
from cebridge.demo.platform_page import PAGE, POST_FORM
from cebridge.store.db import SessionFactory


def _json(value: Any, media_type: str, status: int = 200) -> Response:
    return Response(json.dumps(value), status=status, mimetype=media_type)


def blueprint(platform: DemoPlatform) -> Blueprint:
    """The course page, the OIDC and Deep Linking endpoints, and the AGS and NRPS services."""
    bp = Blueprint("demo_platform", __name__, url_prefix=PREFIX)

    @bp.errorhandler(PlatformError)
    def _refused(exc: PlatformError) -> ResponseReturnValue:
        return {"error": "invalid_request", "error_description": str(exc)}, 400

    @bp.get("/")
    def page() -> ResponseReturnValue:
        people = list(platform.people.values())
        return render_template_string(
            PAGE,
            platform=platform,
            people=people,
            teachers=[p for p in people if p.is_instructor],
            context=CONTEXT,
            activities=list(platform.activities.values()),
            placed=request.args.get("placed"),
        )

    @bp.get("/launch/<activity_id>/<user_id>")
    def launch(activity_id: str, user_id: str) -> ResponseReturnValue:
        if user_id not in platform.people or activity_id not in platform.activities:
            abort(404)
        return redirect(platform.login_url(user_id, activity_id), 302)

    @bp.get("/deep-link/<user_id>")
    def deep_link(user_id: str) -> ResponseReturnValue:
        if user_id not in platform.people:
            abort(404)
        return redirect(platform.login_url(user_id, None), 302)

    @bp.post("/deep-link-return")
    def deep_link_return() -> ResponseReturnValue:
        placed = platform.accept_deep_link(request.form.get("JWT", ""))
        return redirect(platform.url(f"/?placed={len(placed)}"), 303)

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
            return _json(item, "application/vnd.ims.lis.v2.lineitem+json", 201)
        wanted = request.args.get("resource_link_id")
        items = [i for i in platform.line_items.values() if not wanted or i.get("resourceLinkId") == wanted]
        return _json(items, "application/vnd.ims.lis.v2.lineitemcontainer+json")

    @bp.get("/lineitems/<item_id>")
    def lineitem(item_id: str) -> ResponseReturnValue:
        if not platform.authorized(request.headers.get("Authorization")):
            return {"error": "unauthorized"}, 401
        if item_id not in platform.line_items:
            abort(404)
        return _json(platform.line_items[item_id], "application/vnd.ims.lis.v2.lineitem+json")

    @bp.post("/lineitems/<item_id>/scores")
    def scores(item_id: str) -> ResponseReturnValue:
        if not platform.authorized(request.headers.get("Authorization")):
            return {"error": "unauthorized"}, 401
        status = platform.add_score(item_id, request.get_json(silent=True, force=True) or {})
        if status == 200:
            return Response("", status=200)
        return _json({"error": status}, "application/json", status)

    @bp.get("/memberships")
    def memberships() -> ResponseReturnValue:
        if not platform.authorized(request.headers.get("Authorization")):
            return {"error": "unauthorized"}, 401
        return _json(platform.members(), "application/vnd.ims.lti-nrps.v2.membershipcontainer+json")

    return bp


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
