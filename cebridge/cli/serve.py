"""``cebridge serve``: run the LTI tool, dashboard and API with the built-in server (development and small
installs). In production run a WSGI server instead, e.g. ``gunicorn -w 4 -b 0.0.0.0:8000 lti_tool.wsgi:app``
(``pip install 'cebridge[server]'``), behind HTTPS: LTI launches need ``SameSite=None; Secure`` cookies.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import click
from werkzeug.serving import make_server

from cebridge.config import Settings

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="interface to listen on")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(0, 65535), help="port to listen on")
def serve(host: str, port: int) -> None:
    """Serve the LTI tool (/lti/...), the dashboard and the API."""
    from cebridge.store.db import make_engine
    from cebridge.store.migrate import upgrade
    from lti_tool import create_app

    settings = Settings()
    apps: list[WSGIApplication] = []

    def dispatch(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        return apps[0](environ, start_response)

    # Bind first, so that --port 0 publishes the port it got in every URL (launch, JWKS, registration).
    server = make_server(host, port, dispatch, threaded=True)
    port = server.server_port
    if "base_url" not in settings.model_fields_set:
        settings = settings.model_copy(update={"base_url": f"http://{host}:{port}"})
    engine = make_engine(settings)
    if engine.dialect.name == "sqlite":
        upgrade(engine)  # the embedded database follows the code; PostgreSQL is upgraded with `cebridge db upgrade`
    app = create_app(settings)
    app.extensions["cebridge"]["engine"] = engine
    apps.append(app)
    click.echo(f"cebridge serving on http://{host}:{port} (tool base URL {settings.base_url})", err=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()


commands = [serve]
