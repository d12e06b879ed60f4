"""The Flask LTI 1.3 tool, the dashboard and the JSON API.

``create_app(settings)`` builds a fresh app: no module-level app, settings or database engine
(``lti_tool.wsgi`` is the one module that builds an app at import, for a WSGI server).
"""

from __future__ import annotations

import importlib
from typing import Any

from flask import Flask

from cebridge.config import Settings

#: Modules of this package that add to the app; each has ``init_app(app)``.
APP_MODULES: tuple[str, ...] = (
    "errors",
    "launch_session",
    "keys",
    "launch",
    "home",
    "deep_linking",
    "roster",
    "registration",
    "verify",
    "api",
    "dashboard",
)


def create_app(settings: Settings | None = None, **overrides: Any) -> Flask:
    """Build the cebridge web app from ``settings`` (read from the environment when omitted)."""
    settings = settings or Settings()
    app = Flask(__name__)
    app.config.update(overrides)
    app.extensions["cebridge"] = {"settings": settings}
    for name in APP_MODULES:
        importlib.import_module(f"lti_tool.{name}").init_app(app)
    return app


def settings_of(app: Flask) -> Settings:
    """The Settings an app was built with."""
    settings: Settings = app.extensions["cebridge"]["settings"]
    return settings
