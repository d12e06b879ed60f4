"""The sink contract and the plugin loader (entry-point group ``cebridge.sinks``).

A sink receives one piece of outbox work at a time. It must be idempotent at the receiver: the same
``idempotency_key`` may arrive more than once (a retry after a timeout whose first attempt did land), and the
receiver must treat the second as the first. A sink raises :class:`~cebridge.errors.SinkUnavailable` for a
passing fault (the outbox retries with backoff) and :class:`~cebridge.errors.SinkRejected` for a refusal that a
retry cannot fix (the item goes to the dead-letter list).

A plugin's entry point names a factory: a class or function called with the sink's config mapping (secret
references already resolved) that returns a :class:`Sink`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib.metadata import entry_points
from typing import Any, Protocol, runtime_checkable

from cebridge.errors import PluginLoadError, PluginNotFound

ENTRY_POINT_GROUP = "cebridge.sinks"


@runtime_checkable
class Sink(Protocol):
    """Something that accepts outbox work."""

    def deliver(self, kind: str, payload: dict[str, Any], idempotency_key: str) -> None:
        """Deliver one item; raise SinkUnavailable (retry) or SinkRejected (dead letter)."""


SinkFactory = Callable[[Mapping[str, Any]], Sink]


def load_sink_factory(plugin: str) -> SinkFactory:
    """The factory registered under ``plugin`` in ``cebridge.sinks``."""
    matches = [ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name == plugin]
    if not matches:
        known = ", ".join(sorted(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP))) or "none"
        raise PluginNotFound(f"no sink named {plugin!r}; installed sinks: {known}")
    try:
        factory = matches[0].load()
    except Exception as exc:
        raise PluginLoadError(f"sink {plugin!r} cannot be imported: {type(exc).__name__}") from None
    if not callable(factory):
        raise PluginLoadError(f"sink {plugin!r} ({matches[0].value}) is not callable")
    return factory  # type: ignore[no-any-return]
