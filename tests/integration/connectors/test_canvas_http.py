"""The Canvas connector over real HTTP against the Canvas-shaped provider on 127.0.0.1.

Pagination, throttling (403 and 429), Retry-After, timeouts, dropped and cut-off connections, malformed pages
and crashes between batches: no record lost, none duplicated, state never past what was delivered.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from cebridge.domain.records import CompletionRecord
from cebridge.errors import AuthenticationError, ProviderContractError, ProviderUnavailable
from connectors.canvas import CanvasConfig, CanvasConnector
from examples.providers.canvas_server import CanvasServer, generate_site

COURSES, STUDENTS = 3, 25


@pytest.fixture
def server() -> Iterator[CanvasServer]:
    with CanvasServer(generate_site(courses=COURSES, students=STUDENTS)) as srv:
        yield srv


def make(server: CanvasServer, sleeps: list[float] | None = None, **kw: Any) -> CanvasConnector:
    cfg: dict[str, Any] = {
        "base_url": server.url,
        "token": server.site.token,
        "course_ids": [str(c) for c in server.site.courses],
        "per_page": 7,
        "batch_size": 10,
        "backoff_base_seconds": 0.01,
        "timeout_seconds": 2.0,
    }
    cfg.update(kw)
    connector = CanvasConnector(CanvasConfig(**cfg))
    if sleeps is not None:
        connector.client.sleep = sleeps.append  # record the waits instead of sleeping them
    return connector


def read_all(
    connector: CanvasConnector, state: dict[str, Any] | None = None
) -> tuple[list[CompletionRecord], list[dict[str, Any]]]:
    records: list[CompletionRecord] = []
    states: list[dict[str, Any]] = []
    try:
        for batch in connector.read(state):
            records.extend(batch.records)
            states.append(json.loads(json.dumps(batch.state)))
    finally:
        connector.close()
    return records, states


def facts(records: list[CompletionRecord]) -> list[str]:
    return sorted(r.model_dump_json(exclude={"raw"}) for r in records)


@pytest.fixture
def baseline(server: CanvasServer) -> list[CompletionRecord]:
    records, _ = read_all(make(server))
    server.log.clear()
    return records


def test_a_full_pull_reads_every_student_of_every_course_once(
    server: CanvasServer, baseline: list[CompletionRecord]
) -> None:
    assert len(baseline) == COURSES * STUDENTS
    assert len({r.external_id for r in baseline}) == len(baseline)
    by_status: dict[str, int] = {}
    for r in baseline:
        by_status[r.status] = by_status.get(r.status, 0) + 1
    # students j % 3 == 0 completed in courses 101 and 102; course 103 has no requirements
    assert by_status == {"completed": 2 * 9, "in_progress": 2 * 16, "no_requirements": 25}
    concluded = next(r for r in baseline if r.external_id == "101:5010")  # j = 9: a concluded enrollment
    assert concluded.status == "completed" and concluded.completed_at == datetime(2024, 3, 1, 9, 9, tzinfo=UTC)
    assert concluded.learner.email == "clinician9@example.org" and concluded.course.sis_id == "CE-101"
    assert next(r for r in baseline if r.external_id == "102:5001").course.blueprint_id == "900"


def test_pages_are_followed_through_opaque_links(server: CanvasServer, baseline: list[CompletionRecord]) -> None:
    read_all(make(server))
    enrollment_pages = server.requests_to(r"/courses/101/enrollments")
    assert len(enrollment_pages) == 4  # 25 students, 7 per page
    assert all("bookmark" in r.raw_path for r in enrollment_pages[1:])
    assert len(server.requests_to(r"/courses/101/users\?")) == 4  # lower-case `link` header followed too


def test_throttling_by_403_and_429_with_retry_after(server: CanvasServer, baseline: list[CompletionRecord]) -> None:
    server.faults.add(
        r"/courses/101/enrollments",
        "status",
        status=403,
        body="403 Forbidden (Rate Limit Exceeded)\n",
        headers={"Content-Type": "text/plain; charset=utf-8", "X-Rate-Limit-Remaining": "0.0"},
    )
    server.faults.add(r"/courses/102/bulk_user_progress", "status", status=429, headers={"Retry-After": "2"}, body="{}")
    sleeps: list[float] = []
    records, _ = read_all(make(server, sleeps))
    assert facts(records) == facts(baseline)
    assert 2.0 in sleeps and len(sleeps) >= 2


def test_timeouts_dropped_and_cut_connections_are_retried(
    server: CanvasServer, baseline: list[CompletionRecord]
) -> None:
    server.faults.add(r"/courses/101/users\?", "delay", seconds=1.0)
    server.faults.add(r"/courses/102/enrollments", "drop")
    server.faults.add(r"/courses/103/bulk_user_progress", "truncate")
    server.faults.add(r"/courses/102$", "status", status=503)
    sleeps: list[float] = []
    records, _ = read_all(make(server, sleeps, timeout_seconds=0.3))
    assert facts(records) == facts(baseline)
    assert len(sleeps) == 4


def test_a_provider_that_stays_down_stops_the_read_without_losing_what_was_delivered(
    server: CanvasServer, baseline: list[CompletionRecord]
) -> None:
    server.faults.add(r"/courses/102/enrollments", "status", status=502, times=100)
    delivered: list[CompletionRecord] = []
    last_state: dict[str, Any] = {}
    with pytest.raises(ProviderUnavailable, match="after 3 attempts"):
        for batch in make(server, [], max_retries=2).read({}):
            delivered.extend(batch.records)
            last_state = batch.state
    assert {r.course.external_id for r in delivered} == {"101"}
    server.faults.clear()
    rest, _ = read_all(make(server), last_state)
    assert facts(delivered + rest) == facts(baseline)


def test_a_malformed_page_is_a_contract_error_and_the_state_stays_behind_it(
    server: CanvasServer, baseline: list[CompletionRecord]
) -> None:
    server.faults.add(r"/courses/103/users\?", "malformed")
    delivered: list[CompletionRecord] = []
    states: list[dict[str, Any]] = []
    with pytest.raises(ProviderContractError, match="not JSON"):
        for batch in make(server).read({}):
            delivered.extend(batch.records)
            states.append(batch.state)
    assert states[-1]["streams"]["course_progress"]["pass"]["done"] == ["101", "102"]
    assert "103" not in {r.course.external_id for r in delivered}
    rest, _ = read_all(make(server), states[-1])
    assert facts(delivered + rest) == facts(baseline)


@pytest.mark.parametrize("crash_after", [0, 1, 3, 5, 7])
def test_a_crash_between_batches_resumes_with_nothing_lost_or_repeated(
    server: CanvasServer, baseline: list[CompletionRecord], crash_after: int
) -> None:
    stored: list[CompletionRecord] = []
    committed: dict[str, Any] = {}
    for i, batch in enumerate(make(server).read({})):
        stored.extend(batch.records)
        committed = json.loads(json.dumps(batch.state))
        if i == crash_after:
            break  # the process dies after committing this batch
    rest, _ = read_all(make(server), committed)
    together = stored + rest
    assert len({r.external_id for r in together}) == len(together) == len(baseline)
    assert facts(together) == facts(baseline)


def test_the_next_pass_emits_progress_and_new_completions_only(
    server: CanvasServer, baseline: list[CompletionRecord]
) -> None:
    _, states = read_all(make(server, lookback_hours=0))
    final = states[-1]
    assert final["streams"]["course_progress"] == {
        "hwm": {"101": "2024-03-01T09:24:00Z", "102": "2024-03-02T09:24:00Z"}
    }
    # student 5002 (part-way in course 101) finishes
    server.site.progress[101][5002] = {
        "requirement_count": 4,
        "requirement_completed_count": 4,
        "next_requirement_url": None,
        "completed_at": "2024-04-01T08:00:00Z",
    }
    again, states2 = read_all(make(server, lookback_hours=0), final)
    completed = sorted(r.external_id for r in again if r.status == "completed")
    # the new completion, plus the latest of each course (equal to its mark: re-emitted, harmlessly)
    assert completed == ["101:5002", "101:5025", "102:5025"]
    assert sum(1 for r in again if r.status != "completed") == len(baseline) - 18 - 1
    assert states2[-1]["streams"]["course_progress"]["hwm"]["101"] == "2024-04-01T08:00:00Z"


def test_low_rate_limit_remaining_slows_down(server: CanvasServer) -> None:
    server.site.rate_limit_remaining = 20.0
    sleeps: list[float] = []
    records, _ = read_all(make(server, sleeps, course_ids=["101"]))
    assert len(records) == STUDENTS
    assert sleeps and all(abs(s - 1.6) < 1e-9 for s in sleeps)  # 2.0 * (1 - 20/100) before each next request


def test_per_user_progress_where_bulk_progress_leaves_learners_out(
    server: CanvasServer, baseline: list[CompletionRecord]
) -> None:
    server.site.bulk_includes_concluded = False
    records, _ = read_all(make(server))
    assert facts(records) == facts(baseline)
    assert len(server.requests_to(r"/users/\d+/progress")) == COURSES * 2  # the two concluded students per course
    server.log.clear()
    server.site.bulk_progress_available = False
    records, _ = read_all(make(server))
    assert facts(records) == facts(baseline)
    assert len(server.requests_to(r"/users/\d+/progress")) == COURSES * STUDENTS


def test_discovered_courses_and_learner_mode_agree_with_the_roster(
    server: CanvasServer, baseline: list[CompletionRecord]
) -> None:
    records, _ = read_all(make(server, course_ids=[]))
    assert facts(records) == facts(baseline)
    records, _ = read_all(make(server, course_ids=[], account_id="1"))
    assert facts(records) == facts(baseline)
    learner, _ = read_all(make(server, course_ids=[], user_ids=["5001", "5004", "5010"]))
    mine = {r.external_id: r for r in learner}
    roster = {r.external_id: r for r in baseline}
    assert set(mine) == {f"{c}:{u}" for c in (101, 102, 103) for u in (5001, 5004, 5010)}
    for key, record in mine.items():
        assert (record.status, record.completed_at, record.score) == (
            roster[key].status,
            roster[key].completed_at,
            roster[key].score,
        )


def test_a_bad_token_fails_fast(server: CanvasServer) -> None:
    sleeps: list[float] = []
    with pytest.raises(AuthenticationError, match="'token'"):
        read_all(make(server, sleeps, token="nope-wrong-token"))
    assert sleeps == [] and len(server.log) == 1
    result = make(server, token="nope-wrong-token").check()
    assert not result.ok and "nope-wrong-token" not in result.message
