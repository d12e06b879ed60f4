"""Serve WSGI apps on 127.0.0.1 (port 0) in a thread, for behaviour that must cross a real socket."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server


class LateApp:
    """A WSGI app whose target is set after the server has its port (the app needs its own URL)."""

    def __init__(self) -> None:
        self.target: Callable[..., Iterable[bytes]] | None = None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        assert self.target is not None, "app not set"
        return self.target(environ, start_response)


class Served:
    """A running server: ``url``, and ``stop()``."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.app = LateApp()
        self._server: BaseWSGIServer = make_server(host, 0, self.app, threaded=True)
        self.port = self._server.server_port
        self.url = f"http://{host}:{self.port}"
        self._thread = threading.Thread(target=lambda: self._server.serve_forever(poll_interval=0.02), daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
