"""JSON-LD contexts the credentials use, and cebridge's own extension context shipped in this package.

Open Badges 3.0 has no field for a CE category, an approver or a delivery format; cebridge defines them in an
extension context (``contexts/cebridge-ce-v1.jsonld``, served by the app at :data:`EXTENSION_CONTEXT_PATH`) so
that they are named terms, and in a VC-JWT they are inside the signed payload like every other field.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CLR_CONTEXT = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
OB_SCHEMA = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
EXTENSION_CONTEXT_FILE = "cebridge-ce-v1.jsonld"
#: Where the app serves the extension context, under its base URL.
EXTENSION_CONTEXT_PATH = "/contexts/cebridge-ce-v1.jsonld"


def extension_context_url(base_url: str) -> str:
    """The extension context's URL on a deployment."""
    return base_url.rstrip("/") + EXTENSION_CONTEXT_PATH


@functools.cache
def extension_context_text() -> str:
    """The extension context document as shipped (served byte for byte)."""
    return (resources.files("cebridge.certificates") / "contexts" / EXTENSION_CONTEXT_FILE).read_text("utf-8")


def extension_context() -> dict[str, Any]:
    """The extension context document, parsed."""
    data: dict[str, Any] = json.loads(extension_context_text())
    return data


def extension_terms() -> frozenset[str]:
    """Every term the extension context defines, including those scoped inside its types."""
    terms: set[str] = set()
    for key, value in extension_context()["@context"].items():
        if key.startswith("@"):
            continue
        terms.add(key)
        if isinstance(value, dict) and isinstance(value.get("@context"), dict):
            terms.update(k for k in value["@context"] if not k.startswith("@"))
    return frozenset(terms)
