"""A minimal paged completions provider on 127.0.0.1 and a connector that reads it.

The server generates records deterministically (record ``i`` is learner ``i % learners`` finishing course
``i % courses``), can serve pages slowly, fail at a page, and carry corrections or revocations, so tests and the
benchmark can drive the whole pipeline over real HTTP. The connector is configured by ``module:Class``
(``tests.integration.provider:PagedConnector``), as an unpackaged connector may be.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import requests
from pydantic import SecretStr

from cebridge.domain.records import CompletionRecord
from cebridge.errors import AuthenticationError, ProviderUnavailable
from connectors.base import Batch, CheckResult, Connector, ConnectorConfig, Stream

EPOCH = datetime(2024, 1, 10, 15, 0, tzinfo=UTC)


class Site:
    """What the provider knows; tests change ``overrides`` and ``faults`` while it serves."""

    def __init__(self, n: int, *, learners: int = 50, courses: int = 5, source: str = "lms.test") -> None:
        self.n, self.learners, self.courses, self.source = n, learners, courses, source
        self.delay = 0.0
        self.fail_at_page: int | None = None
        self.hang_at_page: int | None = None
        self.token: str | None = None
        self.overrides: dict[int, dict[str, Any]] = {}
        self.pages_served = 0

    def record(self, i: int) -> dict[str, Any]:
        learner = i % self.learners
        rec = {
            "source": self.source,
            "external_id": f"r{i}",
            "learner": {"platform_user_id": f"u{learner}", "email": f"learner{learner}@example.org"},
            "course": {"external_id": f"course-{i % self.courses}"},
            "status": "completed",
            "completed_at": (EPOCH + timedelta(hours=i % 5000)).isoformat(),
            "raw": {"id": i, "grade": "A"},
        }
        rec.update(self.overrides.get(i, {}))
        return rec


class _Handler(BaseHTTPRequestHandler):
    site: Site

    def log_message(self, *args: Any) -> None:  # keep test output clean
        return

    def do_GET(self) -> None:
        site = self.site
        url = urlparse(self.path)
        if site.token and self.headers.get("Authorization") != f"Bearer {site.token}":
            self._send(401, {"error": "unauthenticated"})
            return
        query = parse_qs(url.query)
        page = int(query.get("page", ["0"])[0])
        per_page = int(query.get("per_page", ["100"])[0])
        if site.hang_at_page is not None and page >= site.hang_at_page:
            time.sleep(30)
            return
        if site.fail_at_page is not None and page >= site.fail_at_page:
            self._send(503, {"error": "maintenance"})
            return
        if site.delay:
            time.sleep(site.delay)
        start = page * per_page
        records = [site.record(i) for i in range(start, min(start + per_page, site.n))]
        site.pages_served += 1
        self._send(200, {"records": records, "next": page + 1 if start + per_page < site.n else None})

    def _send(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass


class ProviderServer:
    """A :class:`Site` served over HTTP on 127.0.0.1 (port 0) in a daemon thread."""

    def __init__(self, site: Site) -> None:
        handler = type("Handler", (_Handler,), {"site": site})
        self.site = site
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/completions"

    def __enter__(self) -> ProviderServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class PagedConfig(ConnectorConfig):
    url: str
    per_page: int = 100
    timeout: float = 5.0
    token: SecretStr | None = None


class _Completions(Stream):
    name = "completions"
    cursor_field = "page"

    def __init__(self, connector: PagedConnector) -> None:
        self.connector = connector

    def read(self, state: Mapping[str, Any]) -> Iterator[Batch]:
        page: int | None = int(self.own_state(state).get("page") or 0)
        http = requests.Session()
        config = self.connector.cfg
        headers = {"Authorization": f"Bearer {config.token.get_secret_value()}"} if config.token else {}
        while page is not None:
            try:
                resp = http.get(
                    config.url,
                    params={"page": page, "per_page": config.per_page},
                    timeout=config.timeout,
                    headers=headers,
                )
            except requests.RequestException as exc:
                raise ProviderUnavailable(f"provider did not answer page {page}: {type(exc).__name__}") from None
            if resp.status_code == 401:
                raise AuthenticationError("provider rejected the credentials in field 'token'")
            if resp.status_code >= 500:
                raise ProviderUnavailable(f"provider answered {resp.status_code} for page {page}")
            body = resp.json()
            records = [CompletionRecord.model_validate(r) for r in body["records"]]
            # At the end the cursor stays on the last page, so the next run re-reads it and goes on from there.
            following = body["next"]
            yield self.batch(records, state, {"page": following if following is not None else page})
            page = following


class PagedConnector(Connector):
    name = "paged"
    title = "Paged test provider"
    config_model = PagedConfig

    @property
    def cfg(self) -> PagedConfig:
        assert isinstance(self.config, PagedConfig)
        return self.config

    def check(self) -> CheckResult:
        return CheckResult(True, "ok")

    def streams(self) -> list[Stream]:
        return [_Completions(self)]
