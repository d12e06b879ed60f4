"""A small threaded JSON server on 127.0.0.1 (port 0) that the demo's provider fakes answer through.

Kept inside the package (not ``examples/providers/``, which tests and benchmarks use from a checkout) so that
``cebridge demo`` runs from an installed package.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Request:
    """What a handler sees of one request: path, query and form fields (merged), headers."""

    method: str
    path: str
    params: dict[str, list[str]]
    headers: dict[str, str]

    def one(self, name: str, default: str = "") -> str:
        values = self.params.get(name)
        return values[-1] if values else default

    def many(self, name: str) -> list[str]:
        return list(self.params.get(name, []))


@dataclass
class Reply:
    """A JSON answer."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Request], Reply]


class LoopbackServer:
    """Serve ``handler`` on 127.0.0.1 in a daemon thread; ``url`` is known once constructed."""

    def __init__(self, handler: Handler) -> None:
        self.requests = 0

        outer = self

        class _Http(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                return None

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                params = parse_qs(parts.query, keep_blank_values=True)
                if self.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
                    for key, values in parse_qs(raw.decode("utf-8"), keep_blank_values=True).items():
                        params.setdefault(key, []).extend(values)
                outer.requests += 1
                reply = handler(Request(self.command, parts.path, params, dict(self.headers.items())))
                payload = json.dumps(reply.body, separators=(",", ":")).encode("utf-8")
                try:
                    self.send_response(reply.status)
                    for key, value in {"Content-Type": "application/json; charset=utf-8", **reply.headers}.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

            do_GET = _serve
            do_POST = _serve

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Http)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="demo-provider", daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> LoopbackServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
