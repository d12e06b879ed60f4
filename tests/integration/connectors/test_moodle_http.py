"""The Moodle connector over real HTTP against the Moodle-shaped provider on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from cebridge.domain.records import CompletionRecord
from cebridge.errors import AuthenticationError
from connectors.moodle import MoodleConfig, MoodleConnector
from examples.providers.moodle_server import MoodleServer, generate_site


@pytest.fixture
def server() -> Iterator[MoodleServer]:
    with MoodleServer(generate_site(courses=2, students=12)) as srv:
        yield srv


def make(server: MoodleServer, **kw: Any) -> MoodleConnector:
    cfg: dict[str, Any] = {"base_url": server.url, "token": server.site.token, "page_size": 5, "batch_size": 4}
    cfg.update(kw)
    return MoodleConnector(MoodleConfig(**cfg))


def read(connector: MoodleConnector, state: dict[str, Any] | None = None) -> list[CompletionRecord]:
    try:
        return [r for b in connector.read(state) for r in b.records]
    finally:
        connector.close()


def test_completion_hours_license_and_dates(server: MoodleServer) -> None:
    records = {r.external_id: r for r in read(make(server))}
    assert len(records) == 24  # the site course (id 1) is skipped
    first = records["10:200"]  # j = 0: completed, criteria without times -> certificate date
    assert first.status == "completed" and first.completed_at == datetime(2024, 4, 6, 12, 0, tzinfo=UTC)
    assert first.raw["certificate"]["code"] == "C10X0000"
    third = records["10:203"]  # j = 3: latest criterion time
    assert third.completed_at == datetime(2024, 4, 5, 12, 3, tzinfo=UTC)
    assert records["10:201"].status == "in_progress" and records["10:201"].completed_at is None
    assert all(records[f"11:{200 + j}"].status == "no_requirements" for j in range(12))
    assert first.hours == Decimal("2.5") and records["11:200"].hours == Decimal("3.5")
    assert first.learner.license_number == "LPC 70000" and first.course.sis_id == "CE-MDL-10"


def test_array_parameters_arrive_as_moodle_expects(server: MoodleServer) -> None:
    read(make(server, course_ids=[10]))
    enrolled = [r for r in server.log if r.query.get("wsfunction") == ["core_enrol_get_enrolled_users"]]
    assert [r.query["options[2][value]"] for r in enrolled] == [["0"], ["5"], ["10"]]
    assert enrolled[0].query["options[3][name]"] == ["limitnumber"] and enrolled[0].query["courseid"] == ["10"]
    assert all("wstoken" not in r.raw_path for r in server.log)  # the token travels in the body


def test_a_site_without_customcert_degrades_gracefully(server: MoodleServer) -> None:
    server.site.customcert = False
    records = {r.external_id: r for r in read(make(server))}
    assert records["10:200"].status == "completed" and records["10:200"].completed_at is None
    assert records["10:203"].completed_at == datetime(2024, 4, 5, 12, 3, tzinfo=UTC)
    result = make(server).check()
    assert result.ok and "certificates will be skipped" in result.message


def test_resume_and_next_pass(server: MoodleServer) -> None:
    batches = list(make(server).read({}))
    all_ids = [r.external_id for b in batches for r in b.records]
    mid = json.loads(json.dumps(batches[2].state))
    resumed = [r.external_id for b in make(server).read(mid) for r in b.records]
    done = [r.external_id for b in batches[:3] for r in b.records]
    assert sorted(done + resumed) == sorted(all_ids)
    final = batches[-1].state
    assert final["streams"]["course_completion"]["hwm"] == {"10": "2024-04-06T12:00:00Z"}


def test_a_bad_token(server: MoodleServer) -> None:
    with pytest.raises(AuthenticationError, match="'token'"):
        read(make(server, token="wrong-moodle-token"))
    result = make(server, token="wrong-moodle-token").check()
    assert not result.ok and "wrong-moodle-token" not in result.message
