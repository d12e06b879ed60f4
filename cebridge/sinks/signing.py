"""Webhook signatures: HMAC-SHA256 over a timestamp and the body, and the check a receiver runs.

The sender adds::

    Cebridge-Signature: t=1767225600,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd
    Cebridge-Delivery: <idempotency key>

``v1`` is ``hex(HMAC-SHA256(secret, f"{t}.{body}"))``; the body (JSON) repeats the delivery id, so the id is
signed too. A receiver calls :func:`verify_webhook`: it rejects a bad signature, a timestamp outside the
tolerance (default five minutes, either way), and a delivery id it has already accepted (replay). While a
secret is being rotated the header may carry several ``v1`` values; any one matching is enough.

Only the standard library is used, so receivers can copy this module as it is.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Mapping
from typing import Any, Protocol

from cebridge.errors import CebridgeError

SIGNATURE_HEADER = "Cebridge-Signature"
DELIVERY_HEADER = "Cebridge-Delivery"
EVENT_HEADER = "Cebridge-Event"
DEFAULT_TOLERANCE = 300


class WebhookVerificationError(CebridgeError):
    """The request is not a fresh, genuine cebridge delivery (answer 400; never act on it)."""


def _secret_bytes(secret: str | bytes) -> bytes:
    return secret if isinstance(secret, bytes) else secret.encode("utf-8")


def sign(secret: str | bytes, body: bytes, timestamp: int) -> str:
    """The signature header value for ``body`` sent at ``timestamp`` (Unix seconds)."""
    mac = hmac.new(_secret_bytes(secret), f"{timestamp}.".encode("ascii") + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


class ReplayGuard(Protocol):
    """Remembers accepted delivery ids for at least the tolerance window."""

    def first_time(self, delivery_id: str, now: float) -> bool:
        """True (and remember it) the first time an id is seen; False afterwards."""


class MemoryReplayGuard:
    """A thread-safe in-process :class:`ReplayGuard`; ids are forgotten after ``ttl`` seconds.

    Use a shared store (a database unique key, Redis ``SET NX EX``) when several processes receive.
    """

    def __init__(self, ttl: float = 2 * DEFAULT_TOLERANCE) -> None:
        self._ttl = ttl
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def first_time(self, delivery_id: str, now: float) -> bool:
        with self._lock:
            for key in [k for k, expiry in self._seen.items() if expiry <= now]:
                del self._seen[key]
            if delivery_id in self._seen:
                return False
            self._seen[delivery_id] = now + self._ttl
            return True


def _parse(header: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    macs: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1" and value:
            macs.append(value)
    if timestamp is None or not macs:
        raise WebhookVerificationError("the signature header is not 't=<seconds>,v1=<hex>'")
    return timestamp, macs


def verify_webhook(
    secret: str | bytes,
    body: bytes,
    headers: Mapping[str, str],
    *,
    guard: ReplayGuard | None = None,
    tolerance: int = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> dict[str, Any]:
    """Check a delivery and return its parsed body; raise :class:`WebhookVerificationError` otherwise.

    ``headers`` may be any mapping; names are matched case-insensitively.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    header = lowered.get(SIGNATURE_HEADER.lower())
    if not header:
        raise WebhookVerificationError(f"the {SIGNATURE_HEADER} header is missing")
    timestamp, macs = _parse(header)
    expected = sign(secret, body, timestamp).split("v1=", 1)[1]
    if not any(hmac.compare_digest(expected, mac) for mac in macs):
        raise WebhookVerificationError("the signature does not match the body")
    moment = time.time() if now is None else now
    if abs(moment - timestamp) > tolerance:
        raise WebhookVerificationError(f"the timestamp is more than {tolerance} seconds from now")
    try:
        data = json.loads(body)
    except ValueError:
        raise WebhookVerificationError("the body is not JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        raise WebhookVerificationError("the body carries no delivery id")
    delivery = lowered.get(DELIVERY_HEADER.lower())
    if delivery is not None and delivery != data["id"]:
        raise WebhookVerificationError("the delivery header does not match the signed delivery id")
    if guard is not None and not guard.first_time(data["id"], moment):
        raise WebhookVerificationError(f"delivery {data['id']} was already received (replay)")
    return data
