"""Platform public keys (JWKS), cached in memory and in the database, refetched when a kid is unknown.

Platforms rotate keys (D2L hourly; Canvas and Moodle less often): a launch signed with a kid the cache does not
hold triggers one refetch, rate-limited per key set URL so that a flood of tokens with made-up kids cannot
turn the tool into a request amplifier. Parsed keys are kept, so a launch does not re-parse the JWKS.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import Any

import requests
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from jwt.algorithms import RSAAlgorithm

from cebridge.store.db import SessionFactory, transaction
from cebridge.store.lti_tables import LtiPlatformKeySet
from lti_tool.errors import LaunchRejected

#: How long a fetched key set is trusted before a launch fetches it again even for a known kid.
MAX_AGE_SECONDS = 24 * 3600
#: At most one refetch per key set URL in this window when an unknown kid shows up.
REFETCH_INTERVAL_SECONDS = 10
FETCH_TIMEOUT_SECONDS = 10


@dataclass
class _KeySet:
    fetched_at: float
    checked_at: float
    keys: dict[str, tuple[str, RSAPublicKey]]


def parse_jwks(jwks: Any) -> dict[str, tuple[str, RSAPublicKey]]:
    """kid -> (alg, public key) for the RSA signing keys in a JWKS; other keys are skipped."""
    if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
        raise LaunchRejected("bad_platform_keys", "the platform's key set is not a JWKS ({'keys': [...]})", status=502)
    parsed: dict[str, tuple[str, RSAPublicKey]] = {}
    for jwk in jwks["keys"]:
        if not isinstance(jwk, dict) or jwk.get("kty") != "RSA" or not jwk.get("kid"):
            continue
        if jwk.get("use", "sig") != "sig":
            continue
        try:
            key = RSAAlgorithm.from_jwk(json.dumps(jwk))
        except Exception:  # noqa: S112 - a damaged key is skipped, not fatal: the others may still verify
            continue
        if isinstance(key, RSAPublicKey):
            parsed[str(jwk["kid"])] = (str(jwk.get("alg", "RS256")), key)
    return parsed


class PlatformKeys:
    """Finds the public key for (key set URL, kid), fetching the JWKS when needed."""

    def __init__(
        self,
        sessions: SessionFactory,
        http: requests.Session,
        *,
        max_age: float = MAX_AGE_SECONDS,
        refetch_interval: float = REFETCH_INTERVAL_SECONDS,
    ) -> None:
        self._sessions = sessions
        self._http = http
        self._max_age = max_age
        self._refetch_interval = refetch_interval
        self._sets: dict[str, _KeySet] = {}
        self._lock = threading.Lock()
        self.fetches = 0

    def key_for(self, key_set_url: str, kid: str) -> tuple[str, RSAPublicKey]:
        """(alg, key) for ``kid``; :class:`LaunchRejected` (401) when the platform does not publish it."""
        now = time.time()
        cached = self._sets.get(key_set_url) or self._load_stored(key_set_url)
        if cached is not None and now - cached.fetched_at < self._max_age and kid in cached.keys:
            return cached.keys[kid]
        if (
            cached is None
            or now - cached.checked_at >= self._refetch_interval
            or now - cached.fetched_at >= self._max_age
        ):
            cached = self._fetch(key_set_url)
        if kid not in cached.keys:
            raise LaunchRejected(
                "unknown_kid", "the message was signed with a key the platform does not publish", status=401
            )
        return cached.keys[kid]

    def forget(self, key_set_url: str | None = None) -> None:
        """Drop the in-memory cache (all of it, or one URL)."""
        with self._lock:
            if key_set_url is None:
                self._sets.clear()
            else:
                self._sets.pop(key_set_url, None)

    def _load_stored(self, key_set_url: str) -> _KeySet | None:
        with transaction(self._sessions, write=False) as session:
            row = session.get(LtiPlatformKeySet, key_set_url)
            if row is None:
                return None
            entry = _KeySet(fetched_at=row.fetched_at, checked_at=row.fetched_at, keys=parse_jwks(row.jwks))
        with self._lock:
            self._sets[key_set_url] = entry
        return entry

    def _fetch(self, key_set_url: str) -> _KeySet:
        self.fetches += 1
        try:
            response = self._http.get(key_set_url, timeout=FETCH_TIMEOUT_SECONDS)
        except requests.RequestException as exc:
            self._mark_checked(key_set_url)
            raise LaunchRejected(
                "platform_keys_unavailable",
                f"the platform's key set could not be fetched ({type(exc).__name__})",
                status=502,
            ) from None
        if response.status_code != 200:
            self._mark_checked(key_set_url)
            raise LaunchRejected(
                "platform_keys_unavailable",
                f"the platform's key set answered HTTP {response.status_code}",
                status=502,
            )
        try:
            jwks = response.json()
        except ValueError:
            self._mark_checked(key_set_url)
            raise LaunchRejected("bad_platform_keys", "the platform's key set is not JSON", status=502) from None
        keys = parse_jwks(jwks)
        now = time.time()
        entry = _KeySet(fetched_at=now, checked_at=now, keys=keys)
        with transaction(self._sessions) as session:
            row = session.get(LtiPlatformKeySet, key_set_url)
            if row is None:
                session.add(LtiPlatformKeySet(key_set_url=key_set_url, jwks=jwks, fetched_at=int(now)))
            else:
                row.jwks = jwks
                row.fetched_at = int(now)
        with self._lock:
            self._sets[key_set_url] = entry
        return entry

    def _mark_checked(self, key_set_url: str) -> None:
        with self._lock:
            entry = self._sets.get(key_set_url)
            if entry is not None:
                entry.checked_at = time.time()
