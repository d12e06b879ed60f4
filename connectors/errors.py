"""The one place that decides what a provider's answer means: a table of rules, first match wins.

Every HTTP exchange of every connector goes through :func:`classify`. Reading the table top to bottom tells
what happens to a timeout, a dropped connection, a 429, Canvas's ``403 Forbidden (Rate Limit Exceeded)``,
Moodle's HTTP 200 ``{"exception": ..., "errorcode": ...}`` and the rest. :mod:`connectors.http` turns the
verdict into a retry (with backoff) or into one of the errors below, all in :mod:`cebridge.errors`' tree.

Nothing here ever puts a secret in a message: URLs are shown through :func:`redact_url`, free text through
:func:`redact_text`, and no header value is ever quoted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests

from cebridge.errors import FatalConnectorError

__all__ = [
    "RULES",
    "Action",
    "Exchange",
    "PermissionDenied",
    "ProviderRequestError",
    "RemoteNotFound",
    "Rule",
    "Verdict",
    "classify",
    "moodle_error",
    "redact_text",
    "redact_url",
]

#: Query parameters that carry credentials (Moodle ``wstoken``, Canvas ``access_token``, and kin).
SECRET_PARAMS = frozenset(
    {"wstoken", "access_token", "token", "wspassword", "password", "client_secret", "secret", "key", "apikey"}
)
_SECRET_PARAM_RE = re.compile(r"(?i)\b(" + "|".join(sorted(SECRET_PARAMS)) + r")=([^&\s'\"<>]*)")
_AUTH_HEADER_RE = re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)(basic|bearer)?\s*[^'\",}\s]+")
REDACTED = "***"


class ProviderRequestError(FatalConnectorError):
    """The provider refused a request for a reason retrying will not fix (a 4xx, a Moodle exception).

    ``status`` is the HTTP status, ``code`` the provider's own error code when it gives one (Moodle
    ``errorcode``), so a connector can degrade gracefully (e.g. a web-service function the site lacks).
    """

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class PermissionDenied(ProviderRequestError):
    """The credentials were accepted but lack a permission (Canvas 403, Moodle ``accessexception``)."""


class RemoteNotFound(ProviderRequestError):
    """The provider says the thing asked for does not exist (404)."""


class Action(StrEnum):
    """What the HTTP layer does with an answer."""

    OK = "ok"
    RETRY = "retry"  # a passing fault: back off, try again (bounded)
    THROTTLED = "throttled"  # the provider asked us to slow down: honour Retry-After, then retry
    AUTH = "auth"  # credentials rejected: fail fast, name the config field
    DENIED = "denied"  # credentials fine, permission missing: fail fast
    NOT_FOUND = "not_found"
    REJECTED = "rejected"  # any other 4xx
    REMOTE_ERROR = "remote_error"  # the provider reported an error inside a 200 body (Moodle)


@dataclass
class Exchange:
    """What came back for one request: a response, or the exception raised instead of one."""

    response: requests.Response | None = None
    error: BaseException | None = None
    _json: Any = field(default=None, repr=False)
    _json_done: bool = field(default=False, repr=False)

    @property
    def status(self) -> int | None:
        return self.response.status_code if self.response is not None else None

    @property
    def body(self) -> bytes:
        return self.response.content if self.response is not None else b""

    def json_object(self) -> Any:
        """The body parsed as JSON when it is a JSON object that may be a Moodle error, else None.

        Cheap for the common case: a JSON array (a Canvas page) or a body without ``"errorcode"`` is not
        parsed here.
        """
        if not self._json_done:
            self._json_done = True
            body = self.body.lstrip()
            if body.startswith(b"{") and b'"errorcode"' in body:
                try:
                    self._json = json.loads(body)
                except ValueError:
                    self._json = None
        return self._json


def moodle_error(ex: Exchange) -> tuple[str, str, str] | None:
    """``(exception, errorcode, message)`` when the body is Moodle's error shape, else None."""
    if ex.status != 200:
        return None
    obj = ex.json_object()
    if isinstance(obj, dict) and "exception" in obj and "errorcode" in obj:
        return str(obj["exception"]), str(obj["errorcode"]), str(obj.get("message") or "")
    return None


def _status(*codes: int) -> Callable[[Exchange], bool]:
    return lambda ex: ex.status in codes


def _status_range(low: int, high: int) -> Callable[[Exchange], bool]:
    return lambda ex: ex.status is not None and low <= ex.status <= high


def _raised(*kinds: type[BaseException]) -> Callable[[Exchange], bool]:
    return lambda ex: ex.error is not None and isinstance(ex.error, kinds)


def _moodle_code(*codes: str) -> Callable[[Exchange], bool]:
    def match(ex: Exchange) -> bool:
        err = moodle_error(ex)
        return err is not None and (not codes or err[1] in codes)

    return match


def _canvas_not_permitted(ex: Exchange) -> bool:
    # Canvas answers "not permitted" with 401 too, but without a WWW-Authenticate challenge and with
    # {"status": "unauthorized", ...}; an invalid token always carries the challenge.
    if ex.status != 401 or ex.response is None or "WWW-Authenticate" in ex.response.headers:
        return False
    return b'"status":"unauthorized"' in ex.body[:512].replace(b" ", b"")


def _canvas_throttle(ex: Exchange) -> bool:
    return ex.status == 403 and b"rate limit exceeded" in ex.body[:512].lower()


@dataclass(frozen=True)
class Rule:
    """One row of the table: when ``matches``, do ``action``; ``reason`` is what a person reads."""

    name: str
    matches: Callable[[Exchange], bool]
    action: Action
    reason: str


#: The table. Order matters: the first rule that matches decides.
RULES: tuple[Rule, ...] = (
    Rule("timeout", _raised(requests.Timeout), Action.RETRY, "the request timed out"),
    Rule(
        "connection",
        _raised(requests.ConnectionError, requests.exceptions.ChunkedEncodingError),
        Action.RETRY,
        "the connection failed or was dropped",
    ),
    Rule(
        "content-decoding",
        _raised(requests.exceptions.ContentDecodingError),
        Action.RETRY,
        "the response body was cut off",
    ),
    Rule("other-transport", _raised(requests.RequestException), Action.REJECTED, "the request could not be sent"),
    Rule("throttled-429", _status(429), Action.THROTTLED, "HTTP 429 Too Many Requests"),
    Rule("canvas-403-throttle", _canvas_throttle, Action.THROTTLED, "HTTP 403 Forbidden (Rate Limit Exceeded)"),
    Rule(
        "canvas-401-not-permitted",
        _canvas_not_permitted,
        Action.DENIED,
        "HTTP 401 without a challenge: the user is not authorized for this action",
    ),
    Rule("unauthorized", _status(401), Action.AUTH, "HTTP 401: the credentials were rejected"),
    Rule("moodle-invalidtoken", _moodle_code("invalidtoken"), Action.AUTH, "Moodle says the token is invalid"),
    Rule(
        "moodle-accessexception",
        _moodle_code("accessexception"),
        Action.DENIED,
        "Moodle refused access (the token's service lacks this function or capability)",
    ),
    Rule("moodle-exception", _moodle_code(), Action.REMOTE_ERROR, "Moodle answered with an exception"),
    Rule("server-error", _status_range(500, 599), Action.RETRY, "the provider had a server error"),
    Rule("request-timeout", _status(408), Action.RETRY, "HTTP 408 Request Timeout"),
    Rule("forbidden", _status(403), Action.DENIED, "HTTP 403: the credentials lack a permission"),
    Rule("not-found", _status(404), Action.NOT_FOUND, "HTTP 404: not found"),
    Rule("client-error", _status_range(400, 499), Action.REJECTED, "the provider rejected the request"),
    Rule("success", _status_range(200, 299), Action.OK, "ok"),
    Rule("unexpected", lambda ex: True, Action.REJECTED, "the provider answered with an unexpected status"),
)


@dataclass(frozen=True)
class Verdict:
    """The matching rule and, for a Moodle error, its details."""

    rule: Rule
    moodle: tuple[str, str, str] | None = None

    @property
    def action(self) -> Action:
        return self.rule.action


def classify(ex: Exchange, rules: Iterable[Rule] = RULES) -> Verdict:
    """Run ``ex`` through the table."""
    for rule in rules:
        if rule.matches(ex):
            details = moodle_error(ex) if rule.action in (Action.AUTH, Action.DENIED, Action.REMOTE_ERROR) else None
            return Verdict(rule, details)
    raise AssertionError("the rule table ends with a catch-all")  # pragma: no cover


def redact_url(url: str) -> str:
    """``url`` with credential-bearing query parameters replaced by ``***``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact_text(url)
    if not parts.query:
        return url
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    cleaned = [(k, REDACTED if k.lower() in SECRET_PARAMS else v) for k, v in pairs]
    return urlunsplit(parts._replace(query=urlencode(cleaned, safe="[]*,:/")))


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with ``name=value`` credentials, Authorization header values and known secrets removed."""
    out = _SECRET_PARAM_RE.sub(lambda m: f"{m.group(1)}={REDACTED}", text)
    out = _AUTH_HEADER_RE.sub(lambda m: f"{m.group(1)}{REDACTED}", out)
    for secret in secrets:
        if secret and len(secret) >= 4:
            out = out.replace(secret, REDACTED)
    return out


def header_float(headers: Mapping[str, str], name: str) -> float | None:
    """A numeric header (``X-Rate-Limit-Remaining``) or None when absent or not a number."""
    value = headers.get(name)
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None
