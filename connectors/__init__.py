"""The cebridge connector SDK and the first-party connectors (Canvas, Moodle, xAPI LRS, CSV).

A connector is a :class:`Connector` subclass with a :class:`ConnectorConfig` model, ``check()`` and
:class:`Stream` s that yield :class:`Batch` es of :class:`~cebridge.domain.records.CompletionRecord`. Plugins
register under the entry-point group ``cebridge.connectors``; :mod:`connectors.registry` finds them.
"""

from __future__ import annotations

from connectors.base import Batch, CheckResult, Connector, ConnectorConfig, RecordProblem, Stream

__all__ = [
    "Batch",
    "CheckResult",
    "Connector",
    "ConnectorConfig",
    "RecordProblem",
    "Stream",
]
