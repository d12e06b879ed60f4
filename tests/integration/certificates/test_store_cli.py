"""``cebridge certificates`` against the store: profile, verify with the store's revocation list, revoke, packet."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from cebridge.certificates.sink import CertificateSink
from cebridge.cli import cli
from cebridge.config import Settings
from cebridge.keys import keystore_for
from cebridge.outbox import deliver_due
from cebridge.store.cert_tables import CertificateRow
from cebridge.store.db import SessionFactory, transaction
from cebridge.store.tables import SinkSubscription
from cebridge.store.types import utcnow
from cebridge.sync.pipeline import sync_connector
from tests.integration.certificates.test_pipeline_certificates import PROFILE
from tests.integration.helpers import add_clinicians, setup_provider
from tests.integration.provider import ProviderServer, Site


def test_store_commands(factory: SessionFactory, tmp_path: Path) -> None:
    runner = CliRunner()
    profile = tmp_path / "provider.json"
    profile.write_text(json.dumps(PROFILE))
    keys = keystore_for(Settings().home)  # the CLI's own key store (CEBRIDGE_HOME of this test)
    with ProviderServer(Site(2, learners=1, courses=2)) as server:
        setup_provider(factory, server.url, courses=2)
        add_clinicians(factory, range(1))
        unknown = runner.invoke(cli, ["certificates", "profile", "nobody", "--file", str(profile)])
        assert unknown.exit_code == 2 and "nobody" in unknown.stderr
        saved = runner.invoke(cli, ["certificates", "profile", "testlms", "--file", str(profile)])
        assert saved.exit_code == 0, saved.output
        with transaction(factory) as s:
            s.add(
                SinkSubscription(
                    name="certs",
                    plugin="certificates",
                    kinds=["certificate.issue", "certificate.revoke"],
                    config={},
                    enabled=True,
                    created_at=utcnow(),
                )
            )
        sync_connector(factory, "testlms")
        deliver_due(
            factory,
            now=utcnow(),
            loader=lambda plugin: lambda config: CertificateSink(config, factory=factory, keys=keys),
        )
    with transaction(factory, write=False) as s:
        rows = s.scalars(select(CertificateRow).order_by(CertificateRow.id)).all()
    assert len(rows) == 2
    token = tmp_path / "c.jwt"
    token.write_text(rows[0].credential_jwt)
    ok = runner.invoke(cli, ["certificates", "verify", str(token), "--format", "json", "--require-status"])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["revocation"]["status"] == "active"
    revoked = runner.invoke(cli, ["certificates", "revoke", rows[0].id, "--reason", "fraud"])
    assert revoked.exit_code == 0 and json.loads(revoked.stdout)["status"] == "revoked"
    again = runner.invoke(cli, ["certificates", "verify", str(token)])
    assert again.exit_code == 1 and "revoked" in again.stdout
    assert runner.invoke(cli, ["certificates", "revoke", "CE-NONE", "--reason", "x"]).exit_code == 2
    out = tmp_path / "packet.zip"
    packet = runner.invoke(cli, ["certificates", "packet", "--license-number", "lpc 70000", "--out", str(out)])
    assert packet.exit_code == 0, packet.output
    summary = json.loads(packet.stdout)
    assert summary["certificates"] == [rows[1].id]
    assert summary["missing_certificates"] == [rows[0].completion_ref]  # revoked: counted but no valid certificate
    with zipfile.ZipFile(out) as zf:
        assert f"certificates/{rows[1].id}.pdf" in zf.namelist() and "transcript.jwt" in zf.namelist()
    absent = runner.invoke(cli, ["certificates", "packet", "--license-number", "LPC 1", "--out", str(out)])
    assert absent.exit_code == 2 and "no license numbered" in absent.stderr


@pytest.mark.parametrize(
    "command", [["revoke", "CE-X", "--reason", "r"], ["packet", "--license-number", "1", "--out", "p.zip"]]
)
def test_store_commands_without_a_store_say_so(
    command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["certificates", *command])
    assert result.exit_code == 2 and ("db upgrade" in result.stderr or "--dir" in result.stderr)
    assert not (tmp_path / "home" / "cebridge.db").exists()
