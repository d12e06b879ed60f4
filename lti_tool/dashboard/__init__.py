"""The clinician and instructor dashboard: server-rendered pages shown inside Moodle or Canvas after a launch.

``init_app`` registers the ``dashboard`` blueprint (pages under ``/dashboard/``, assets under
``/dashboard/static/``) and the template filters. See docs/dashboard.md.
"""

from __future__ import annotations

from flask import Flask

from lti_tool.dashboard import views  # noqa: F401  (the routes register on the blueprint)
from lti_tool.dashboard.blueprint import bp
from lti_tool.dashboard.formatting import init_filters


def init_app(app: Flask) -> None:
    init_filters(app)
    app.register_blueprint(bp)
