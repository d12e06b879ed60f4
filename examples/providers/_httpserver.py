"""A tiny threaded HTTP/1.1 server on 127.0.0.1 with scripted faults, shared by the provider fakes.

Faults are consumed in order, first match wins; each fires ``times`` times::

    server.faults.add(r"/enrollments", "status", status=429, headers={"Retry-After": "1"})
    server.faults.add(r"/bulk_user_progress", "drop")        # close the connection, no answer
    server.faults.add(r"/courses/1$", "delay", seconds=2)    # answer late (the client times out)
    server.faults.add(r"/users", "truncate")                 # promise N bytes, send fewer, close
    server.faults.add(r"/users", "malformed")                # HTTP 200 with a body that is not JSON
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["Fault", "FaultPlan", "LoopbackServer", "Request", "Response"]


@dataclass
class Fault:
    pattern: str
    kind: str
    times: int = 1
    status: int = 500
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    fired: int = 0


class FaultPlan:
    """Scripted faults; thread-safe."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, pattern: str, kind: str, *, times: int = 1, **kw: Any) -> Fault:
        if kind not in {"status", "drop", "delay", "truncate", "malformed"}:
            raise ValueError(f"unknown fault kind {kind!r}")
        body = kw.pop("body", b"")
        fault = Fault(pattern, kind, times, body=body.encode() if isinstance(body, str) else body, **kw)
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, path_and_query: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.fired < fault.times and re.search(fault.pattern, path_and_query):
                    fault.fired += 1
                    return fault
        return None

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    raw_path: str

    def one(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default


@dataclass
class Response:
    status: int = 200
    body: Any = None  # JSON-able, or bytes for a raw body
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body, separators=(",", ":")).encode()


Handler = Callable[[Request, "LoopbackServer"], Response]


class LoopbackServer:
    """Serve ``handler`` on 127.0.0.1 (port 0: the OS picks a free one) in a background thread."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.faults = FaultPlan()
        self.log: list[Request] = []
        self._log_lock = threading.Lock()
        outer = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes; without TCP_NODELAY, Nagle + delayed ACK add ~40 ms each.
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return None

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                query = parse_qs(parts.query, keep_blank_values=True)
                if self.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
                    for k, v in parse_qs(body.decode(), keep_blank_values=True).items():
                        query.setdefault(k, []).extend(v)
                req = Request(self.command, parts.path, query, dict(self.headers.items()), body, self.path)
                with outer._log_lock:
                    outer.log.append(req)
                fault = outer.faults.take(self.path)
                if fault is not None and fault.kind == "drop":
                    self.close_connection = True
                    self.connection.close()
                    return
                if fault is not None and fault.kind == "delay":
                    time.sleep(fault.seconds)
                if fault is not None and fault.kind == "status":
                    resp = Response(fault.status, fault.body, dict(fault.headers))
                elif fault is not None and fault.kind == "malformed":
                    resp = Response(200, b'[{"id": 1, "progress": {', {"Content-Type": "application/json"})
                else:
                    resp = outer.handler(req, outer)
                payload = resp.encoded()
                try:
                    self.send_response(resp.status)
                    headers = {"Content-Type": "application/json; charset=utf-8", **resp.headers}
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    if fault is not None and fault.kind == "truncate":
                        self.wfile.write(payload[: max(1, len(payload) // 2)])
                        self.wfile.flush()
                        self.close_connection = True
                        self.connection.close()
                        return
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

            do_GET = _serve
            do_POST = _serve
            do_PUT = _serve

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="loopback-provider", daemon=True
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

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def requests_to(self, pattern: str) -> list[Request]:
        with self._log_lock:
            return [r for r in self.log if re.search(pattern, r.raw_path)]
