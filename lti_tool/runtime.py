"""The tool's long-lived parts, one set per app: registrations, platform key cache, HTTP session.

Kept in ``app.extensions["cebridge"]["lti"]``; built on first use from the app's settings.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import requests
from flask import Flask, current_app

from lti_tool import settings_of
from lti_tool.db import sessions_of
from lti_tool.platform_keys import PlatformKeys
from lti_tool.registry import Registrations

USER_AGENT = "cebridge-lti-tool"


@dataclass
class LtiRuntime:
    """Registrations, platform keys and the HTTP session the tool talks to platforms with."""

    registrations: Registrations
    keys: PlatformKeys
    http: requests.Session
    base_url: str
    last_purge: float = field(default=0.0)


def runtime(app: Flask | None = None) -> LtiRuntime:
    """The app's LTI runtime (built on first use)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    ext = app.extensions["cebridge"]
    rt: LtiRuntime | None = ext.get("lti")
    if rt is None:
        http = requests.Session()
        http.headers["User-Agent"] = USER_AGENT
        sessions = sessions_of(app)
        rt = LtiRuntime(
            registrations=Registrations(sessions),
            keys=PlatformKeys(sessions, http),
            http=http,
            base_url=settings_of(app).base_url.rstrip("/"),
        )
        ext["lti"] = rt
    return rt
