"""Run connectors into the store: the one code path of ``cebridge sync`` and of the worker.

Per batch, in ONE transaction: the batch's completions are upserted (idempotent by ``(source, external_id)``),
changes are audited, the affected licenses are queued for recompute, and the connector's whole state is
committed. A crash therefore loses nothing (the next run resumes from the last committed state) and duplicates
nothing (a re-read record is recognised by its key and hash). The next batch is read while one is stored
(:mod:`cebridge.sync.readahead`). The queued licenses are recomputed at the end (and, during a long sync, for a
bounded share of its time), a chunk of licenses per transaction with their awards, snapshots and outbox work
(:mod:`cebridge.sync.compliance`).
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cebridge.errors import (
    CebridgeError,
    ConnectorError,
    InputError,
    NotFound,
    PluginLoadError,
    RetriableConnectorError,
    StorageError,
)
from cebridge.store.db import SessionFactory, transaction
from cebridge.store.dialect import insert_for
from cebridge.store.tables import ConnectorConfig, ConnectorState, PendingRecompute, Provider, SyncRun
from cebridge.store.types import utcnow
from cebridge.sync.compliance import Packs, drain
from cebridge.sync.ingest import IngestCounts, Origin, ingest
from cebridge.sync.readahead import ReadAhead

#: During a long sync, queued licenses are recomputed at most this often (seconds); always at the end.
RECOMPUTE_EVERY = 30.0
#: ... and for at most this share of the time since the last such recompute, so a long sync's licenses (all of
#: which may be touched again before the end) are not recomputed over and over: the end recomputes them all.
RECOMPUTE_SHARE = 0.1


@dataclass
class ConnectorSummary:
    """How one connector's sync went (the closing summary of ``cebridge sync``)."""

    connector: str
    outcome: str = "ok"  # ok | interrupted | failed | busy
    batches: int = 0
    read: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    revoked: int = 0
    unmatched: int = 0
    unmapped: int = 0
    rejected: int = 0
    recomputed: int = 0
    errors: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Progress:
    """One progress event: a batch stored, or a stage done."""

    connector: str
    stage: str  # batch | recompute | done
    summary: ConnectorSummary


ProgressFn = Callable[[Progress], None]


def resolve_connector(name: str) -> type[Any]:
    """A connector class by plugin name (entry point) or, for connectors not packaged, ``module:Class``."""
    if ":" in name:
        module, _, attr = name.partition(":")
        try:
            cls = getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError) as exc:
            raise PluginLoadError(f"cannot load connector {name!r}: {type(exc).__name__}") from None
        return cls  # type: ignore[no-any-return]
    from connectors import registry

    return registry.get(name)


def build_connector(row: ConnectorConfig) -> Any:
    """Instantiate the configured connector, resolving secret references now (never stored resolved)."""
    from connectors import registry

    cls = resolve_connector(row.connector)
    config = registry.parse_config(cls.config_model, dict(row.config), where=f"connector {row.name!r} config")
    return cls(config)


def connector_names(factory: SessionFactory) -> list[str]:
    """Enabled connectors, in name order."""
    with transaction(factory, write=False) as session:
        return list(
            session.scalars(
                select(ConnectorConfig.name).where(ConnectorConfig.enabled.is_(True)).order_by(ConnectorConfig.name)
            )
        )


def _load(session: Session, name: str) -> tuple[ConnectorConfig, Origin]:
    row = session.scalar(select(ConnectorConfig).where(ConnectorConfig.name == name))
    if row is None:
        known = ", ".join(session.scalars(select(ConnectorConfig.name).order_by(ConnectorConfig.name))) or "none"
        raise NotFound(f"no connector named {name!r} is configured; configured connectors: {known}")
    provider = session.get(Provider, row.provider_id)
    assert provider is not None  # foreign key
    return row, Origin(provider.organization_id, provider.id, row.id, actor=f"sync:{name}")


def _store_batch(factory: SessionFactory, origin: Origin, records: list[Any], state: dict[str, Any]) -> IngestCounts:
    with transaction(factory) as session:
        counts = ingest(session, origin, records)
        assert origin.connector_id is not None
        stmt = insert_for(session, ConnectorState.__table__).values(
            connector_id=origin.connector_id, state=state, updated_at=utcnow()
        )
        excluded = stmt.excluded
        session.execute(
            stmt.on_conflict_do_update(
                index_elements=["connector_id"], set_={"state": excluded.state, "updated_at": excluded.updated_at}
            )
        )
        return counts


def sync_connector(
    factory: SessionFactory,
    name: str,
    *,
    packs: Packs | None = None,
    progress: ProgressFn | None = None,
    connector: Any = None,
) -> ConnectorSummary:
    """Pull one connector from its committed cursor into the store, then recompute what changed.

    Never raises for the connector's or the provider's faults: they end the summary's outcome as
    ``interrupted`` (a passing fault; rerun resumes) or ``failed`` (needs a person). Database faults raise
    :class:`StorageError` after what was committed stays committed.
    """
    from cebridge.sync.lock import SyncLock

    packs = packs or Packs()
    summary = ConnectorSummary(connector=name)
    with transaction(factory, write=False) as session:
        row, origin = _load(session, name)
    engine = factory.kw["bind"]
    try:
        lock = SyncLock(engine, row.id, name).__enter__()
    except CebridgeError as exc:
        summary.outcome, summary.errors = "busy", [exc.user_message]
        return summary
    try:
        run_id = _start_run(factory, row.id)
        try:
            _pull(factory, row, origin, summary, packs, progress, connector)
        finally:
            _finish_run(factory, run_id, summary)
    finally:
        lock.__exit__(None, None, None)
    return summary


def _pull(
    factory: SessionFactory,
    row: ConnectorConfig,
    origin: Origin,
    summary: ConnectorSummary,
    packs: Packs,
    progress: ProgressFn | None,
    connector: Any,
) -> None:
    with transaction(factory, write=False) as session:
        saved = session.get(ConnectorState, row.id)
        state = dict(saved.state) if saved is not None else None
    try:
        instance = connector if connector is not None else build_connector(row)
    except (InputError, CebridgeError) as exc:
        summary.outcome = "failed"
        summary.errors.append(exc.user_message)
        return
    totals = IngestCounts()
    failed = 0
    last_drain = time.monotonic()

    def tick(recomputed: int) -> None:
        summary.recomputed += recomputed
        if progress is not None:
            progress(Progress(row.name, "recompute", summary))

    reader: ReadAhead | None = None
    try:
        reader = ReadAhead(instance.read(state))
        for batch in reader:
            counts = _store_batch(factory, origin, list(batch.records), dict(batch.state))
            totals.add(counts)
            summary.batches += 1
            summary.rejected += len(getattr(batch, "problems", ()) or ())
            _copy(totals, summary)
            since = time.monotonic() - last_drain
            if since > RECOMPUTE_EVERY:
                budget = RECOMPUTE_SHARE * since
                failed += drain(factory, packs=packs, on_progress=tick, budget=budget).failed
                last_drain = time.monotonic()
            if progress is not None:
                progress(Progress(row.name, "batch", summary))
    except RetriableConnectorError as exc:
        summary.outcome = "interrupted"
        summary.errors.append(f"{exc.user_message} (what was stored so far is kept; the next sync resumes)")
    except ConnectorError as exc:
        summary.outcome = "failed"
        summary.errors.append(exc.user_message)
    finally:
        if reader is not None:
            reader.close()
        close = getattr(instance, "close", None)
        if connector is None and callable(close):
            close()
    failed += drain(factory, packs=packs, on_progress=tick).failed
    if failed:
        summary.errors.append(f"{failed} license(s) could not be evaluated; see `cebridge report`")
    if progress is not None:
        progress(Progress(row.name, "done", summary))


def _copy(totals: IngestCounts, summary: ConnectorSummary) -> None:
    for name in ("read", "new", "changed", "unchanged", "revoked", "unmatched", "unmapped"):
        setattr(summary, name, getattr(totals, name))


def _start_run(factory: SessionFactory, connector_id: int) -> int:
    with transaction(factory) as session:
        run = SyncRun(connector_id=connector_id, started_at=utcnow(), outcome="running", summary={})
        session.add(run)
        session.flush()
        return run.id


def _finish_run(factory: SessionFactory, run_id: int, summary: ConnectorSummary) -> None:
    try:
        with transaction(factory) as session:
            run = session.get(SyncRun, run_id)
            if run is not None:
                run.finished_at, run.outcome, run.summary = utcnow(), summary.outcome, summary.to_json()
                run.error = "; ".join(summary.errors) or None
    except StorageError:
        pass  # the database went away; the sync's own error is the one to report


def sync_all(
    factory: SessionFactory,
    names: list[str] | None = None,
    *,
    packs: Packs | None = None,
    progress: ProgressFn | None = None,
) -> list[ConnectorSummary]:
    """Sync the named connectors (all enabled ones by default), one after the other; one failing stops none."""
    packs = packs or Packs()
    out = []
    for name in names if names is not None else connector_names(factory):
        out.append(sync_connector(factory, name, packs=packs, progress=progress))
    # Licenses queued by other means (a catalog import, a link) are recomputed even when no connector ran.
    with transaction(factory, write=False) as session:
        waiting = session.scalar(select(PendingRecompute.license_id).where(PendingRecompute.last_error.is_(None)))
    if waiting is not None:
        drain(factory, packs=packs)
    return out
