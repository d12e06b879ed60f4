"""Paginators: RFC 8288 ``Link`` headers (Canvas), offset/limit (Moodle, mod_customcert) and xAPI ``more``.

Each yields :class:`Page` s: the items of one page plus what comes next, so a stream can put "where to resume"
into its state after it has handed the page's records over. Next-page URLs are opaque: never parsed, never
re-cased, followed as given. A next URL seen before means the provider is looping: that is a
:class:`~cebridge.errors.ProviderContractError`, not an endless sync.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

from cebridge.errors import ProviderContractError
from connectors.errors import redact_url
from connectors.http import HttpClient

__all__ = [
    "LinkHeaderPaginator",
    "MorePaginator",
    "OffsetPaginator",
    "Page",
    "parse_link_header",
]

# One link-value: <uri-reference> followed by ;-separated params. URIs may contain commas and semicolons,
# so the URI is taken whole from between the angle brackets.
_LINK_RE = re.compile(r"<([^>]*)>((?:\s*;\s*[^;,<]+(?:=\s*(?:\"[^\"]*\"|[^;,<\s]*))?)*)")
_PARAM_RE = re.compile(r";\s*([^\s=;,]+)\s*(?:=\s*(\"[^\"]*\"|[^;,\s]*))?")


def parse_link_header(value: str | None) -> dict[str, str]:
    """``{rel: url}`` from a ``Link`` header.

    Handles ``rel="next"`` and ``rel=next``, several relation types in one link (``rel="next last"``),
    relation names in any case (names are compared lower-cased; URLs are kept exactly as sent), and commas
    inside URLs. The first link for a relation wins.
    """
    links: dict[str, str] = {}
    if not value:
        return links
    for match in _LINK_RE.finditer(value):
        url = match.group(1).strip()
        for pname, pvalue in _PARAM_RE.findall(match.group(2)):
            if pname.lower() != "rel" or not pvalue:
                continue
            for rel in pvalue.strip('"').split():
                links.setdefault(rel.lower(), url)
    return links


@dataclass(frozen=True)
class Page:
    """One page: where it came from, its items and where the next one is (None on the last page)."""

    url: str
    items: list[Any]
    next: str | None
    #: The raw page when it is an object (xAPI StatementResult), for callers that need more than items.
    body: Any = None
    #: The response headers (e.g. ``X-Experience-API-Consistent-Through``).
    headers: Mapping[str, str] = field(default_factory=dict)


class LinkHeaderPaginator:
    """Follow ``Link: <...>; rel="next"`` until there is none (Canvas)."""

    def __init__(self, client: HttpClient, *, items: Callable[[Any], list[Any]] | None = None) -> None:
        self.client = client
        self._items = items or _expect_list

    def pages(self, url: str, params: Mapping[str, Any] | list[tuple[str, Any]] | None = None) -> Iterator[Page]:
        """Pages from ``url`` (with ``params`` on the first request only: next URLs carry their own)."""
        seen: set[str] = {url}
        current: str | None = url
        first = True
        while current is not None:
            body, response = self.client.get_json(current, params=params if first else None)
            first = False
            items = self._items(body)
            nxt = parse_link_header(response.headers.get("Link")).get("next")
            if nxt is not None:
                nxt = urljoin(response.url or current, nxt)
                if nxt in seen:
                    raise ProviderContractError(
                        f"{self.client.provider}: pagination loops: the next page {redact_url(nxt)} was already fetched"
                    )
                seen.add(nxt)
            yield Page(url=current, items=items, next=nxt)
            current = nxt


class OffsetPaginator:
    """Ask for ``limit`` items at ``offset``, ``offset + limit``... until a short page (Moodle ``limitfrom``).

    ``fetch(offset, limit)`` returns one page's items. A page identical to the previous one means the
    provider ignores the offset: a :class:`ProviderContractError` rather than an endless loop.
    """

    def __init__(self, fetch: Callable[[int, int], list[Any]], *, limit: int, provider: str) -> None:
        if limit <= 0:
            raise ValueError("limit must be positive")
        self._fetch = fetch
        self.limit = limit
        self.provider = provider

    def pages(self, start: int = 0) -> Iterator[Page]:
        offset = start
        previous: str | None = None
        while True:
            items = self._fetch(offset, self.limit)
            if not isinstance(items, list):
                raise ProviderContractError(f"{self.provider}: expected a list of items at offset {offset}")
            digest = _digest(items) if items else None
            if digest is not None and digest == previous:
                raise ProviderContractError(
                    f"{self.provider}: pagination loops: offset {offset} returned the same items as the page before it"
                )
            previous = digest
            full = len(items) >= self.limit
            nxt = str(offset + len(items)) if full else None
            yield Page(url=str(offset), items=items, next=nxt)
            if not full:
                return
            offset += len(items)


class MorePaginator:
    """Follow an xAPI StatementResult's ``more`` (a relative IRL, resolved against the LRS root)."""

    def __init__(self, client: HttpClient, *, root: str) -> None:
        self.client = client
        self.root = root

    def pages(
        self,
        url: str,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> Iterator[Page]:
        seen: set[str] = {url}
        current: str | None = url
        first = True
        while current is not None:
            response = self.client.request("GET", current, params=params if first else None, headers=headers)
            first = False
            body = self.client.parse_json(response)
            if not isinstance(body, dict) or not isinstance(body.get("statements"), list):
                raise ProviderContractError(
                    f"{self.client.provider}: {redact_url(current)} did not answer a StatementResult "
                    "(an object with a 'statements' list)"
                )
            more = body.get("more") or None
            nxt: str | None = None
            if more is not None:
                if not isinstance(more, str):
                    raise ProviderContractError(f"{self.client.provider}: 'more' is not a string")
                nxt = urljoin(self.root, more)
                if nxt in seen:
                    raise ProviderContractError(
                        f"{self.client.provider}: pagination loops: 'more' points to {redact_url(nxt)} again"
                    )
                seen.add(nxt)
            yield Page(url=current, items=body["statements"], next=nxt, body=body, headers=response.headers)
            current = nxt


def _expect_list(body: Any) -> list[Any]:
    if not isinstance(body, list):
        raise ProviderContractError(f"expected a JSON array page, got {type(body).__name__}")
    return body


def _digest(items: list[Any]) -> str:
    return hashlib.sha256(json.dumps(items, sort_keys=True, default=str).encode()).hexdigest()
