"""The dashboard's blueprint, its clock and the headers every dashboard page carries.

Kept apart from the views so the view modules can share one blueprint without importing each other.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from flask import Blueprint, Response, current_app, request

from cebridge.rulepacks import PackRegistry
from cebridge.sync.compliance import Packs, today
from lti_tool import settings_of

STATIC = Path(__file__).resolve().parent.parent / "static" / "dashboard"

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard", static_folder=str(STATIC), static_url_path="/static")

#: App config key: the day the dashboard computes standing as of (a ``date``); today (UTC) when unset.
AS_OF_CONFIG = "DASHBOARD_AS_OF"

#: Pages show personal data and carry the launch token in their URL: never cache them, never leak the URL.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "form-action 'self'; base-uri 'none'; object-src 'none'"
    ),
}


def as_of() -> date:
    """The day standings are computed as of: the app's ``DASHBOARD_AS_OF`` or today (UTC)."""
    configured = current_app.config.get(AS_OF_CONFIG)
    if isinstance(configured, date):
        return configured
    return today()


def packs() -> Packs:
    """Rule packs (bundled plus the settings' ``packs_dirs``), one registry per app."""
    ext = current_app.extensions["cebridge"]
    found: Packs | None = ext.get("dashboard_packs")
    if found is None:
        found = Packs(PackRegistry(settings_of(current_app).packs_dirs))
        ext["dashboard_packs"] = found
    return found


def registry() -> PackRegistry:
    """The pack registry behind :func:`packs` (ids and titles for the onboarding form)."""
    return PackRegistry(settings_of(current_app).packs_dirs)


@bp.after_request
def _headers(response: Response) -> Response:
    if request.endpoint == "dashboard.static":
        return response
    for name, value in PAGE_HEADERS.items():
        response.headers.setdefault(name, value)
    return response
