"""The connector contract: a config model, ``check()``, streams with a primary key and a cursor, and state.

A connector pulls raw completion facts (:class:`~cebridge.domain.records.CompletionRecord`) from one provider
and nothing else: credit mapping stays in the core. It reports what it read in :class:`Batch` es; each batch
carries the *whole* connector state to commit once the batch's records are stored, so a crash between two
batches loses nothing and repeats nothing when the next run resumes from the last committed state.

State layout (JSON)::

    {"streams": {"<stream name>": {...whatever that stream needs to resume...}}}

Streams read their own entry with :meth:`Stream.own_state` and build batches with :meth:`Stream.batch`, which
writes their new entry into a copy of the whole state; the base :meth:`Connector.read` threads the state from
one stream to the next.
"""

from __future__ import annotations

import copy
import json
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import requests
from pydantic import BaseModel, ConfigDict, Field

from cebridge.domain.records import CompletionRecord
from cebridge.errors import InputError

__all__ = [
    "Batch",
    "CheckResult",
    "Connector",
    "ConnectorConfig",
    "RecordProblem",
    "Stream",
]


class ConnectorConfig(BaseModel):
    """Base of every connector's config model.

    Subclasses add their fields; credentials are :class:`pydantic.SecretStr` so they never print.
    ``extra="forbid"`` turns a misspelt key in a config file into an error that names it.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    source: str | None = Field(
        default=None,
        min_length=1,
        description="Instance name written to each record's `source` (default: derived from the config).",
    )


@dataclass(frozen=True)
class RecordProblem:
    """A provider record that could not be turned into a CompletionRecord (a bad CSV row, a broken payload).

    ``where`` locates it for a person (``line 14``, ``statement 6f1c...``); ``reason`` says what is wrong.
    Never carries secrets; may carry the provider's own identifiers.
    """

    where: str
    reason: str
    line: int | None = None


@dataclass(frozen=True)
class Batch:
    """Records of one stream and the whole connector state to commit after they are stored."""

    stream: str
    records: list[CompletionRecord]
    state: dict[str, Any]
    #: Provider records skipped in this batch, with why (empty for most connectors).
    problems: tuple[RecordProblem, ...] = field(default=())


@dataclass(frozen=True)
class CheckResult:
    """Outcome of :meth:`Connector.check`; ``message`` is safe to print (no secrets)."""

    ok: bool
    message: str


class Stream(ABC):
    """One kind of record a connector reads, resumable from its entry in the connector state."""

    name: str
    primary_key: tuple[str, ...] = ("source", "external_id")
    cursor_field: str

    @abstractmethod
    def read(self, state: Mapping[str, Any]) -> Iterator[Batch]:
        """Yield batches from where ``state`` (the whole connector state) says this stream stopped."""

    def own_state(self, state: Mapping[str, Any]) -> dict[str, Any]:
        """A deep copy of this stream's entry in the whole connector state (``{}`` when it has none)."""
        streams = state.get("streams") or {}
        entry = streams.get(self.name) if isinstance(streams, Mapping) else None
        return copy.deepcopy(dict(entry)) if isinstance(entry, Mapping) else {}

    def with_own_state(
        self, state: Mapping[str, Any], own: Mapping[str, Any], *, fresh: bool = False
    ) -> dict[str, Any]:
        """The whole state with this stream's entry replaced by a copy of ``own``.

        The copy goes through JSON, so an entry that is not JSON-able fails here, where it is made, rather
        than when the pipeline commits it. Other streams' entries are shared with ``state`` (treat states as
        values: never mutate one in place).

        ``fresh=True`` says ``own`` was built for this call alone, of JSON types only (dicts with string keys,
        lists, strings, numbers, booleans, None), and nothing else will change it: it is stored as it is,
        without the round trip. A roster pass rebuilds its entry that way for every batch; over many courses
        the round trip of its marks cost more than the rest of the batch's bookkeeping.
        """
        whole = dict(state)
        streams = dict(whole.get("streams") or {})
        if fresh:
            streams[self.name] = own
        else:
            try:
                streams[self.name] = json.loads(json.dumps(own))
            except (TypeError, ValueError) as exc:
                raise TypeError(f"stream {self.name!r}: state is not JSON-serialisable: {exc}") from None
        whole["streams"] = streams
        return whole

    def batch(
        self,
        records: list[CompletionRecord],
        state: Mapping[str, Any],
        own: Mapping[str, Any],
        problems: tuple[RecordProblem, ...] = (),
        *,
        fresh: bool = False,
    ) -> Batch:
        """A batch of ``records`` whose state is ``state`` with this stream's entry set to ``own``.

        ``fresh``: see :meth:`with_own_state`.
        """
        return Batch(self.name, records, self.with_own_state(state, own, fresh=fresh), problems)


class Connector(ABC):
    """Base of every connector; a plugin is a subclass registered under ``cebridge.connectors``."""

    name: ClassVar[str]
    title: ClassVar[str]
    config_model: ClassVar[type[ConnectorConfig]]

    def __init__(self, config: ConnectorConfig, *, session: requests.Session | None = None) -> None:
        if not isinstance(config, self.config_model):
            raise InputError(
                f"connector {self.name!r} needs a {self.config_model.__name__}, got {type(config).__name__}"
            )
        self.config = config
        self._session = session

    @property
    def source(self) -> str:
        """The instance name written to every record's ``source``."""
        return self.config.source or self.default_source()

    def default_source(self) -> str:
        """The instance name when the config gives none; connectors with a host use it to tell sites apart."""
        return self.name

    @abstractmethod
    def check(self) -> CheckResult:
        """A cheap authenticated call: are the provider and the credentials usable? Never raises for that."""

    @abstractmethod
    def streams(self) -> list[Stream]:
        """The streams this connector reads, in the order :meth:`read` reads them."""

    def read(self, state: Mapping[str, Any] | None = None) -> Iterator[Batch]:
        """All streams in order, each resuming from its entry in ``state``.

        Every batch's ``state`` is the whole state, including what earlier streams finished with, so the
        caller can commit it as is.
        """
        whole: dict[str, Any] = copy.deepcopy(dict(state or {}))
        whole.setdefault("streams", {})
        for stream in self.streams():
            for batch in stream.read(whole):
                whole = batch.state
                yield batch

    def close(self) -> None:
        """Release what the connector opened itself (a session given by the caller stays open)."""
        return None

    def __enter__(self) -> Connector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
