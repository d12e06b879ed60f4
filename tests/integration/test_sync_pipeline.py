"""The pipeline end to end over real HTTP, on SQLite and PostgreSQL: store, match, map, credit, audit."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, func, select

from cebridge.cli import cli
from cebridge.store.db import SessionFactory, make_engine, session_factory, transaction
from cebridge.store.migrate import upgrade
from cebridge.store.tables import (
    AuditEntry,
    CompletionRow,
    ComplianceSnapshot,
    ConnectorState,
    CreditAwardRow,
    Identity,
    LicenseRow,
)
from cebridge.sync.pipeline import sync_all, sync_connector
from tests.integration.helpers import add_clinicians, setup_provider, totals
from tests.integration.provider import ProviderServer, Site


def _count(factory: SessionFactory, *where: object) -> int:
    with transaction(factory, write=False) as s:
        return int(s.scalar(select(func.count()).select_from(CompletionRow).where(*where)) or 0)  # type: ignore[arg-type]


def _reset_cursor(factory: SessionFactory) -> None:
    with transaction(factory) as s:
        s.execute(delete(ConnectorState))


def test_sync_stores_matches_and_credits(factory: SessionFactory) -> None:
    site = Site(250, learners=10, courses=5)
    with ProviderServer(site) as server:
        setup_provider(factory, server.url, courses=5)
        clinicians = add_clinicians(factory, range(8))
        first = sync_connector(factory, "testlms")
        again = sync_connector(factory, "testlms")
    assert (first.outcome, first.read, first.new, first.unmatched, first.changed) == ("ok", 250, 250, 50, 0)
    assert first.batches == 3
    # The cursor stays on the last page: a rerun re-reads it and changes nothing.
    assert (again.outcome, again.read, again.new, again.changed, again.unchanged) == ("ok", 50, 0, 0, 50)
    assert _count(factory) == 250
    with transaction(factory, write=False) as s:
        snaps = s.scalars(select(ComplianceSnapshot)).all()
        assert len(snaps) == 8
        report = snaps[0].report
        assert report["board"] == "tx-lpc" and "requirements" in report and "completions" in report
        assert s.scalar(select(func.count()).select_from(CreditAwardRow)) > 0
        # Every matched completion of learner 0 is credited to learner 0's clinician only.
        owners = set(
            s.scalars(
                select(CompletionRow.clinician_id).where(
                    CompletionRow.learner["email"].as_string() == "learner0@example.org"
                )
            )
        )
        assert owners == {clinicians[0]}
        added = s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "completion.added"))
        assert added == 200


def test_correction_and_revocation_update_credit_and_are_audited(factory: SessionFactory) -> None:
    site = Site(60, learners=3, courses=3)
    with ProviderServer(site) as server:
        setup_provider(factory, server.url, courses=3)
        add_clinicians(factory, range(3))
        sync_connector(factory, "testlms")
        with transaction(factory, write=False) as s:
            r0 = s.scalar(select(CompletionRow).where(CompletionRow.external_id == "r0"))
            assert r0 is not None
            before_awards = s.scalar(
                select(func.count()).select_from(CreditAwardRow).where(CreditAwardRow.completion_id == r0.id)
            )
        assert before_awards and before_awards > 0
        site.overrides[0] = {"status": "revoked"}
        site.overrides[1] = {"completed_at": "2024-02-01T10:00:00+00:00"}
        _reset_cursor(factory)  # the provider re-sends everything
        second = sync_connector(factory, "testlms")
    assert (second.new, second.changed, second.revoked) == (0, 2, 1)
    assert _count(factory) == 60
    with transaction(factory, write=False) as s:
        r0 = s.scalar(select(CompletionRow).where(CompletionRow.external_id == "r0"))
        r1 = s.scalar(select(CompletionRow).where(CompletionRow.external_id == "r1"))
        assert r0 is not None and r1 is not None
        assert r0.revoked_at is not None and r0.version == 2
        assert str(r1.completed_on) == "2024-02-01"
        assert (
            s.scalar(select(func.count()).select_from(CreditAwardRow).where(CreditAwardRow.completion_id == r0.id)) == 0
        )
        entries = s.scalars(
            select(AuditEntry).where(AuditEntry.entity_id == r0.id, AuditEntry.action == "completion.revoked")
        ).all()
        assert len(entries) == 1
        assert entries[0].before is not None and entries[0].before["revoked_at"] is None
        assert entries[0].after is not None and entries[0].after["revoked_at"] is not None
        snap = s.scalar(select(ComplianceSnapshot).join(LicenseRow).where(LicenseRow.clinician_id == r0.clinician_id))
        assert snap is not None
        assert str(r0.id) not in {c["id"] for c in snap.report["completions"]}


def test_unmatched_completion_waits_then_link_applies_credit(factory: SessionFactory) -> None:
    site = Site(20, learners=2, courses=2)
    with ProviderServer(site) as server:
        setup_provider(factory, server.url, courses=2)
        with transaction(factory) as s:
            from cebridge.services import people

            people.add_clinician(s, name="Same Name As Learner 1", email="someone-else@example.org")
        clinicians = add_clinicians(factory, range(1))
        sync_connector(factory, "testlms")
    waiting = _count(factory, CompletionRow.match_status == "unmatched")
    assert waiting == 10  # learner 1 has no known key: never guessed by name
    with transaction(factory, write=False) as s:
        target = s.scalar(select(CompletionRow).where(CompletionRow.match_status == "unmatched").limit(1))
        assert target is not None
    runner = CliRunner()
    result = runner.invoke(cli, ["completions", "link", str(target.id), str(clinicians[0])])
    assert result.exit_code == 0, result.output
    with transaction(factory, write=False) as s:
        linked = s.get(CompletionRow, target.id)
        assert linked is not None and linked.match_status == "linked" and linked.clinician_id == clinicians[0]
        assert (
            s.scalar(select(func.count()).select_from(CreditAwardRow).where(CreditAwardRow.completion_id == target.id))
            > 0
        )
        assert s.scalar(select(Identity).where(Identity.kind == "platform_user", Identity.value == "u1")) is not None
        assert s.scalar(select(AuditEntry).where(AuditEntry.action == "completion.linked")) is not None
    # The remembered platform id matched the learner's other waiting completions.
    assert _count(factory, CompletionRow.match_status == "unmatched") == 0
    listed = runner.invoke(cli, ["completions", "list", "--clinician", str(clinicians[0]), "--format", "json"])
    assert listed.exit_code == 0 and listed.output.count('"external_id"') == 20


def test_link_refuses_unknown_ids(factory: SessionFactory) -> None:
    result = CliRunner().invoke(cli, ["completions", "link", "999", "1"])
    assert result.exit_code == 2
    assert "no completion with id 999" in result.output


def test_provider_failing_halfway_keeps_whole_batches_and_resumes(factory: SessionFactory, tmp_path: Path) -> None:
    site = Site(500, learners=20, courses=5)
    with ProviderServer(site) as server:
        setup_provider(factory, server.url, courses=5)
        add_clinicians(factory, range(20))
        site.fail_at_page = 2
        broken = sync_connector(factory, "testlms")
        assert broken.outcome == "interrupted"
        assert "503" in broken.errors[0] and "resumes" in broken.errors[0]
        assert _count(factory) == 200
        with transaction(factory, write=False) as s:
            state = s.scalar(select(ConnectorState.state))
        assert state == {"streams": {"completions": {"page": 2}}}
        site.fail_at_page = None
        resumed = sync_connector(factory, "testlms")
        assert (resumed.outcome, resumed.new) == ("ok", 300)
        # A clean run into a separate database gives the same record and the same credit.
        clean_engine = make_engine(f"sqlite:///{tmp_path / 'clean.db'}")
        upgrade(clean_engine)
        clean = session_factory(clean_engine)
        setup_provider(clean, server.url, courses=5)
        add_clinicians(clean, range(20))
        sync_connector(clean, "testlms")
    assert totals(factory) == totals(clean)


def test_hanging_provider_times_out_clearly(factory: SessionFactory) -> None:
    site = Site(300, learners=5, courses=3)
    with ProviderServer(site) as server:
        setup_provider(factory, server.url, courses=3, timeout=0.5)
        site.hang_at_page = 1
        summary = sync_connector(factory, "testlms")
    assert summary.outcome == "interrupted"
    assert "did not answer page 1" in summary.errors[0]
    assert _count(factory) == 100


def test_concurrent_syncs_of_one_connector_never_duplicate(factory: SessionFactory) -> None:
    import threading

    site = Site(400, learners=10, courses=4)
    site.delay = 0.05
    with ProviderServer(site) as server:
        setup_provider(factory, server.url, courses=4)
        add_clinicians(factory, range(10))
        results = []
        threads = [
            threading.Thread(target=lambda: results.append(sync_connector(factory, "testlms"))) for _ in range(2)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    outcomes = sorted(r.outcome for r in results)
    assert outcomes in (["busy", "ok"], ["ok", "ok"])
    busy = [r for r in results if r.outcome == "busy"]
    assert all("already syncing" in r.errors[0] for r in busy)
    assert _count(factory) == 400
    with transaction(factory, write=False) as s:
        dupes = s.execute(
            select(CompletionRow.source, CompletionRow.external_id, func.count())
            .group_by(CompletionRow.source, CompletionRow.external_id)
            .having(func.count() > 1)
        ).all()
    assert dupes == []


def test_sync_all_and_cli_summary(factory: SessionFactory) -> None:
    site = Site(30, learners=3, courses=2)
    with ProviderServer(site) as server:
        setup_provider(factory, server.url, courses=2)
        assert [s.outcome for s in sync_all(factory)] == ["ok"]
        result = CliRunner().invoke(cli, ["sync", "--connector", "testlms"])
    assert result.exit_code == 0, result.output
    assert "testlms: ok; read 30, new 0, changed 0, unmatched 30, rejected 0, errors 0" in result.output


def test_unknown_connector_is_a_clear_error(factory: SessionFactory) -> None:
    result = CliRunner().invoke(cli, ["sync", "--connector", "nope"])
    assert result.exit_code == 2
    assert "no connector named 'nope'" in result.output


@pytest.mark.parametrize(
    "url",
    ["postgresql+psycopg://postgres@127.0.0.1:1/nothing", "sqlite:////nonexistent-dir/sub/cebridge.db"],
)
def test_unavailable_database_is_one_clear_line(url: str) -> None:
    result = CliRunner().invoke(cli, ["sync"], env={"CEBRIDGE_DATABASE_URL": url})
    assert result.exit_code == 1
    assert result.output.startswith("error: cannot reach the database at")
    assert "Traceback" not in result.output
