"""The one HTTP layer every connector uses: a ``requests.Session`` per connector, timeouts on every request,
bounded retries with exponential backoff and jitter, ``Retry-After`` and rate-limit headers honoured, and every
answer classified by the table in :mod:`connectors.errors`.

The sleep function, the random source and the clock are injectable so tests of backoff run instantly and
deterministically.
"""

from __future__ import annotations

import email.utils
import json
import logging
import os
import random
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import requests
from pydantic import Field, field_validator

from cebridge.errors import (
    AuthenticationError,
    ProviderContractError,
    ProviderUnavailable,
    RateLimited,
)
from connectors import transport
from connectors.base import ConnectorConfig
from connectors.errors import (
    RULES,
    Action,
    Exchange,
    PermissionDenied,
    ProviderRequestError,
    RemoteNotFound,
    Rule,
    Verdict,
    classify,
    header_float,
    redact_text,
    redact_url,
)

__all__ = ["HttpClient", "HttpConfig", "RetryPolicy", "parse_retry_after"]

logger = logging.getLogger(__name__)

USER_AGENT = "cebridge-connectors/0.1 (+https://github.com/cebridge)"


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try.

    ``max_retries`` bounds the retries of one request (so at most ``max_retries + 1`` attempts). Backoff is
    ``min(backoff_cap, backoff_base * 2**n)`` with "equal jitter" (half fixed, half random). A ``Retry-After``
    longer than ``max_retry_after`` is not waited out in-process: it raises :class:`RateLimited` so the
    scheduler can come back later. When ``X-Rate-Limit-Remaining`` falls under ``low_remaining`` the client
    pauses up to ``slow_down`` seconds before its next request (Canvas's leaky bucket refills at ~10/s).
    """

    max_retries: int = 5
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    max_retry_after: float = 300.0
    low_remaining: float = 100.0
    slow_down: float = 2.0


class HttpConfig(ConnectorConfig):
    """Settings every HTTP connector shares: where the provider is and how patient to be with it."""

    base_url: str = Field(description="Root URL of the provider, e.g. https://canvas.example.edu")
    timeout_seconds: float = Field(default=30.0, gt=0, le=600, description="Per-request read timeout")
    connect_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    max_retries: int = Field(default=5, ge=0, le=20, description="Retries of one request before giving up")
    backoff_base_seconds: float = Field(default=0.5, gt=0, le=60, description="First retry waits about this long")

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")) or len(value.split("://", 1)[1].strip("/")) == 0:
            raise ValueError("must be an http:// or https:// URL with a host")
        if "?" in value or "#" in value:
            raise ValueError("must not carry a query string or fragment (put credentials in their own field)")
        return value.rstrip("/")

    def retry_policy(self) -> RetryPolicy:
        """The retry policy these settings ask for."""
        return RetryPolicy(max_retries=self.max_retries, backoff_base=self.backoff_base_seconds)

    def timeouts(self) -> tuple[float, float]:
        """``(connect, read)`` timeouts for requests."""
        return (self.connect_timeout_seconds, self.timeout_seconds)


def parse_retry_after(value: str | None, *, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date), or None."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - now)


class HttpClient:
    """A per-connector HTTP client.

    ``provider`` names the remote in messages ("Canvas at canvas.example.edu"); ``auth_field`` is the config
    field holding the credential, named when it is rejected; ``secrets`` are scrubbed from every message.
    """

    def __init__(
        self,
        *,
        provider: str,
        auth_field: str,
        session: requests.Session | None = None,
        headers: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | tuple[float, float] = (10.0, 60.0),
        policy: RetryPolicy | None = None,
        secrets: Iterable[str] = (),
        sleep: Callable[[float], None] = time.sleep,
        rand: Callable[[], float] = random.random,
        clock: Callable[[], float] = time.time,
        rules: tuple[Rule, ...] = RULES,
        base_url: str | None = None,
    ) -> None:
        self.provider = provider
        self.auth_field = auth_field
        self._owns_session = session is None
        self.session = session if session is not None else requests.Session()
        if self._owns_session and base_url:
            _settle_environment(self.session, base_url)
        self._headers = {"User-Agent": USER_AGENT, "Accept": "application/json", **dict(headers or {})}
        self._auth = auth
        self.timeout = timeout
        self.policy = policy or RetryPolicy()
        self._secrets = tuple(s for s in secrets if s)
        #: The sleep function (public so a test can count or skip the waits).
        self.sleep = sleep
        self._rand = rand
        self._clock = clock
        self._rules = rules
        self._pause = 0.0
        #: Counters for tests and logs: requests sent, retries done, seconds slept.
        self.stats = {"requests": 0, "retries": 0, "slept": 0.0}

    def close(self) -> None:
        """Close the session if this client created it."""
        if self._owns_session:
            self.session.close()

    # -- the one chokepoint ---------------------------------------------------------------------------

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
        data: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
        accept: Collection[int] = (),
    ) -> requests.Response:
        """Send one request, retrying passing faults; return the response or raise a classified error.

        Statuses in ``accept`` are returned as they are, for the caller to read (Canvas answers 400 with an
        ``error`` object when a course has no progress to report).
        """
        attempt = 0
        merged = {**self._headers, **headers} if headers else self._headers
        while True:
            if self._pause > 0:
                self._do_sleep(self._pause)
                self._pause = 0.0
            ex = self._send(method, url, params=params, data=data, headers=merged)
            if ex.response is not None:
                self._note_rate_headers(ex.response)
                if ex.response.status_code in accept:
                    return ex.response
            verdict = classify(ex, self._rules)
            if verdict.action is Action.OK:
                assert ex.response is not None
                return ex.response
            if verdict.action in (Action.RETRY, Action.THROTTLED):
                wait = self._wait_before_retry(verdict, ex, attempt, url)
                attempt += 1
                self.stats["retries"] += 1
                logger.warning(
                    "%s: %s %s: %s; retry %d/%d in %.2fs",
                    self.provider,
                    method,
                    self._safe_url(url),
                    verdict.rule.reason,
                    attempt,
                    self.policy.max_retries,
                    wait,
                )
                self._do_sleep(wait)
                continue
            raise self._fatal(verdict, ex, method, url)

    def get_json(
        self,
        url: str,
        *,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
        accept: Collection[int] = (),
    ) -> tuple[Any, requests.Response]:
        """GET ``url`` and parse the body as JSON; a body that is not JSON is a ProviderContractError."""
        response = self.request("GET", url, params=params, accept=accept)
        return self.parse_json(response), response

    def parse_json(self, response: requests.Response) -> Any:
        """The response body as JSON, or a :class:`ProviderContractError` naming the URL (redacted)."""
        try:
            return json.loads(response.content)
        except ValueError:
            ctype = response.headers.get("Content-Type", "no content type")
            raise ProviderContractError(
                f"{self.provider}: {self._safe_url(response.url)} answered HTTP {response.status_code} "
                f"with a body that is not JSON ({len(response.content)} bytes, {ctype})"
            ) from None

    # -- helpers --------------------------------------------------------------------------------------

    def _send(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None,
        data: Mapping[str, Any] | list[tuple[str, Any]] | None,
        headers: Mapping[str, str],
    ) -> Exchange:
        self.stats["requests"] += 1
        try:
            prepared = transport.prepare(
                self.session, method, url, params=params, data=data, headers=headers, auth=self._auth
            )
            response = transport.send(self.session, prepared, timeout=self.timeout)
            # Read the whole body now so a connection dropped mid-body is a transport fault, retried here.
            _ = response.content
        except requests.RequestException as exc:
            return Exchange(error=exc)
        return Exchange(response=response)

    def _note_rate_headers(self, response: requests.Response) -> None:
        remaining = header_float(response.headers, "X-Rate-Limit-Remaining")
        if remaining is None or response.status_code in (403, 429):
            return
        low = self.policy.low_remaining
        if remaining < low and low > 0:
            self._pause = self.policy.slow_down * (1.0 - max(0.0, remaining) / low)

    def _backoff(self, attempt: int) -> float:
        delay = min(self.policy.backoff_cap, self.policy.backoff_base * float(2**attempt))
        return delay / 2 + self._rand() * delay / 2

    def _wait_before_retry(self, verdict: Verdict, ex: Exchange, attempt: int, url: str) -> float:
        throttled = verdict.action is Action.THROTTLED
        if attempt >= self.policy.max_retries:
            what = "kept throttling" if throttled else "kept failing"
            message = (
                f"{self.provider} {what} after {attempt + 1} attempts at {self._safe_url(url)}: "
                f"{verdict.rule.reason}{self._error_detail(ex)}"
            )
            raise (RateLimited(message) if throttled else ProviderUnavailable(message))
        wait = self._backoff(attempt)
        if ex.response is not None:
            retry_after = parse_retry_after(ex.response.headers.get("Retry-After"), now=self._clock())
            if retry_after is not None:
                if retry_after > self.policy.max_retry_after:
                    raise RateLimited(
                        f"{self.provider} asks to wait {retry_after:.0f}s before the next request "
                        f"(more than the {self.policy.max_retry_after:.0f}s this client waits in-process)"
                    )
                wait = max(wait, retry_after)
        return wait

    def _fatal(self, verdict: Verdict, ex: Exchange, method: str, url: str) -> Exception:
        status = ex.status
        code = verdict.moodle[1] if verdict.moodle else None
        where = f"{method} {self._safe_url(url)}"
        detail = self._error_detail(ex)
        if verdict.action is Action.AUTH:
            msg = (
                f"{self.provider} rejected the credentials in config field {self.auth_field!r} ({verdict.rule.reason})"
            )
            return AuthenticationError(f"{msg}; {where}{detail}", user_message=msg)
        if verdict.action is Action.DENIED:
            return PermissionDenied(
                f"{self.provider}: the credentials in config field {self.auth_field!r} lack a permission "
                f"for {where} ({verdict.rule.reason}){detail}",
                status=status,
                code=code,
            )
        if verdict.action is Action.NOT_FOUND:
            return RemoteNotFound(f"{self.provider}: {where} was not found{detail}", status=status, code=code)
        return ProviderRequestError(
            f"{self.provider}: {where}: {verdict.rule.reason}{detail}", status=status, code=code
        )

    def _error_detail(self, ex: Exchange) -> str:
        if ex.error is not None:
            return f" ({type(ex.error).__name__}: {redact_text(str(ex.error), self._secrets)[:300]})"
        if ex.response is None:
            return ""
        err = ex.json_object()
        if isinstance(err, dict) and "errorcode" in err:
            text = f"{err.get('errorcode')}: {err.get('message', '')}"
        else:
            text = _canvas_error_text(ex.response)
        text = redact_text(text, self._secrets)[:300]
        return f" (HTTP {ex.response.status_code}: {text})" if text else f" (HTTP {ex.response.status_code})"

    def _safe_url(self, url: str) -> str:
        return redact_text(redact_url(url), self._secrets)

    def _do_sleep(self, seconds: float) -> None:
        self.stats["slept"] += seconds
        self.sleep(seconds)


def _settle_environment(session: requests.Session, base_url: str) -> None:
    """Read proxy and CA-bundle settings from the environment once, for the one host this session talks to.

    requests otherwise re-reads the environment on every request (``trust_env``), which costs more than
    parsing a 100-record page. The result is the same: the proxies for this URL (``no_proxy`` honoured) and
    ``REQUESTS_CA_BUNDLE`` / ``CURL_CA_BUNDLE``.
    """
    session.proxies.update(requests.utils.get_environ_proxies(base_url))
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle:
        session.verify = bundle
    session.trust_env = False


def _canvas_error_text(response: requests.Response) -> str:
    """The ``errors[].message`` of a Canvas error body, or the first line of a short text body."""
    body = response.content[:2048]
    try:
        obj = json.loads(body)
    except ValueError:
        line = body.decode("utf-8", "replace").strip().splitlines()
        return line[0][:200] if line else ""
    if isinstance(obj, dict):
        errors = obj.get("errors")
        if isinstance(errors, list):
            return "; ".join(str(e.get("message", "")) for e in errors if isinstance(e, dict))
        if isinstance(errors, dict):
            return "; ".join(f"{k}: {v}" for k, v in errors.items())
        error = obj.get("error")
        if isinstance(error, dict):
            return str(error.get("message", ""))
        if isinstance(obj.get("message"), str):
            return str(obj["message"])
    return ""
