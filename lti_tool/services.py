"""Calls to a platform's LTI Advantage services (AGS, NRPS) with OAuth2 client-credentials tokens.

A pylti1p3 ``ServiceConnector`` with the defects measured in lti.md §3 fixed:

* access tokens are cached per (issuer, **client id**, scopes) until shortly before they expire, in a cache
  shared by every connector of the process (pylti1p3next keys by issuer and scopes only, so two Canvas
  registrations got each other's tokens);
* ``Link`` headers are parsed per RFC 8288: ``rel=next`` quoted or not, in any case, among several links,
  and the URL's own case is kept (pylti1p3 2.0.0 lower-cases it and needs the quotes);
* a 401 drops the cached token and retries once; timeouts and 5xx are :class:`ServiceUnavailable`.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import requests
from pylti1p3.service_connector import ServiceConnector, TServiceConnectorResponse

from cebridge.errors import LtiError
from cebridge.keys import SigningKey
from lti_tool.registry import PlatformRecord, to_pylti_registration

TIMEOUT_SECONDS = 20
#: Seconds before a token's stated expiry at which the tool stops using it.
EXPIRY_MARGIN_SECONDS = 30


class ServiceError(LtiError):
    """A platform service call failed; ``status`` is the platform's HTTP status (0 when none)."""

    def __init__(self, message: str, *, status: int = 0) -> None:
        super().__init__(message, user_message="the learning platform refused or could not answer a request")
        self.status = status
        self.status_code = 502


class ServiceUnavailable(ServiceError):
    """A passing fault: timeout, connection error, 429 or 5xx. Worth retrying later."""


class TokenCache:
    """Access tokens by (issuer, client id, scopes), thread-safe, dropped shortly before expiry."""

    def __init__(self) -> None:
        self._tokens: dict[tuple[str, str, str], tuple[str, float]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def key(issuer: str, client_id: str, scopes: Sequence[str]) -> tuple[str, str, str]:
        return issuer, client_id, hashlib.sha256(" ".join(sorted(scopes)).encode()).hexdigest()

    def get(self, key: tuple[str, str, str]) -> str | None:
        with self._lock:
            entry = self._tokens.get(key)
            if entry is None or entry[1] <= time.time():
                self._tokens.pop(key, None)
                return None
            return entry[0]

    def put(self, key: tuple[str, str, str], token: str, expires_in: float) -> None:
        with self._lock:
            self._tokens[key] = (token, time.time() + max(0.0, expires_in - EXPIRY_MARGIN_SECONDS))

    def drop(self, key: tuple[str, str, str]) -> None:
        with self._lock:
            self._tokens.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._tokens.clear()


#: The process-wide token cache.
TOKENS = TokenCache()

_LINK = re.compile(r"<([^>]*)>\s*((?:;\s*[^;,]+)*)")
_PARAM = re.compile(r";\s*([^=;,\s]+)\s*=\s*(\"[^\"]*\"|[^;,\s]+)")


def next_link(header: str | None) -> str | None:
    """The ``rel=next`` URL of a Link header (quoted or bare, any case), or None."""
    if not header:
        return None
    for match in _LINK.finditer(header.replace("\n", " ")):
        for name, value in _PARAM.findall(match.group(2)):
            if name.lower() == "rel" and "next" in value.strip('"').lower().split():
                return match.group(1).strip()
    return None


@dataclass(frozen=True)
class ServiceResponse:
    """What a service call returned."""

    status: int
    body: Any
    headers: dict[str, str]
    next_url: str | None


class ServiceClient(ServiceConnector):
    """Service calls for one platform registration, signed with the tool's key."""

    def __init__(
        self, platform: PlatformRecord, key: SigningKey, http: requests.Session, tokens: TokenCache = TOKENS
    ) -> None:
        super().__init__(to_pylti_registration(platform, None), http)
        self.platform = platform
        self._key = key
        self._tokens = tokens

    def get_access_token(self, scopes: Sequence[str]) -> str:
        cache_key = self._tokens.key(self.platform.issuer, self.platform.client_id, scopes)
        cached = self._tokens.get(cache_key)
        if cached:
            return cached
        now = int(time.time())
        assertion = self._key.sign(
            {
                "iss": self.platform.client_id,
                "sub": self.platform.client_id,
                "aud": self.platform.auth_audience or self.platform.auth_token_url,
                "iat": now - 5,
                "exp": now + 60,
                "jti": "cebridge-" + uuid.uuid4().hex,
            }
        )
        form = {
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion,
            "scope": " ".join(scopes),
        }
        response = self._send("POST", self.platform.auth_token_url, data=form)
        if response.status_code != 200:
            raise _error(response, "token request")
        try:
            body = response.json()
            token = str(body["access_token"])
            expires_in = float(body.get("expires_in", 3600))
        except (ValueError, KeyError, TypeError):
            raise ServiceError("the token endpoint answered without an access_token", status=200) from None
        self._tokens.put(cache_key, token, expires_in)
        return token

    def call(
        self,
        method: str,
        url: str,
        scopes: Sequence[str],
        *,
        json_body: Any = None,
        content_type: str = "application/json",
        accept: str = "application/json",
    ) -> ServiceResponse:
        """One service request with a bearer token (retried once with a fresh token after a 401)."""
        for attempt in (1, 2):
            token = self.get_access_token(scopes)
            headers = {"Authorization": "Bearer " + token, "Accept": accept}
            if json_body is not None:
                headers["Content-Type"] = content_type
            response = self._send(method, url, json=json_body, headers=headers)
            if response.status_code == 401 and attempt == 1:
                self._tokens.drop(self._tokens.key(self.platform.issuer, self.platform.client_id, scopes))
                continue
            break
        if response.status_code >= 400:
            raise _error(response, f"{method} {_path(url)}")
        body: Any = None
        if response.content:
            try:
                body = response.json()
            except ValueError:
                raise ServiceError(f"{method} {_path(url)} answered with a body that is not JSON") from None
        return ServiceResponse(
            status=response.status_code,
            body=body,
            headers=dict(response.headers),
            next_url=next_link(response.headers.get("Link")),
        )

    def make_service_request(
        self,
        scopes: Sequence[str],
        url: str,
        is_post: bool = False,
        data: str | None = None,
        content_type: str = "application/json",
        accept: str = "application/json",
        case_insensitive_headers: bool = False,
    ) -> TServiceConnectorResponse:
        """pylti1p3's entry point (used by its NRPS/AGS helpers), with the fixed paging and token cache."""
        import json

        body = json.loads(data) if (is_post and data) else None
        resp = self.call(
            "POST" if is_post else "GET", url, scopes, json_body=body, content_type=content_type, accept=accept
        )
        return {"headers": resp.headers, "body": resp.body, "next_page_url": resp.next_url}

    def _send(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        try:
            return self._requests_session.request(method, url, timeout=TIMEOUT_SECONDS, **kwargs)
        except requests.RequestException as exc:
            raise ServiceUnavailable(f"{method} {_path(url)} failed: {type(exc).__name__}") from None


def _path(url: str) -> str:
    """The URL without its query (queries may carry opaque platform tokens)."""
    return url.split("?", 1)[0]


def _error(response: requests.Response, what: str) -> ServiceError:
    status = response.status_code
    detail = response.text[:200].replace("\n", " ") if response.text else ""
    message = f"{what} answered HTTP {status}" + (f": {detail}" if detail else "")
    if status == 429 or status >= 500:
        return ServiceUnavailable(message, status=status)
    return ServiceError(message, status=status)
