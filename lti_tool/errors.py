"""How the tool answers an LTI error: a 4xx with a clear reason, as a small HTML page or JSON, never a 500.

pylti1p3 raises bare ``LtiException``/``OIDCException`` (and sometimes ``Exception``) for bad launches;
everything the tool itself rejects is a :class:`LaunchRejected` (an :class:`~cebridge.errors.LtiError`).
Messages shown here never carry tokens, keys or claims: only what was wrong and what to do.
"""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask.typing import ResponseReturnValue
from pylti1p3.exception import LtiException, OIDCException

from cebridge.errors import LtiError, NotFound

log = logging.getLogger(__name__)


class LaunchRejected(LtiError):
    """A login, launch or LTI service call the tool refuses; ``code`` is a stable machine-readable name."""

    def __init__(self, code: str, message: str, *, status: int = 400) -> None:
        super().__init__(f"{code}: {message}", user_message=message)
        self.code = code
        self.status_code = status


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" or request.path.endswith(".json")


def render_error(code: str, message: str, status: int) -> ResponseReturnValue:
    """The error as JSON (``{"error": code, "message": ...}``) or as a small page, with ``status``."""
    if _wants_json():
        return {"error": code, "message": message}, status
    return render_template("lti/error.html", code=code, message=message), status


def _lti_error(exc: LtiError) -> ResponseReturnValue:
    code = getattr(exc, "code", "lti_error")
    status = int(getattr(exc, "status_code", 400))
    log.info("LTI request refused: %s", exc)
    return render_error(code, exc.user_message, status)


def _library_error(exc: Exception) -> ResponseReturnValue:
    # pylti1p3's messages name the failed check ("Unable to find public key") and never a token.
    log.info("LTI request refused by pylti1p3: %s", exc)
    return render_error("invalid_launch", f"the LTI message is not valid: {exc}", 400)


def _not_found(exc: NotFound) -> ResponseReturnValue:
    return render_error("not_found", exc.user_message, 404)


def init_app(app: Flask) -> None:
    app.register_error_handler(LtiError, _lti_error)
    app.register_error_handler(LtiException, _library_error)
    app.register_error_handler(OIDCException, _library_error)
    app.register_error_handler(NotFound, _not_found)
