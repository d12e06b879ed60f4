"""The demo from start to summary: store, providers, clinicians, sync (with progress bars), certificates, report.

:func:`run_demo` is what ``cebridge demo`` runs; it takes its settings and an output function, so the command
line, ``--serve`` and the tests all drive the same code.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from cebridge.config import Settings
from cebridge.demo import data, setup
from cebridge.demo.canvas_site import CanvasSite
from cebridge.errors import StorageError
from cebridge.keys import KeyStore, keystore_for
from cebridge.outbox import DeliveryResult, SinkLoader, deliver_due
from cebridge.sinks.base import Sink, load_sink_factory
from cebridge.store.cert_tables import CertificateRow
from cebridge.store.db import SessionFactory, check_connection, make_engine, safe_url, session_factory, transaction
from cebridge.store.migrate import current, upgrade
from cebridge.store.tables import Clinician, ComplianceSnapshot, LicenseRow
from cebridge.sync.pipeline import ConnectorSummary, Progress, sync_all

#: Emits one line of output: ``(text, final)``; a non-final line may be overwritten (a progress bar on a TTY).
Emit = Callable[[str, bool], None]
BAR_WIDTH = 24


@dataclass(frozen=True)
class LicenseLine:
    """One row of the closing table: a clinician's license and where it stands."""

    clinician: str
    board: str
    license_number: str
    counted: Decimal
    required: Decimal
    short: list[str]
    compliant: bool
    certificates: int

    def to_json(self) -> dict[str, Any]:
        return {
            "clinician": self.clinician,
            "board": self.board,
            "license_number": self.license_number,
            "hours_counted": self.counted,
            "hours_required": self.required,
            "short": self.short,
            "compliant": self.compliant,
            "certificates": self.certificates,
        }


@dataclass
class DemoResult:
    """What the demo did and where its files are."""

    licenses: list[LicenseLine] = field(default_factory=list)
    syncs: list[ConnectorSummary] = field(default_factory=list)
    delivered: int = 0
    failed_deliveries: list[str] = field(default_factory=list)
    paths: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "licenses": [line.to_json() for line in self.licenses],
            "syncs": [s.to_json() for s in self.syncs],
            "deliveries": {"delivered": self.delivered, "failed": self.failed_deliveries},
            "paths": self.paths,
            "seconds": round(self.seconds, 2),
        }


def bar(done: int, total: int, width: int = BAR_WIDTH) -> str:
    """``[#####-----]``: ``done`` of ``total`` (an unknown total, 0, shows an empty bar)."""
    filled = width * min(done, total) // total if total > 0 else 0
    return "[" + "#" * filled + "-" * (width - filled) + "]"


class SyncBars:
    """Progress bars for the sync pipeline's events: one per connector, filled as batches are stored."""

    def __init__(self, expected: Mapping[str, int], emit: Emit) -> None:
        self.expected = dict(expected)
        self.emit = emit
        self.width = max((len(n) for n in self.expected), default=10)

    def __call__(self, event: Progress) -> None:
        if event.stage == "recompute":
            return
        s = event.summary
        total = self.expected.get(event.connector, 0)
        seen = s.read + s.rejected
        if event.stage == "done":
            filled, label = bar(1, 1), f"{seen} records read"
        else:
            filled, label = bar(seen, total), f"{seen}/{total} records"
        line = (
            f"  {event.connector.ljust(self.width)} {filled} {label}: new {s.new}, changed {s.changed}, "
            f"unmatched {s.unmatched}, rejected {s.rejected}"
        )
        if event.stage == "done":
            line += f", {s.recomputed} licenses recomputed ({s.outcome})"
        self.emit(line, event.stage == "done")


def sink_loader(settings: Settings, factory: SessionFactory, keys: KeyStore) -> SinkLoader:
    """Sinks bound to this demo's store and keys (the default loader builds them from the environment)."""

    def load(plugin: str) -> Callable[[Mapping[str, Any]], Sink]:
        if plugin == "certificates":
            from cebridge.certificates.sink import CertificateSink

            return lambda config: CertificateSink(config, settings=settings, factory=factory, keys=keys)
        if plugin == "lti_ags":
            from lti_tool.sinks.ags import AgsSink

            return lambda config: AgsSink(config, sessions=factory, keys=keys)
        return load_sink_factory(plugin)

    return load


def deliver_all(factory: SessionFactory, loader: SinkLoader, *, passes: int = 50) -> DeliveryResult:
    """Deliver outbox work until nothing is due now (work that fails waits for its backoff, not for us)."""
    total = DeliveryResult()
    for _ in range(passes):
        result = deliver_due(factory, loader=loader)
        total.delivered += result.delivered
        total.retried += result.retried
        total.dead += result.dead
        if result.delivered + result.retried + result.dead == 0:
            break
    return total


def export_certificates(factory: SessionFactory, target: Path) -> int:
    """Write every standing certificate as ``<id>.pdf`` and ``<id>.jwt`` into ``target``; returns how many."""
    target.mkdir(parents=True, exist_ok=True)
    count = 0
    with transaction(factory, write=False) as session:
        for row in session.scalars(select(CertificateRow).where(CertificateRow.status == "issued")):
            files = ((target / f"{row.id}.pdf", row.pdf), (target / f"{row.id}.jwt", row.credential_jwt.encode()))
            for path, content in files:
                if not path.exists() or path.read_bytes() != content:
                    path.write_bytes(content)
            count += 1
    return count


def license_lines(factory: SessionFactory, license_ids: list[int]) -> list[LicenseLine]:
    """The closing table's rows, from each license's stored compliance snapshot."""
    lines = []
    with transaction(factory, write=False) as session:
        for license_id in license_ids:
            row = session.get(LicenseRow, license_id)
            if row is None:
                continue
            clinician = session.get(Clinician, row.clinician_id)
            snap = session.get(ComplianceSnapshot, license_id)
            report: dict[str, Any] = dict(snap.report) if snap is not None else {}
            total = report.get("total") or {}
            short = [
                f"{r['id']} {r['short']}" if Decimal(str(r.get("short", 0))) > 0 else str(r["id"])
                for r in report.get("requirements", [])
                if not r.get("satisfied")
            ]
            certificates = len(
                session.scalars(
                    select(CertificateRow.id).where(
                        CertificateRow.license_id == license_id, CertificateRow.status == "issued"
                    )
                ).all()
            )
            lines.append(
                LicenseLine(
                    clinician=clinician.name if clinician is not None else "",
                    board=row.board,
                    license_number=row.license_number or "",
                    counted=Decimal(str(total.get("counted", 0))),
                    required=Decimal(str(total.get("required", 0))),
                    short=short,
                    compliant=bool(report.get("compliant")),
                    certificates=certificates,
                )
            )
    return lines


def open_demo_store(settings: Settings) -> tuple[Engine, SessionFactory]:
    """The configured database (SQLite under ``CEBRIDGE_HOME`` by default), migrated to the latest schema."""
    settings.ensure_home()
    engine = make_engine(settings)
    _migrate(engine)
    return engine, session_factory(engine)


def _migrate(engine: Engine) -> None:
    """Check the database answers (one clear error when it does not), then bring it to the latest schema."""
    try:
        check_connection(engine)
    except StorageError:
        engine.dispose()
        raise
    upgrade(engine)


def run_demo(settings: Settings, emit: Emit, *, engine: Engine | None = None) -> DemoResult:
    """Run the demo against ``settings``' home and database; safe to run again on the same home.

    With ``engine`` the caller's engine is used (and left open); otherwise one is made and disposed here.
    """
    started = time.monotonic()
    if engine is not None:
        settings.ensure_home()
        _migrate(engine)
        return _run(settings, emit, engine, started)
    own, _ = open_demo_store(settings)
    try:
        return _run(settings, emit, own, started)
    finally:
        own.dispose()


def _run(settings: Settings, emit: Emit, engine: Engine, started: float) -> DemoResult:
    home = settings.home
    factory = session_factory(engine)
    emit(f"database {safe_url(engine.url)} at revision {current(engine)}", True)
    keys = keystore_for(home)
    keys.active()
    sites = setup.start_sites(home)
    try:
        for name, site in sites.servers.items():
            kind = "Canvas" if isinstance(site, CanvasSite) else "Moodle"
            emit(f"started a {kind}-shaped provider for {name} at {site.server.url}", True)
        setup.configure_providers(factory, home, sites)
        setup.configure_sinks(factory, home)
        license_ids = setup.configure_clinicians(factory)
        emit(
            f"configured {len(data.providers())} providers (canvas, moodle, csv) and "
            f"{len(license_ids)} clinicians; syncing:",
            True,
        )
        syncs = sync_all(factory, [p.name for p in data.providers()], progress=SyncBars(sites.expected, emit))
    finally:
        sites.stop()
    delivered = deliver_all(factory, sink_loader(settings, factory, keys))
    failures = _dead_letters(factory)
    count = export_certificates(factory, home / "certificates")
    emit(f"outbox: {delivered.delivered} deliveries; {count} certificates stand", True)
    result = DemoResult(
        licenses=license_lines(factory, license_ids),
        syncs=syncs,
        delivered=delivered.delivered,
        failed_deliveries=failures,
        paths={
            "home": str(home.resolve()),
            "database": safe_url(engine.url),
            "certificates": str((home / "certificates").resolve()),
            "keys": str((home / "keys").resolve()),
            "exports": str((home / "demo" / "exports").resolve()),
            "events": str((home / "demo" / "events.jsonl").resolve()),
        },
    )
    result.seconds = time.monotonic() - started
    return result


def _dead_letters(factory: SessionFactory) -> list[str]:
    from cebridge.outbox import items

    return [f"{item.sink} {item.kind}: {item.last_error}" for item in items(factory, which="dead")]
