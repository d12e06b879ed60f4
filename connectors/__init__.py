"""The cebridge connector SDK and the first-party connectors (Canvas, Moodle, xAPI LRS, CSV).

A connector is a :class:`Connector` subclass with a :class:`ConnectorConfig` model, ``check()`` and
:class:`Stream` s that yield :class:`Batch` es of :class:`~cebridge.domain.records.CompletionRecord`. Plugins
register under the entry-point group ``cebridge.connectors``; :mod:`connectors.registry` finds them.
HTTP connectors use :class:`HttpClient` (retries, throttling, redaction) and the paginators; the contract kit
is :mod:`connectors.testing`.
"""

from __future__ import annotations

from connectors.base import Batch, CheckResult, Connector, ConnectorConfig, RecordProblem, Stream
from connectors.errors import PermissionDenied, ProviderRequestError, RemoteNotFound
from connectors.http import HttpClient, HttpConfig, RetryPolicy
from connectors.pagination import LinkHeaderPaginator, MorePaginator, OffsetPaginator, Page, parse_link_header

__all__ = [
    "Batch",
    "CheckResult",
    "Connector",
    "ConnectorConfig",
    "HttpClient",
    "HttpConfig",
    "LinkHeaderPaginator",
    "MorePaginator",
    "OffsetPaginator",
    "Page",
    "PermissionDenied",
    "ProviderRequestError",
    "RecordProblem",
    "RemoteNotFound",
    "RetryPolicy",
    "Stream",
    "parse_link_header",
]
