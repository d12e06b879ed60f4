"""``run_demo`` in process, on SQLite and PostgreSQL: the whole demo, twice on the same store (the second run adds
nothing), a provider that refuses the demo's token midway (the rest goes on, a rerun completes without
duplicates), and a database that is not there (one clear error)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, func, select

from cebridge.cli import cli
from cebridge.config import Settings
from cebridge.demo.canvas_site import CanvasSite
from cebridge.demo.loopback import Reply, Request
from cebridge.demo.run import DemoResult, run_demo
from cebridge.store.cert_tables import CertificateRow
from cebridge.store.db import make_engine, session_factory, transaction
from cebridge.store.tables import (
    AuditEntry,
    Clinician,
    CompletionRow,
    ConnectorConfig,
    Identity,
    LicenseRow,
    Offering,
    OutboxItem,
    Provider,
    SinkSubscription,
)

TABLES = [
    Provider,
    ConnectorConfig,
    SinkSubscription,
    Offering,
    Clinician,
    Identity,
    LicenseRow,
    CompletionRow,
    OutboxItem,
    AuditEntry,
    CertificateRow,
]


@pytest.fixture
def settings(db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Settings:
    monkeypatch.setenv("CEBRIDGE_DATABASE_URL", db_url)
    monkeypatch.setenv("CEBRIDGE_HOME", str(tmp_path / "home"))
    return Settings()


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    eng = make_engine(settings)
    yield eng
    eng.dispose()


def counts(engine: Engine) -> dict[str, int]:
    with transaction(session_factory(engine), write=False) as session:
        return {t.__tablename__: int(session.scalar(select(func.count()).select_from(t)) or 0) for t in TABLES}


def quiet(text: str, final: bool) -> None:
    return None


def by_board(result: DemoResult) -> dict[str, Any]:
    return {line.board: line for line in result.licenses}


def test_the_demo_runs_twice_and_the_second_run_adds_nothing(settings: Settings, engine: Engine) -> None:
    first = run_demo(settings, quiet, engine=engine)
    assert [s.outcome for s in first.syncs] == ["ok", "ok", "ok"]
    assert sum(s.new for s in first.syncs) == 24 and sum(s.rejected for s in first.syncs) == 1
    lines = by_board(first)
    assert set(lines) == {"tx-lpc", "ca-lmft", "ny-lcsw", "fl-lmhc", "oh-lpcc"}
    assert (lines["tx-lpc"].counted, lines["tx-lpc"].required) == (Decimal(15), Decimal(24))
    assert lines["fl-lmhc"].compliant and not lines["tx-lpc"].compliant
    assert "telehealth 3" in lines["ca-lmft"].short
    assert {b: line.certificates for b, line in lines.items()} == {
        "tx-lpc": 3,
        "ca-lmft": 2,
        "ny-lcsw": 3,
        "fl-lmhc": 7,
        "oh-lpcc": 3,
    }
    assert first.failed_deliveries == []
    certificates = Path(first.paths["certificates"])
    assert len(list(certificates.glob("*.pdf"))) == len(list(certificates.glob("*.jwt"))) == 18
    before = counts(engine)
    assert before["completions"] == 24 and before["certificates"] == 18 and before["clinicians"] == 5

    second = run_demo(settings, quiet, engine=engine)
    assert [s.new for s in second.syncs] == [0, 0, 0] and second.delivered == 0
    assert counts(engine) == before
    assert [line.to_json() for line in second.licenses] == [line.to_json() for line in first.licenses]
    assert len(list(certificates.glob("*.pdf"))) == 18


def test_unmatched_learners_wait_and_are_not_credited_to_anyone(settings: Settings, engine: Engine) -> None:
    run_demo(settings, quiet, engine=engine)
    with transaction(session_factory(engine), write=False) as session:
        waiting = session.scalars(select(CompletionRow).where(CompletionRow.match_status == "unmatched")).all()
        emails = sorted(str(r.learner.get("email")) for r in waiting)
    assert emails == [
        "casey.nguyen@example.org",
        "casey.nguyen@example.org",
        "riley.brooks@example.org",
        "taylor.kim@example.org",
    ]


def test_a_provider_refusing_the_token_fails_its_sync_only_and_a_rerun_completes(
    settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = CanvasSite.answer

    def refuse(self: CanvasSite, req: Request) -> Reply:
        return Reply(401, {"errors": [{"message": "Invalid access token."}]}, {"WWW-Authenticate": "Bearer"})

    monkeypatch.setattr(CanvasSite, "answer", refuse)
    broken = run_demo(settings, quiet, engine=engine)
    outcome = {s.connector: s for s in broken.syncs}
    assert outcome["lone-star-ce"].outcome == "failed"
    assert "token" in outcome["lone-star-ce"].errors[0]
    assert outcome["pacific-counseling"].outcome == outcome["empire-state-ce"].outcome == "ok"
    assert by_board(broken)["tx-lpc"].counted == 0  # Jordan's courses are all on Canvas
    secret_files = list((settings.home / "demo" / "secrets").iterdir())
    assert all(f.read_text() not in " ".join(outcome["lone-star-ce"].errors) for f in secret_files)

    monkeypatch.setattr(CanvasSite, "answer", original)
    healed = run_demo(settings, quiet, engine=engine)
    assert [s.outcome for s in healed.syncs] == ["ok", "ok", "ok"]
    assert by_board(healed)["tx-lpc"].counted == 15
    again = counts(engine)
    run_demo(settings, quiet, engine=engine)
    assert counts(engine) == again
    assert again["completions"] == 24 and again["certificates"] == 18


def test_the_cli_says_in_one_line_that_the_demo_did_not_finish(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        CanvasSite, "answer", lambda self, req: Reply(401, {"errors": []}, {"WWW-Authenticate": "Bearer"})
    )
    out = CliRunner().invoke(cli, ["demo"])
    assert out.exit_code == 1
    assert "Jordan Lee" in out.stdout  # the summary is still printed
    errors = [line for line in out.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "lone-star-ce failed" in errors[0]


def test_an_unreachable_database_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CEBRIDGE_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:1/nowhere")
    out = CliRunner().invoke(cli, ["demo"])
    assert out.exit_code == 1
    assert (
        out.stderr.strip().splitlines()[-1]
        == "error: cannot reach the database at postgresql+psycopg://postgres@127.0.0.1:1/nowhere"
    )
    assert "Traceback" not in out.output


def test_serving_on_a_port_in_use_is_one_clear_error(tmp_path: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        out = CliRunner().invoke(cli, ["demo", "--serve", "--port", str(port)])
    assert out.exit_code == 1
    last = out.stderr.strip().splitlines()[-1]
    assert f"Port {port} is in use" in last and "different port" in last  # werkzeug's own line
    assert "Traceback" not in out.output
