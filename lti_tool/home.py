"""Where a resource-link launch lands: the dashboard when it is installed, else a minimal page."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, redirect, render_template
from flask.typing import ResponseReturnValue

from lti_tool.launch_session import current_launch, launch_required, launch_url
from lti_tool.placements import OFFERING_PARAM

bp = Blueprint("lti_home", __name__)


@bp.get("/lti/home")
@launch_required
def home() -> ResponseReturnValue:
    """The dashboard; without it, who launched, from which course, and which CE offering the activity is.

    Deep-linked placements and registrations point here, so the launch URL stays stable whichever pages an
    installation serves."""
    if "dashboard" in current_app.blueprints:
        return redirect(launch_url("dashboard.overview"), 303)
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
