"""Certificates through the whole pipeline, on SQLite and PostgreSQL: sync -> compliance -> outbox -> the
certificates sink -> downstream sinks (a real webhook receiver on 127.0.0.1, the roster export), then a
completion revoked and another corrected at the source, and what the verification page and packet say."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable, Iterator, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from flask import Flask
from sqlalchemy import delete, select

from cebridge.certificates.model import ProviderProfile
from cebridge.certificates.sink import CertificateSink
from cebridge.certificates.stored import set_provider_profile
from cebridge.certificates.verification import JwksResolver, verify_token
from cebridge.config import Settings
from cebridge.keys import KeyStore
from cebridge.outbox import deliver_due
from cebridge.services import orgs
from cebridge.sinks.base import Sink, load_sink_factory
from cebridge.store.cert_tables import CertificateRow
from cebridge.store.db import SessionFactory, transaction
from cebridge.store.tables import ConnectorState, LicenseRow, OutboxItem, Provider, SinkSubscription
from cebridge.store.types import utcnow
from cebridge.sync.pipeline import sync_connector
from lti_tool import create_app
from lti_tool.db import engine_of
from tests.integration.helpers import add_clinicians, setup_provider
from tests.integration.provider import ProviderServer, Site
from tests.unit.certificates.test_sinks import SECRET, Receiver

BASE = "https://ce.example.org"
PROFILE = {
    "name": "Test CE",
    "address": "1 Main St, Tallahassee, FL 32301",
    "approvals": [{"body": "NBCC", "id": "ACEP No. 7777"}],
    "signer": {"name": "Pat Signer", "title": "CE Director"},
}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r


@pytest.fixture
def keys(tmp_path: Path) -> KeyStore:
    return KeyStore(tmp_path / "home")


def _loader(factory: SessionFactory, keys: KeyStore) -> Callable[[str], Callable[[Mapping[str, Any]], Sink]]:
    def load(plugin: str) -> Callable[[Mapping[str, Any]], Sink]:
        if plugin == "certificates":
            return lambda config: CertificateSink(config, factory=factory, keys=keys)
        return load_sink_factory(plugin)

    return load


def _subscribe(factory: SessionFactory, receiver: Receiver, roster_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOK_SECRET", SECRET)
    with transaction(factory) as s:
        provider = s.scalar(select(Provider).where(Provider.name == "testlms"))
        assert provider is not None
        set_provider_profile(s, provider.id, ProviderProfile.model_validate(PROFILE))
        # Downstream kinds are added directly: cebridge.sync.events.KINDS lists only the pipeline's own kinds.
        s.add_all(
            [
                SinkSubscription(
                    name="certs", plugin="certificates", kinds=["certificate.issue", "certificate.revoke"],
                    config={"base_url": BASE}, enabled=True, created_at=utcnow(),
                ),
                SinkSubscription(
                    name="hook", plugin="webhook",
                    kinds=["certificate.issued", "certificate.reissued", "certificate.revoked"],
                    config={"url": receiver.url, "secret": {"env": "HOOK_SECRET"}, "timeout": 5},
                    enabled=True, created_at=utcnow(),
                ),
                SinkSubscription(
                    name="roster", plugin="cebroker_roster",
                    kinds=["certificate.issued", "certificate.reissued", "certificate.revoked"],
                    config={"directory": str(roster_dir), "provider_id": "50-1"}, enabled=True, created_at=utcnow(),
                ),
            ]
        )  # fmt: skip


def _certs(factory: SessionFactory) -> dict[str, CertificateRow]:
    with transaction(factory, write=False) as s:
        return {r.id: r for r in s.scalars(select(CertificateRow))}


def _drain_outbox(factory: SessionFactory, keys: KeyStore, rounds: int = 6) -> None:
    """Deliver until nothing is due, moving the clock past every backoff."""
    now = utcnow()
    for _ in range(rounds):
        deliver_due(factory, now=now, loader=_loader(factory, keys))
        now += timedelta(hours=7)


def test_certificates_follow_the_record_and_sinks_never_lose_one(
    factory: SessionFactory, keys: KeyStore, receiver: Receiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = Site(6, learners=2, courses=3)
    roster_dir = tmp_path / "roster"
    with ProviderServer(site) as server:
        setup_provider(factory, server.url, courses=3)
        add_clinicians(factory, range(2))
        _subscribe(factory, receiver, roster_dir, monkeypatch)
        sync_connector(factory, "testlms")
        # The webhook receiver is down at first: certificates are issued anyway, deliveries wait.
        receiver.answers = [503] * 50
        deliver_due(factory, now=utcnow(), loader=_loader(factory, keys))
        deliver_due(factory, now=utcnow(), loader=_loader(factory, keys))
        certs = _certs(factory)
        assert len(certs) == 6 and {c.status for c in certs.values()} == {"issued"}
        with transaction(factory, write=False) as s:
            pending = s.scalars(select(OutboxItem).where(OutboxItem.sink == "hook")).all()
            assert len(pending) == 6 and all(i.attempts == 1 and i.delivered_at is None for i in pending)
        receiver.answers = []
        _drain_outbox(factory, keys)
        assert sorted(d["data"]["certificate_id"] for d in receiver.accepted) == sorted(certs)
        assert len((roster_dir / "roster.csv").read_text().splitlines()) == 7

        # Every stored credential verifies with the published keys and matches its stored PDF.
        for row in certs.values():
            assert verify_token(row.credential_jwt, JwksResolver(keys.jwks()), now=utcnow(), pdf=row.pdf).valid

        # Revoked at the source, and corrected at the source.
        with transaction(factory, write=False) as s:
            first = s.scalars(select(CertificateRow).order_by(CertificateRow.completion_id)).all()
        revoked_ref, corrected_ref = first[0].completion_ref, first[1].completion_ref
        site.overrides[0] = {"status": "revoked"}
        site.overrides[1] = {"completed_at": "2024-02-01T10:00:00+00:00"}
        with transaction(factory) as s:
            s.execute(delete(ConnectorState))
        sync_connector(factory, "testlms")
        _drain_outbox(factory, keys)
    after = _certs(factory)
    by_ref: dict[str, list[CertificateRow]] = {}
    for row in after.values():
        by_ref.setdefault(row.completion_ref, []).append(row)
    (gone,) = by_ref[revoked_ref]
    assert gone.status == "revoked" and gone.revoked_at is not None
    old, new = sorted(by_ref[corrected_ref], key=lambda r: r.revision)
    assert (old.status, old.replaced_by, new.status, new.revision) == ("reissued", new.id, "issued", 1)
    assert new.data["end_date"] == "2024-02-01"
    kinds = [(d["kind"], d["data"]["certificate_id"]) for d in receiver.accepted]
    assert ("certificate.revoked", gone.id) in kinds and ("certificate.reissued", new.id) in kinds
    roster = (roster_dir / "roster.csv").read_text()
    assert gone.id not in roster and old.id not in roster and new.id in roster

    # The verification page and API say what happened.
    settings = Settings(home=tmp_path / "home", database_url=str(factory.kw["bind"].url.render_as_string(False)),
                        base_url=BASE)  # fmt: skip
    app = create_app(settings, TESTING=True)
    try:
        _check_web(app, keys, factory, gone, old, new)
    finally:
        engine_of(app).dispose()


def _check_web(
    app: Flask, keys: KeyStore, factory: SessionFactory, gone: CertificateRow, old: CertificateRow, new: CertificateRow
) -> None:
    client = app.test_client()
    page = client.get(f"/verify/{gone.id}")
    assert page.status_code == 200 and b'data-status="revoked"' in page.data and b"Revoked." in page.data
    replaced = client.get(f"/verify/{old.id}")
    assert b'data-status="reissued"' in replaced.data and new.id.encode() in replaced.data
    valid = client.get(f"/verify/{new.id}")
    assert b'data-status="valid"' in valid.data and b"ACEP No. 7777" in valid.data
    assert b"LPC 70000" not in valid.data  # the license number is masked on the public page
    assert client.get("/verify/CE-NOPE-NOPE-NOPE-NOPE").status_code == 404
    api = client.post("/api/v1/verify", json={"credential": gone.credential_jwt}).get_json()
    assert api["valid"] is False and api["revocation"]["status"] == "revoked" and api["signature"]["ok"] is True
    api = client.post("/api/v1/verify", data=new.credential_jwt, content_type="application/vc+jwt").get_json()
    assert api["valid"] is True and api["issuer_key"]["kid"] == keys.active().kid
    assert client.post("/api/v1/verify", json={}).status_code == 400
    status = client.get("/credentials/status", headers={"Accept": "application/vc+jwt"})
    claims = jwt.decode(status.data.decode(), jwt.PyJWK(keys.jwks()["keys"][0]).key, algorithms=["RS256"])
    from cebridge.certificates.status import revoked_in

    assert revoked_in(claims["vc"], gone.status_index) and revoked_in(claims["vc"], old.status_index)
    assert not revoked_in(claims["vc"], new.status_index)
    assert client.get(f"/verify/{new.id}/certificate.pdf").data == new.pdf
    context = client.get("/contexts/cebridge-ce-v1.jsonld")
    assert context.mimetype == "application/ld+json" and "ceCredit" in context.get_json()["@context"]

    # The audit packet of a stored license needs its organization's API token.
    with transaction(factory) as s:
        _, token = orgs.create_token(s, orgs.get_org(s, None), "auditor")
    assert client.get("/api/v1/licenses/LPC 70000/packet").status_code == 401
    assert (
        client.get("/api/v1/licenses/LPC 70000/packet", headers={"Authorization": "Bearer ceb_wrong"}).status_code
        == 401
    )
    packet = client.get("/api/v1/licenses/LPC 70000/packet", headers={"Authorization": f"Bearer {token}"})
    assert packet.status_code == 200 and packet.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(packet.data)) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        names = set(zf.namelist())
    assert manifest["license_number"] == "LPC 70000" and manifest["certificates"]
    assert all(f"certificates/{c}.pdf" in names for c in manifest["certificates"])
    assert gone.id not in manifest["certificates"] and old.id not in manifest["certificates"]
    with transaction(factory) as s:
        license_id = s.scalar(select(LicenseRow.id).where(LicenseRow.license_number == "LPC 70000"))
        _, stranger = orgs.create_token(s, orgs.add_org(s, "other-clinic"), "auditor")
    by_id = client.get(f"/api/v1/licenses/{license_id}/packet", headers={"Authorization": f"Bearer {token}"})
    assert by_id.status_code == 200 and by_id.mimetype == "application/zip"
    for path in (f"/api/v1/licenses/{license_id}/packet", "/api/v1/licenses/LPC 70000/packet"):
        denied = client.get(path, headers={"Authorization": f"Bearer {stranger}"})
        assert denied.status_code == 404 and denied.get_json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/licenses/999999/packet", headers={"Authorization": f"Bearer {token}"}).status_code == 404


def test_a_rejecting_sink_dead_letters_without_losing_the_certificate(
    factory: SessionFactory, keys: KeyStore, receiver: Receiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = Site(2, learners=1, courses=2)
    with ProviderServer(site) as server:
        setup_provider(factory, server.url, courses=2)
        add_clinicians(factory, range(1))
        _subscribe(factory, receiver, tmp_path / "roster", monkeypatch)
        sync_connector(factory, "testlms")
        receiver.answers = [410] * 10
        _drain_outbox(factory, keys)
    with transaction(factory, write=False) as s:
        hook = s.scalars(select(OutboxItem).where(OutboxItem.sink == "hook")).all()
        certs = s.scalars(select(CertificateRow)).all()
    assert len(certs) == 2 and all(c.status == "issued" for c in certs)
    assert len(hook) == 2 and all(i.dead_lettered and "410" in (i.last_error or "") for i in hook)


def test_missing_provider_profile_dead_letters_with_a_clear_reason(
    factory: SessionFactory, keys: KeyStore, receiver: Receiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = Site(1, learners=1, courses=1)
    with ProviderServer(site) as server:
        setup_provider(factory, server.url, courses=1)
        add_clinicians(factory, range(1))
        _subscribe(factory, receiver, tmp_path / "roster", monkeypatch)
        with transaction(factory) as s:
            from cebridge.store.cert_tables import CertificateProfile

            s.execute(delete(CertificateProfile))
        sync_connector(factory, "testlms")
        _drain_outbox(factory, keys, rounds=1)
    with transaction(factory, write=False) as s:
        (item,) = s.scalars(select(OutboxItem).where(OutboxItem.sink == "certs")).all()
    assert item.dead_lettered and "has no certificate profile" in (item.last_error or "")
    assert _certs(factory) == {}


def test_the_entry_points_name_the_sinks() -> None:
    assert load_sink_factory("certificates") is CertificateSink
    from cebridge.sinks.jsonl import JsonLinesSink
    from cebridge.sinks.roster import RosterSink
    from cebridge.sinks.webhook import WebhookSink

    assert load_sink_factory("webhook") is WebhookSink
    assert load_sink_factory("cebroker_roster") is RosterSink
    assert load_sink_factory("jsonl") is JsonLinesSink
