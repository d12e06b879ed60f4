"""Where a verifier learns about revocation: a status list document (file or URL), a ledger, or a chain of them.

A status list fetched over HTTP may be a signed VC-JWT (preferred: its signature is checked with the same keys
as the credential's) or plain JSON. Network faults make the answer "unknown", never "not revoked".
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jwt
import requests

from cebridge.certificates.status import STATUS_LIST_TYPE, StatusListError, revoked_in
from cebridge.certificates.verification import KeyResolver, StatusResolver

FETCH_TIMEOUT = 10.0


def parse_status_document(text: str, keys: KeyResolver | None) -> dict[str, Any]:
    """A status list credential from JSON text or from a VC-JWT (whose signature must verify)."""
    text = text.strip()
    if text.startswith("{"):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise StatusListError(f"the status list is not valid JSON: {exc.msg}") from None
    else:
        if keys is None:
            raise StatusListError("a signed status list needs the issuer's keys to be checked")
        try:
            kid = jwt.get_unverified_header(text).get("kid")
            info = keys.find(str(kid))
            if info is None:
                raise StatusListError(f"the status list is signed by an unknown key {kid}")
            claims = jwt.decode(text, info.public_key, algorithms=["RS256"], options={"verify_aud": False})
        except jwt.PyJWTError as exc:
            raise StatusListError(f"the signed status list does not verify: {type(exc).__name__}") from None
        doc = claims.get("vc")
    if not isinstance(doc, dict) or STATUS_LIST_TYPE not in (doc.get("type") or []):
        raise StatusListError(f"the document is not a {STATUS_LIST_TYPE}")
    return doc


class DocumentStatus:
    """Answers from one status list document, for credentials that point at that list."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self._doc = doc

    @classmethod
    def from_file(cls, path: Path, keys: KeyResolver | None) -> DocumentStatus:
        try:
            text = Path(path).read_text("utf-8")
        except OSError as exc:
            raise StatusListError(f"status list file {path}: cannot read: {exc.strerror}") from None
        return cls(parse_status_document(text, keys))

    def revoked(self, list_url: str, index: int, credential_id: str) -> bool | None:
        if self._doc.get("id") != list_url:
            return None
        return revoked_in(self._doc, index)


class RemoteStatus:
    """Fetches the list a credential names (or ``url``, when given) over http/https, once per URL."""

    def __init__(self, keys: KeyResolver | None, *, url: str | None = None, timeout: float = FETCH_TIMEOUT) -> None:
        self._keys = keys
        self._url = url
        self._timeout = timeout
        self._docs: dict[str, dict[str, Any] | None] = {}

    def _fetch(self, url: str) -> dict[str, Any] | None:
        if not url.startswith(("https://", "http://")):
            return None
        try:
            response = requests.get(
                url, headers={"Accept": "application/vc+jwt, application/json"}, timeout=self._timeout
            )
        except requests.RequestException:
            return None
        if response.status_code != 200:
            return None
        return parse_status_document(response.text, self._keys)

    def revoked(self, list_url: str, index: int, credential_id: str) -> bool | None:
        if list_url not in self._docs:
            self._docs[list_url] = self._fetch(self._url or list_url.split("#", 1)[0])
        doc = self._docs[list_url]
        return None if doc is None else DocumentStatus(doc).revoked(list_url, index, credential_id)


class ChainStatus:
    """The first source that knows the answer wins."""

    def __init__(self, sources: Sequence[StatusResolver]) -> None:
        self._sources = list(sources)

    def revoked(self, list_url: str, index: int, credential_id: str) -> bool | None:
        for source in self._sources:
            answer = source.revoked(list_url, index, credential_id)
            if answer is not None:
                return answer
        return None
