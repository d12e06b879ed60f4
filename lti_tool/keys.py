"""The tool's signing key and public JWKS, from the cebridge key store under ``CEBRIDGE_HOME``.

The first use generates the key (mode 0600); ``cebridge keys rotate`` rotates it and keeps the old key
published for an overlap window, so platforms that cached ``/lti/jwks`` keep verifying.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, jsonify
from flask.typing import ResponseReturnValue

from cebridge.keys import KeyStore, SigningKey
from lti_tool import settings_of

bp = Blueprint("lti_keys", __name__)


def keystore_of(app: Flask) -> KeyStore:
    """The app's key store (one per app, so its caches are shared by requests)."""
    ext = app.extensions["cebridge"]
    store: KeyStore | None = ext.get("keystore")
    if store is None:
        home = settings_of(app).ensure_home()
        store = KeyStore(home)
        ext["keystore"] = store
    return store


def signing_key(app: Flask | None = None) -> SigningKey:
    """The key that signs the tool's messages now (deep-linking responses, service client assertions)."""
    return keystore_of(app or current_app._get_current_object()).active()  # type: ignore[attr-defined]


def public_jwks(app: Flask | None = None) -> dict[str, Any]:
    """The tool's public keys as a JWKS: the active key and keys still in their rotation overlap."""
    return dict(keystore_of(app or current_app._get_current_object()).jwks())  # type: ignore[attr-defined]


@bp.get("/lti/jwks")
def jwks() -> ResponseReturnValue:
    """Platforms fetch this to verify the tool's signatures; cacheable for a short while."""
    response = jsonify(public_jwks())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
