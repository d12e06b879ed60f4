"""The Canvas connector against documented response shapes (responses)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import responses
from pydantic import ValidationError
from responses import matchers

from cebridge.domain.records import CompletionRecord, LearnerRef
from cebridge.errors import ProviderContractError
from connectors.canvas import CanvasConfig, CanvasConnector
from connectors.canvas.records import course_ref, make_record, progress_status, score_of
from tests.unit.connectors import canvas_shapes as shapes
from tests.unit.connectors.canvas_shapes import API

TOKEN = "canvas-unit-token-123456"


def connector(**kw: Any) -> CanvasConnector:
    cfg: dict[str, Any] = {"base_url": shapes.BASE, "token": TOKEN, "course_ids": ["1"], "max_retries": 0}
    cfg.update(kw)
    return CanvasConnector(CanvasConfig(**cfg))


def roster(
    course_id: int, *, enrollments: list[dict[str, Any]], users: list[dict[str, Any]], bulk: list[dict[str, Any]] | None
) -> None:
    responses.get(f"{API}/courses/{course_id}", json=shapes.course(course_id))
    responses.get(f"{API}/courses/{course_id}/blueprint_subscriptions", json=[])
    responses.get(f"{API}/courses/{course_id}/enrollments", json=enrollments)
    responses.get(f"{API}/courses/{course_id}/users", json=users)
    if bulk is None:
        responses.get(
            f"{API}/courses/{course_id}/bulk_user_progress",
            status=404,
            json={"errors": [{"message": "The specified resource does not exist."}]},
        )
    else:
        responses.get(f"{API}/courses/{course_id}/bulk_user_progress", json=bulk)


@pytest.mark.parametrize(
    ("prog", "status", "when"),
    [
        (shapes.progress(2, 2, "2021-08-10T16:26:08Z"), "completed", datetime(2021, 8, 10, 16, 26, 8, tzinfo=UTC)),
        (shapes.progress(10, 1, None), "in_progress", None),
        (shapes.progress(10, 0, None), "in_progress", None),
        (shapes.progress(0, 0, None), "no_requirements", None),
        (shapes.progress_error(), "no_requirements", None),
        (None, "no_requirements", None),
    ],
)
def test_progress_maps_to_status(prog: Any, status: str, when: datetime | None) -> None:
    assert progress_status(prog) == (status, when)


def test_completed_at_keeps_its_offset() -> None:
    _, when = progress_status(shapes.progress(10, 10, "2013-06-01T00:00:00-06:00"))
    assert when == datetime(2013, 6, 1, 6, 0, tzinfo=UTC)


def test_score_prefers_final_then_current() -> None:
    assert score_of(shapes.enrollment(1, 2, final=6.67)) == Decimal("6.67")
    assert score_of(shapes.enrollment(1, 2, final=None)) == Decimal("35")
    assert score_of({"computed_final_score": 91.2, "computed_current_score": 80}) == Decimal("91.2")
    assert score_of(None) is None


@responses.activate
def test_roster_read_joins_enrollments_progress_and_email() -> None:
    roster(
        1,
        enrollments=[
            shapes.enrollment(1, 2),
            shapes.enrollment(1, 3, state="completed", final=None),
            shapes.enrollment(1, 4),
        ],
        users=[shapes.user(2, "Two@Example.org"), shapes.user(3, "three@example.org"), shapes.user(4)],
        bulk=[
            shapes.bulk_item(2, shapes.progress(2, 2, "2021-08-10T16:26:08Z")),
            shapes.bulk_item(3, shapes.progress(2, 1)),
            shapes.bulk_item(4, shapes.progress(2, 0)),
        ],
    )
    batches = list(connector().read({}))
    records = {r.external_id: r for b in batches for r in b.records}
    assert set(records) == {"1:2", "1:3", "1:4"}
    done = records["1:2"]
    assert done.status == "completed" and done.completed_at == datetime(2021, 8, 10, 16, 26, 8, tzinfo=UTC)
    assert done.learner.email == "two@example.org" and done.learner.platform_user_id == "2"
    assert done.score == Decimal("88.5")
    assert (
        done.course.sis_id == "CE-1"
        and done.course.integration_id == "INT-1"
        and done.course.title == "Ethics for Counselors 1"
    )
    assert done.source == "canvas:canvas.example.edu"
    assert records["1:3"].status == "in_progress" and records["1:3"].score == Decimal("35")
    assert records["1:4"].learner.email is None
    # concluded enrollments are asked for explicitly, and e-mail is included
    enrollment_call = next(c for c in responses.calls if "/enrollments" in c.request.url)
    assert (
        "state%5B%5D=completed" in enrollment_call.request.url and "state%5B%5D=active" in enrollment_call.request.url
    )
    users_call = next(c for c in responses.calls if c.request.url.split("?")[0].endswith("/users"))
    assert (
        "include%5B%5D=email" in users_call.request.url and "enrollment_state%5B%5D=completed" in users_call.request.url
    )
    assert all(c.request.headers["Authorization"] == f"Bearer {TOKEN}" for c in responses.calls)


@responses.activate
def test_a_course_without_requirements_is_no_requirements_not_zero() -> None:
    roster(
        1,
        enrollments=[shapes.enrollment(1, 2)],
        users=[shapes.user(2)],
        bulk=[shapes.bulk_item(2, shapes.progress_error())],
    )
    (record,) = [r for b in connector().read({}) for r in b.records]
    assert record.status == "no_requirements" and record.completed_at is None and not record.earns_credit


@responses.activate
def test_blueprint_id_is_carried_on_the_course() -> None:
    responses.get(f"{API}/courses/1", json=shapes.course(1))
    responses.get(f"{API}/courses/1/blueprint_subscriptions", json=[shapes.blueprint_subscription(2)])
    responses.get(f"{API}/courses/1/enrollments", json=[shapes.enrollment(1, 5)])
    responses.get(f"{API}/courses/1/users", json=[shapes.user(5)])
    responses.get(
        f"{API}/courses/1/bulk_user_progress", json=[shapes.bulk_item(5, shapes.progress(1, 1, "2024-01-02T03:04:05Z"))]
    )
    (record,) = [r for b in connector().read({}) for r in b.records]
    assert record.course.blueprint_id == "2"


@responses.activate
def test_without_bulk_progress_each_learner_is_asked_for_progress() -> None:
    roster(1, enrollments=[shapes.enrollment(1, 2), shapes.enrollment(1, 3)], users=[], bulk=None)
    responses.get(f"{API}/courses/1/users/2/progress", json=shapes.progress(3, 3, "2024-02-01T10:00:00Z"))
    responses.get(f"{API}/courses/1/users/3/progress", status=400, json=shapes.progress_error())
    records = {r.external_id: r for b in connector(include_email=False).read({}) for r in b.records}
    assert records["1:2"].status == "completed" and records["1:3"].status == "no_requirements"


@responses.activate
def test_learner_centric_mode_reads_course_progress_and_total_scores() -> None:
    course_1 = shapes.course(1, course_progress=shapes.progress(4, 4, "2024-05-01T12:00:00Z"))
    course_1["enrollments"] = [
        {
            "type": "student",
            "role": "StudentEnrollment",
            "role_id": 3,
            "user_id": 7,
            "enrollment_state": "completed",
            "computed_final_score": 93.0,
            "computed_current_score": 93.0,
        }
    ]
    course_2 = shapes.course(2, course_progress=shapes.progress_error())
    active = matchers.query_param_matcher(
        {"include[]": ["course_progress", "total_scores"], "enrollment_state": "active", "per_page": "100"}
    )
    completed = matchers.query_param_matcher(
        {"include[]": ["course_progress", "total_scores"], "enrollment_state": "completed", "per_page": "100"}
    )
    responses.get(f"{API}/users/7/courses", json=[course_2], match=[active])
    responses.get(f"{API}/users/7/courses", json=[course_1], match=[completed])
    responses.get(f"{API}/courses/1/blueprint_subscriptions", json=[])
    responses.get(
        f"{API}/courses/2/blueprint_subscriptions",
        status=403,
        json={"status": "unauthorized", "errors": [{"message": "user not authorized to perform that action"}]},
    )
    c = connector(course_ids=[], user_ids=["7"])
    records = {r.external_id: r for b in c.read({}) for r in b.records}
    assert records["1:7"].status == "completed" and records["1:7"].score == Decimal("93.0")
    assert records["2:7"].status == "no_requirements" and records["2:7"].course.blueprint_id is None


@responses.activate
def test_a_scoped_key_that_drops_include_parameters_is_reported() -> None:
    responses.get(f"{API}/users/7/courses", json=[shapes.course(1)])
    with pytest.raises(ProviderContractError, match="Allow Include Parameters"):
        list(connector(course_ids=[], user_ids=["7"], resolve_blueprints=False).read({}))


@responses.activate
def test_a_configured_course_canvas_does_not_know_is_a_problem_not_a_crash() -> None:
    responses.get(
        f"{API}/courses/404", status=404, json={"errors": [{"message": "The specified resource does not exist."}]}
    )
    roster(1, enrollments=[shapes.enrollment(1, 2)], users=[], bulk=[shapes.bulk_item(2, shapes.progress(1, 0))])
    batches = list(connector(course_ids=["404", "1"]).read({}))
    problems = [p for b in batches for p in b.problems]
    assert [p.where for p in problems] == ["course 404"]
    assert [r.external_id for b in batches for r in b.records] == ["1:2"]


@responses.activate
def test_check_reports_a_rejected_token_by_its_field_name() -> None:
    responses.get(
        f"{API}/users/self",
        status=401,
        json={"errors": [{"message": "Invalid access token."}]},
        headers={"WWW-Authenticate": 'Bearer realm="canvas-lms"'},
    )
    result = connector().check()
    assert not result.ok and "'token'" in result.message and TOKEN not in result.message


@responses.activate
def test_check_ok() -> None:
    responses.get(f"{API}/users/self", json=shapes.user(1))
    responses.get(f"{API}/courses/1", json=shapes.course(1))
    result = connector().check()
    assert result.ok and "course 1 readable" in result.message


def test_of_several_sections_the_enrollment_with_a_score_counts_even_a_zero() -> None:
    from connectors.canvas.streams import _best_enrollment

    unscored = shapes.enrollment(1, 2, final=None) | {
        "grades": {"html_url": "x", "current_score": None, "final_score": None}
    }
    zero = shapes.enrollment(1, 2, final=None) | {"grades": {"html_url": "x", "current_score": 0, "final_score": None}}
    assert _best_enrollment([unscored, zero]) is zero
    assert _best_enrollment([unscored]) is unscored
    assert _best_enrollment([]) is None


def _record_kwargs(**changes: Any) -> dict[str, Any]:
    course = course_ref(shapes.course(1), blueprint_id=9)
    enrollment = shapes.enrollment(1, 2, final=None)
    kwargs: dict[str, Any] = {
        "source": "canvas:canvas.example.edu",
        "course": course,
        "user_id": 2,
        "progress": shapes.progress(2, 2, "2021-08-10T16:26:08Z"),
        "enrollment": enrollment,
        "user": shapes.user(2, " Two@Example.org "),
        "name": None,
        "raw": {"user_id": "2", "enrollments": [enrollment]},
    }
    kwargs.update(changes)
    return kwargs


def test_a_record_validated_in_one_pass_equals_one_built_from_validated_parts() -> None:
    kwargs = _record_kwargs()
    record = make_record(**kwargs)
    by_parts = CompletionRecord(
        source=kwargs["source"],
        external_id="1:2",
        learner=LearnerRef(platform_user_id="2", email=" Two@Example.org ", name=kwargs["user"]["name"]),
        course=kwargs["course"],
        status="completed",
        completed_at=datetime(2021, 8, 10, 16, 26, 8, tzinfo=UTC),
        score=Decimal("35"),
        raw=kwargs["raw"],
    )
    assert record == by_parts
    assert isinstance(record.learner, LearnerRef) and record.learner.email == "two@example.org"  # validator ran
    assert record.course.blueprint_id == "9"


def test_the_learners_name_falls_back_to_the_progress_then_the_user_then_the_enrollment() -> None:
    assert make_record(**_record_kwargs(name="From Progress")).learner.name == "From Progress"
    assert make_record(**_record_kwargs()).learner.name == shapes.user(2)["name"]
    enrollment = {**shapes.enrollment(1, 2), "user": {"id": 2, "name": "From Enrollment"}}
    assert make_record(**_record_kwargs(user=None, enrollment=enrollment)).learner.name == "From Enrollment"
    assert make_record(**_record_kwargs(user=None, enrollment=None)).learner.name is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"user": {"id": 2, "name": "Two", "email": 12345}}, "learner.email"),
        ({"source": ""}, "source"),
        ({"raw": ["not", "an", "object"]}, "raw"),
    ],
)
def test_what_canvas_sends_is_still_validated(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        make_record(**_record_kwargs(**changes))
    assert field in str(caught.value)
