"""The ``webhook`` sink: POST each outbox item as signed JSON to a receiver's URL.

Config::

    {"url": "https://lms.example.org/hooks/cebridge", "secret": "<shared secret>", "timeout": 10}

The body is ``{"id": <idempotency key>, "kind": ..., "created": <unix seconds>, "data": <payload>}``, signed as
:mod:`cebridge.sinks.signing` describes. Answers are classified for the outbox: 2xx delivered; timeouts,
connection errors, 408, 425, 429 and 5xx are :class:`~cebridge.errors.SinkUnavailable` (retried with backoff);
any other answer (4xx, a redirect) is :class:`~cebridge.errors.SinkRejected` (dead-lettered). Redirects are not
followed, so a signed payload never goes somewhere the configuration did not name. Messages name the host only,
never the path or query (which may hold a token) nor the secret.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from cebridge.errors import ConfigError, SinkRejected, SinkUnavailable
from cebridge.sinks.signing import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, sign

RETRIED_STATUSES = frozenset({408, 425, 429})
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class WebhookConfig(BaseModel):
    """A webhook receiver: its URL (https, or http only on the loopback interface) and the shared secret."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str
    secret: SecretStr = Field(min_length=1)
    timeout: float = Field(default=10.0, gt=0, le=120)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        parts = urlsplit(value)
        secure = parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS)
        if secure and parts.hostname:
            return value
        raise ValueError("the webhook url must be https:// (http:// only for 127.0.0.1 or localhost)")


class WebhookSink:
    """Entry point ``webhook`` in ``cebridge.sinks``."""

    def __init__(
        self,
        config: Mapping[str, Any],
        *,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        try:
            self.config = WebhookConfig.model_validate(dict(config))
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"]) or "(top level)"
            raise ConfigError(f"webhook sink config: at {where}: {err['msg']}") from None
        self._session = session or requests.Session()
        self._clock = clock
        self._host = urlsplit(self.config.url).netloc

    def __repr__(self) -> str:
        return f"WebhookSink(host={self._host!r})"

    def deliver(self, kind: str, payload: dict[str, Any], idempotency_key: str) -> None:
        now = int(self._clock())
        body = json.dumps(
            {"id": idempotency_key, "kind": kind, "created": now, "data": payload},
            separators=(",", ":"),
            sort_keys=True,
            default=str,
        ).encode("utf-8")
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(self.config.secret.get_secret_value(), body, now),
            DELIVERY_HEADER: idempotency_key,
            EVENT_HEADER: kind,
            "User-Agent": "cebridge-webhook/1",
        }
        try:
            response = self._session.post(
                self.config.url, data=body, headers=headers, timeout=self.config.timeout, allow_redirects=False
            )
        except requests.Timeout:
            raise SinkUnavailable(f"webhook {self._host} timed out after {self.config.timeout:g} s") from None
        except requests.RequestException as exc:
            raise SinkUnavailable(f"webhook {self._host} unreachable: {type(exc).__name__}") from None
        status = response.status_code
        if 200 <= status < 300:
            return
        if status >= 500 or status in RETRIED_STATUSES:
            raise SinkUnavailable(f"webhook {self._host} answered {status}; will retry")
        raise SinkRejected(f"webhook {self._host} refused the delivery with {status}")
