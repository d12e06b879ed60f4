"""``cebridge demo --serve``: the tool, its dashboard and the built-in LTI platform page on one server.

The socket is bound first (``--port 0`` picks a free port), so the tool's base URL is known before the demo
issues certificates (their verification links) and registers the platform. While serving, a worker thread
queues and delivers grade passback every few seconds.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask
from sqlalchemy import select
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from cebridge.config import Settings
from cebridge.demo import data, platform, platform_routes
from cebridge.demo.gradebook import DemoWorker
from cebridge.demo.run import Emit, deliver_all, sink_loader
from cebridge.errors import ConfigError
from cebridge.keys import keystore_for
from cebridge.store.db import make_engine, session_factory, transaction
from cebridge.store.tables import Offering, Provider


class _LateApp:
    """The WSGI app behind the bound socket, set once the app is built (it needs the socket's URL)."""

    def __init__(self) -> None:
        self.target: Flask | None = None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if self.target is None:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain"), ("Retry-After", "2")])
            return [b"the demo is still setting up; reload in a moment\n"]
        return self.target(environ, start_response)


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


class DemoServer:
    """A bound server whose settings carry its own URL as the tool's base URL; ``quiet`` drops the access log."""

    def __init__(
        self, settings: Settings, host: str, port: int, *, quiet: bool = False, worker_interval: float = 3.0
    ) -> None:
        self.worker_interval = worker_interval
        self._app = _LateApp()
        handler = _QuietHandler if quiet else WSGIRequestHandler
        try:
            self._server: BaseWSGIServer = make_server(host, port, self._app, threaded=True, request_handler=handler)
        except OSError as exc:
            raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror}; choose another with --port") from None
        self.port = self._server.server_port
        shown = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host  # noqa: S104 (a name for URLs, not a bind)
        self.url = f"http://{shown}:{self.port}"
        if "base_url" not in settings.model_fields_set:
            settings = settings.model_copy(update={"base_url": self.url})
        self.settings = settings
        self.engine = make_engine(settings)
        self.factory = session_factory(self.engine)
        self.platform: platform.DemoPlatform | None = None
        self.worker: DemoWorker | None = None
        self._thread: threading.Thread | None = None

    def prepare(self) -> Flask:
        """Register the demo platform with the tool and build the app with the platform's pages in it."""
        from lti_tool import create_app

        with transaction(self.factory, write=False) as session:
            row_id = session.scalar(
                select(Offering.id)
                .join(Provider, Provider.id == Offering.provider_id)
                .where(
                    Provider.name == platform.PLACED_OFFERING[0], Offering.offering_id == platform.PLACED_OFFERING[1]
                )
            )
        if row_id is None:
            raise ConfigError("the demo catalog is not in the store; run `cebridge demo` first")
        demo_platform = platform.DemoPlatform(
            base_url=self.settings.base_url,
            key_home=self.settings.home / "demo" / "platform",
            offering_row_id=str(row_id),
        )
        platform_routes.register(self.factory, demo_platform)
        app = create_app(self.settings)
        app.extensions["cebridge"]["engine"] = self.engine
        platform_routes.install(app, demo_platform)
        keys = keystore_for(self.settings.home)
        loader = sink_loader(self.settings, self.factory, keys)
        self.worker = DemoWorker(self.factory, loader, deliver_all, interval=self.worker_interval)
        self.platform = demo_platform
        self._app.target = app
        return app

    def start(self) -> DemoServer:
        """Serve in a background thread (tests); :meth:`serve_forever` serves in the foreground."""
        if self._app.target is None:
            self.prepare()
        assert self.worker is not None
        self.worker.start()
        self._thread = threading.Thread(target=self._server.serve_forever, name="demo-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.stop()
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()
        self.engine.dispose()

    def serve_forever(self, emit: Emit) -> None:
        """Serve until interrupted (Ctrl-C)."""
        self.prepare()
        assert self.worker is not None
        self.worker.start()
        emit("", True)
        emit(f"serving the demo on {self.url} (Ctrl-C stops it)", True)
        emit(
            f"  open {self.url}/demo/platform  the demo LMS course: launch the tool as a clinician or instructor", True
        )
        emit(f"  LTI registration: issuer {data.DEMO_ISSUER}, client id {data.DEMO_CLIENT_ID}", True)
        try:
            self._server.serve_forever()
        except KeyboardInterrupt:
            emit("stopped", True)
        finally:
            self.worker.stop()
            self._server.server_close()
            self.engine.dispose()
