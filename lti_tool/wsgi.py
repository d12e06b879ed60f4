"""The WSGI entry point for production servers: ``gunicorn -w 4 -b 0.0.0.0:8000 lti_tool.wsgi:app``.

The one module that builds an app at import, from the environment (``CEBRIDGE_*``). Set
``CEBRIDGE_BASE_URL`` to the public HTTPS URL of the tool and ``CEBRIDGE_SECRET_KEY`` (or share
``CEBRIDGE_HOME`` between workers, which keeps a generated secret there); run ``cebridge db upgrade`` first.
"""

from __future__ import annotations

from lti_tool import create_app

app = create_app()
