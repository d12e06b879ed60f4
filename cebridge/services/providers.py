"""Providers, their connector configs, sink subscriptions and course catalogs."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cebridge.domain.completion import CreditOffering
from cebridge.errors import InputError, NotFound
from cebridge.services import secretrefs
from cebridge.services.orgs import get_org
from cebridge.store.tables import (
    KEY_KINDS,
    CompletionRow,
    ConnectorConfig,
    Offering,
    OfferingKey,
    Provider,
    SinkSubscription,
)
from cebridge.store.types import utcnow
from cebridge.sync.events import KINDS
from cebridge.sync.ingest import queue_recompute
from cebridge.sync.mapping import OfferingFinder


def _placeholders(data: Any) -> Any:
    if secretrefs.is_reference(data):
        return "(secret reference)"
    if isinstance(data, Mapping):
        return {k: _placeholders(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_placeholders(v) for v in data]
    return data


def validate_connector_config(connector: str, data: Any, where: str, base_dir: Path) -> dict[str, Any]:
    """Check a connector config against its model without needing its secrets; returns what to store."""
    from cebridge.sync.pipeline import resolve_connector

    cls = resolve_connector(connector)
    if not isinstance(data, Mapping):
        raise InputError(f"{where}: expected a mapping of settings, got {type(data).__name__}")
    secretrefs.check_model_config(cls.config_model, data, where)
    try:
        cls.config_model.model_validate(_placeholders(data))
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        field = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise InputError(f"{where}: field {field!r}: {first['msg']}") from None
    stored: dict[str, Any] = secretrefs.absolutize(dict(data), base_dir)
    return stored


def get_provider(session: Session, name: str) -> Provider:
    row = session.scalar(select(Provider).where(Provider.name == name))
    if row is None:
        raise NotFound(f"no provider named {name!r}; add it with `cebridge providers add {name} ...`")
    return row


def add_provider(
    session: Session,
    name: str,
    *,
    connector: str,
    config: Mapping[str, Any],
    org_slug: str | None = None,
    title: str = "",
    connector_name: str | None = None,
    schedule_seconds: int | None = None,
) -> ConnectorConfig:
    """Add (or update) a provider and one configured connector instance of it."""
    org = get_org(session, org_slug)
    provider = session.scalar(select(Provider).where(Provider.name == name))
    if provider is None:
        provider = Provider(organization_id=org.id, name=name, title=title or name, created_at=utcnow())
        session.add(provider)
        session.flush()
    elif provider.organization_id != org.id:
        raise InputError(f"provider {name!r} belongs to another organization")
    instance = connector_name or name
    row = session.scalar(select(ConnectorConfig).where(ConnectorConfig.name == instance))
    if row is not None and row.provider_id != provider.id:
        raise InputError(f"connector name {instance!r} is already used by another provider")
    if row is None:
        row = ConnectorConfig(provider_id=provider.id, name=instance, connector=connector, config=dict(config))
        session.add(row)
    row.connector, row.config, row.schedule_seconds, row.enabled = connector, dict(config), schedule_seconds, True
    row.updated_at = utcnow()
    session.flush()
    return row


def add_sink(
    session: Session, name: str, *, plugin: str, kinds: list[str], config: Mapping[str, Any]
) -> SinkSubscription:
    """Subscribe a sink plugin to kinds of outbox work."""
    unknown = [k for k in kinds if k not in KINDS]
    if unknown or not kinds:
        raise InputError(f"unknown outbox kind {unknown[0] if unknown else ''!r}; known kinds: {', '.join(KINDS)}")
    secretrefs.check_plain_config(config, f"sink {name!r} config")
    row = session.scalar(select(SinkSubscription).where(SinkSubscription.name == name))
    if row is None:
        row = SinkSubscription(name=name, plugin=plugin, kinds=kinds, config=dict(config), created_at=utcnow())
        session.add(row)
    row.plugin, row.kinds, row.config, row.enabled = plugin, list(kinds), dict(config), True
    session.flush()
    return row


def _entry(raw: Any, index: int, where: str) -> tuple[CreditOffering, dict[str, list[str]]]:
    if not isinstance(raw, Mapping):
        raise InputError(f"{where}: entry {index} is not an object")
    data = dict(raw)
    keys_raw = data.pop("keys", {}) or {}
    if not isinstance(keys_raw, Mapping) or any(k not in KEY_KINDS for k in keys_raw):
        raise InputError(f"{where}: entry {index}: 'keys' maps {', '.join(KEY_KINDS)} to a value or a list")
    keys = {k: [str(x) for x in (v if isinstance(v, list) else [v])] for k, v in keys_raw.items()}
    try:
        offering = CreditOffering.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        field = ".".join(str(p) for p in first["loc"]) or "(top level)"
        label = data.get("id", index)
        raise InputError(f"{where}: offering {label!r}: field {field!r}: {first['msg']}") from None
    return offering, keys


def import_catalog(session: Session, provider_name: str, entries: Any, where: str) -> dict[str, int]:
    """Load CATALOG.json offerings for a provider (all or nothing) and map waiting completions to them.

    Besides the CATALOG.json fields an entry may carry ``"keys": {"external_id": [...], "sis_id": ...}``: the
    provider's own ids for the course, which completion records use.
    """
    provider = get_provider(session, provider_name)
    if not isinstance(entries, list):
        raise InputError(f"{where}: a catalog is a JSON list of offerings")
    parsed = [_entry(raw, i, where) for i, raw in enumerate(entries)]
    seen: set[str] = set()
    for offering, _ in parsed:
        if offering.id in seen:
            raise InputError(f"{where}: offering id {offering.id!r} appears twice")
        seen.add(offering.id)
    added = updated = 0
    for offering, keys in parsed:
        row = session.scalar(
            select(Offering).where(Offering.provider_id == provider.id, Offering.offering_id == offering.id)
        )
        if row is None:
            row = Offering(provider_id=provider.id, offering_id=offering.id)
            session.add(row)
            added += 1
        else:
            updated += 1
        data = offering.model_dump(mode="json")
        row.title, row.format, row.activity = offering.title, offering.format, offering.activity
        row.credits_amount, row.credits_unit = offering.credits.amount, offering.credits.unit
        row.approvals, row.categories, row.topics = offering.approvals, offering.categories, offering.topics
        row.price_amount, row.price_currency = offering.price.amount, offering.price.currency
        row.sessions, row.data, row.updated_at = data["sessions"], data, utcnow()
        session.flush()
        session.execute(delete(OfferingKey).where(OfferingKey.offering_id == row.id))
        for kind, values in keys.items():
            for value in values:
                clash = session.scalar(
                    select(OfferingKey).where(
                        OfferingKey.provider_id == provider.id, OfferingKey.kind == kind, OfferingKey.value == value
                    )
                )
                if clash is not None:
                    raise InputError(f"{where}: {kind} {value!r} is already a key of another offering")
                session.add(OfferingKey(provider_id=provider.id, kind=kind, value=value, offering_id=row.id))
        session.flush()
    mapped = remap(session, provider.id, changed=updated > 0)
    return {"added": added, "updated": updated, "completions_mapped": mapped}


def remap(session: Session, provider_id: int, *, changed: bool) -> int:
    """Map the provider's completions to the (new) catalog and queue their clinicians' licenses for recompute.

    Walks the completions by id in chunks (keyset), so a provider with a million completions stays in memory.
    """
    finder = OfferingFinder(session, provider_id)
    clinicians: set[int] = set()
    mapped = 0
    last = 0
    while True:
        stmt = select(CompletionRow).where(CompletionRow.provider_id == provider_id, CompletionRow.id > last)
        if not changed:
            stmt = stmt.where(CompletionRow.offering_id.is_(None))
        rows = session.scalars(stmt.order_by(CompletionRow.id).limit(1000)).all()
        if not rows:
            break
        finder.prefetch(row.course for row in rows)
        for row in rows:
            found = finder.find(row.course)
            if found is not None and found != row.offering_id:
                row.offering_id = found
                mapped += 1
            if row.clinician_id is not None and (found is not None or changed):
                clinicians.add(row.clinician_id)
        last = rows[-1].id
        session.flush()
        session.expunge_all()
    queue_recompute(session, clinicians)
    return mapped
