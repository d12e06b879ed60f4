"""The minimal landing page a resource-link launch arrives at (the dashboard builds the real pages)."""

from __future__ import annotations

from flask import Blueprint, Flask, render_template
from flask.typing import ResponseReturnValue

from lti_tool.launch_session import current_launch, launch_required
from lti_tool.placements import OFFERING_PARAM

bp = Blueprint("lti_home", __name__)


@bp.get("/lti/home")
@launch_required
def home() -> ResponseReturnValue:
    """Who launched, from which course, and which CE offering the activity is."""
    launch = current_launch()
    assert launch is not None
    return render_template("lti/home.html", launch=launch, offering=launch.custom.get(OFFERING_PARAM))


@bp.get("/lti/launch.json")
@launch_required
def launch_json() -> ResponseReturnValue:
    """The current launch as JSON, for scripts of the tool's pages."""
    launch = current_launch()
    assert launch is not None
    return launch.to_json()


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
