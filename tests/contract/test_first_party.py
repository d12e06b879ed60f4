"""Every first-party connector passes the contract kit (connectors.testing) against a real local provider."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.base import Connector
from connectors.canvas import CanvasConfig, CanvasConnector
from connectors.csv import CsvConfig, CsvConnector
from connectors.moodle import MoodleConfig, MoodleConnector
from connectors.testing import ConnectorContract, assert_contract, run_contract
from connectors.xapi import XapiConfig, XapiConnector
from examples.providers.canvas_server import CanvasServer
from examples.providers.canvas_server import generate_site as canvas_site
from examples.providers.moodle_server import MoodleServer
from examples.providers.moodle_server import generate_site as moodle_site
from tests.integration.connectors.lrs_fixture import running_lrs, statement, voiding


@pytest.fixture(scope="module")
def canvas() -> Iterator[CanvasServer]:
    with CanvasServer(canvas_site(courses=3, students=12)) as server:
        yield server


@pytest.fixture(scope="module")
def moodle() -> Iterator[MoodleServer]:
    with MoodleServer(moodle_site(courses=2, students=9)) as server:
        yield server


def canvas_factory(server: CanvasServer, token: str | None = None, **kw: Any) -> Any:
    cfg: dict[str, Any] = {
        "base_url": server.url,
        "token": token or server.site.token,
        "course_ids": [str(c) for c in server.site.courses],
        "per_page": 5,
        "batch_size": 4,
        "max_retries": 0,
    }
    cfg.update(kw)
    return lambda: CanvasConnector(CanvasConfig(**cfg))


def test_canvas_course_rosters(canvas: CanvasServer) -> None:
    report = assert_contract(canvas_factory(canvas), bad_credentials=canvas_factory(canvas, "wrong-token-1234"))
    assert report.records == 36 and report.batches > 5


def test_canvas_learner_centric(canvas: CanvasServer) -> None:
    factory = canvas_factory(canvas, course_ids=[], user_ids=["5001", "5002", "5010"])
    assert assert_contract(factory).records == 9


def test_moodle(moodle: MoodleServer) -> None:
    def factory(token: str | None = None) -> Any:
        cfg = {"base_url": moodle.url, "token": token or moodle.site.token, "page_size": 4, "batch_size": 3}
        return lambda: MoodleConnector(MoodleConfig(**cfg))

    report = assert_contract(factory(), bad_credentials=factory("bad-moodle-token"))
    assert report.records == 18


def test_csv(tmp_path: Path) -> None:
    path = tmp_path / "completions.csv"
    rows = "".join(f"ETH-{i % 4},u{i}@example.org,2024-05-{1 + i % 28:02d},completed\n" for i in range(30))
    path.write_text("Course,Email,Date,Status\n" + rows + "ETH-1,broken,2024-05-01,completed\n")
    columns = {"course_id": "Course", "email": "Email", "completed_at": "Date", "status": "Status"}
    report = assert_contract(
        lambda: CsvConnector(CsvConfig(path=str(path), columns=columns, batch_size=7)),
        bad_credentials=lambda: CsvConnector(CsvConfig(path=str(tmp_path / "missing.csv"), columns=columns)),
    )
    assert report.records == 30


@pytest.mark.slow
def test_xapi_against_ralph(tmp_path: Path) -> None:
    with running_lrs(tmp_path / "lrs") as lrs:
        ids = lrs.post([statement("completed", i, 300 + i % 2) for i in range(7)] + [statement("initialized", 9, 300)])
        lrs.post([statement("passed", 8, 301), voiding(ids[2])])

        def factory(password: str | None = None) -> Any:
            cfg = {"base_url": lrs.url, "username": lrs.username, "password": password or lrs.password, "page_size": 3}
            return lambda: XapiConnector(XapiConfig(**cfg))

        report = assert_contract(factory(), bad_credentials=factory("wrong-password"))
        assert report.records >= 8


def test_the_kit_catches_a_connector_that_re_emits_after_resume(canvas: CanvasServer) -> None:
    class Forgetful(CanvasConnector):
        """Ignores its state: every read starts from scratch."""

        def read(self, state: Any = None) -> Any:
            return super().read(None)

    cfg = CanvasConfig(base_url=canvas.url, token=canvas.site.token, course_ids=["101"], batch_size=4)
    report = run_contract(lambda: Forgetful(cfg))
    assert report.failures().keys() == {"resume"}
    assert "re-emitted" in report.failures()["resume"]


def test_the_kit_catches_a_check_that_raises_and_non_json_state(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("Course,Email,Date\nETH-1,a@example.org,2024-05-01\n")
    columns = {"course_id": "Course", "email": "Email", "completed_at": "Date"}

    class Sloppy(CsvConnector):
        def check(self) -> Any:
            raise RuntimeError("boom")

        def read(self, state: Any = None) -> Any:
            for batch in super().read(state):
                batch.state["when"] = {1, 2}  # a set is not JSON
                yield batch

    report = run_contract(
        lambda: Sloppy(CsvConfig(path=str(path), columns=columns)),
        bad_credentials=lambda: Sloppy(CsvConfig(path=str(path), columns=columns)),
    )
    failures = report.failures()
    assert "check_works" in failures and "raised RuntimeError" in failures["check_works"]
    assert "check_fails" in failures and "raised RuntimeError" in failures["check_fails"]
    assert "state_json" in failures and "not JSON-serialisable" in failures["state_json"]


class TestCsvAsPytestClass(ConnectorContract):
    """The same kit used the pytest way: each check is its own test."""

    @pytest.fixture(autouse=True)
    def _file(self, tmp_path: Path) -> None:
        self.path = tmp_path / "c.csv"
        self.path.write_text("Course,Email,Date\n" + "".join(f"C{i},u{i}@example.org,2024-05-01\n" for i in range(5)))

    def make_connector(self) -> Connector:
        columns = {"course_id": "Course", "email": "Email", "completed_at": "Date"}
        return CsvConnector(CsvConfig(path=str(self.path), columns=columns, batch_size=2))

    def make_bad_connector(self) -> Connector | None:
        columns = {"course_id": "Course", "email": "Email", "completed_at": "Date"}
        return CsvConnector(CsvConfig(path=str(self.path.with_name("absent.csv")), columns=columns))
