"""The JSON API under /api/v1/: clinicians, licenses, transcripts, compliance reports and certificates.

Every request carries ``Authorization: Bearer <token>``; a token belongs to one organization and sees only that
organization's records. Another organization's ids answer 404, exactly like ids that do not exist, so a token
cannot even learn that they exist. The OpenAPI 3 document is served at /api/v1/openapi.json.
"""

from __future__ import annotations

from flask import Flask

from lti_tool.api.views import blueprint


def init_app(app: Flask) -> None:
    """Register the API blueprint."""
    app.register_blueprint(blueprint)
