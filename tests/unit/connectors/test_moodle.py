"""The Moodle connector: parameter flattening, documented return structures, errors in HTTP 200 bodies."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl

import pytest
import responses

from cebridge.errors import AuthenticationError, ProviderContractError
from connectors.moodle import MoodleConfig, MoodleConnector, flatten_params
from connectors.moodle.connector import _completion_time

SITE = "https://moodle.example.org"
SERVER = SITE + "/webservice/rest/server.php"
TOKEN = "moodle-unit-token-abcdef"


def test_flattening_matches_moodles_php_style_fields() -> None:
    assert flatten_params(
        {
            "courseid": 42,
            "options": [{"name": "onlyactive", "value": 1}, {"name": "userfields", "value": "id,email,idnumber"}],
        }
    ) == [
        ("courseid", "42"),
        ("options[0][name]", "onlyactive"),
        ("options[0][value]", "1"),
        ("options[1][name]", "userfields"),
        ("options[1][value]", "id,email,idnumber"),
    ]
    assert flatten_params({"field": "email", "values": ["a@example.org", "b@example.org"]}) == [
        ("field", "email"),
        ("values[0]", "a@example.org"),
        ("values[1]", "b@example.org"),
    ]
    assert flatten_params({"options": {"ids": [3, 4]}}) == [("options[ids][0]", "3"), ("options[ids][1]", "4")]
    assert flatten_params(
        {"timecreatedfrom": 1704067200, "includepdf": False, "limit": 500, "offset": 0, "userid": None}
    ) == [
        ("timecreatedfrom", "1704067200"),
        ("includepdf", "0"),
        ("limit", "500"),
        ("offset", "0"),
    ]


def test_completion_time_is_the_latest_criterion_else_the_certificate() -> None:
    status = {
        "completed": True,
        "aggregation": 1,
        "completions": [
            {
                "type": 4,
                "title": "Activity completion",
                "status": "Yes",
                "complete": True,
                "timecompleted": 1709632800,
                "details": {},
            },
            {
                "type": 6,
                "title": "Grade",
                "status": "Yes",
                "complete": True,
                "timecompleted": 1709719200,
                "details": {},
            },
            {"type": 1, "title": "Self", "status": "No", "complete": False, "timecompleted": 1809719200, "details": {}},
        ],
    }
    assert _completion_time(status, None) == datetime.fromtimestamp(1709719200, tz=UTC)
    untimed = {"completed": True, "completions": [{"type": 4, "complete": True, "timecompleted": None}]}
    assert _completion_time(untimed, {"timecreated": 1709632800}) == datetime.fromtimestamp(1709632800, tz=UTC)
    assert _completion_time(untimed, None) is None


def calls(function: str) -> list[dict[str, str]]:
    out = []
    for call in responses.calls:
        body = dict(parse_qsl(call.request.body or ""))
        if body.get("wsfunction") == function:
            out.append(body)
    return out


def ws(results: dict[str, Any]) -> None:
    """Answer each web-service function from ``results`` (a value, or a callable of the form fields)."""

    def reply(request: Any) -> tuple[int, dict[str, str], str]:
        import json

        body = dict(parse_qsl(request.body))
        fn = body["wsfunction"]
        if fn not in results:
            return (
                200,
                {},
                json.dumps(
                    {
                        "exception": "dml_missing_record_exception",
                        "errorcode": "invalidrecord",
                        "message": "Can't find data record in database table external_functions.",
                    }
                ),
            )
        value = results[fn]
        return 200, {}, json.dumps(value(body) if callable(value) else value)

    responses.add_callback(responses.POST, SERVER, callback=reply, content_type="application/json")


COURSE = {
    "id": 5,
    "fullname": "Ethics in Telehealth",
    "shortname": "ETH-TH",
    "idnumber": "CE-55",
    "customfields": [{"name": "CE hours", "shortname": "cehours", "type": "text", "valueraw": "2.5", "value": "2.5"}],
}
USER = {
    "id": 7,
    "fullname": "Jordan Lee",
    "email": "Jordan@Example.org",
    "idnumber": "E7",
    "customfields": [{"type": "text", "value": "LPC 70000", "name": "License number", "shortname": "licensenumber"}],
}


def connector(**kw: Any) -> MoodleConnector:
    cfg: dict[str, Any] = {"base_url": SITE, "token": TOKEN, "course_ids": [5], "max_retries": 0}
    cfg.update(kw)
    return MoodleConnector(MoodleConfig(**cfg))


@responses.activate
def test_a_completed_learner_with_hours_license_and_date() -> None:
    ws(
        {
            "core_course_get_courses_by_field": {"courses": [COURSE], "warnings": []},
            "core_enrol_get_enrolled_users": lambda b: [USER] if b["options[2][value]"] == "0" else [],
            "core_enrol_get_users_courses": [
                {"id": 5, "shortname": "ETH-TH", "completed": True, "progress": 100.0, "completionhascriteria": True}
            ],
            "core_completion_get_course_completion_status": {
                "completionstatus": {
                    "completed": True,
                    "aggregation": 1,
                    "completions": [
                        {
                            "type": 4,
                            "title": "Quiz",
                            "status": "Yes",
                            "complete": True,
                            "timecompleted": 1709632800,
                            "details": {},
                        }
                    ],
                },
                "warnings": [],
            },
            "core_course_get_contents": [
                {
                    "id": 1,
                    "name": "General",
                    "modules": [{"id": 9, "name": "Certificate", "instance": 3, "modname": "customcert"}],
                }
            ],
            "mod_customcert_list_issues": [],
        }
    )
    (record,) = [r for b in connector(page_size=1).read({}) for r in b.records]
    assert record.external_id == "5:7" and record.status == "completed"
    assert record.completed_at == datetime.fromtimestamp(1709632800, tz=UTC)
    assert (
        record.hours == Decimal("2.5")
        and record.course.sis_id == "CE-55"
        and record.course.title == "Ethics in Telehealth"
    )
    assert record.learner.license_number == "LPC 70000" and record.learner.email == "jordan@example.org"
    # token goes in the body, array parameters flattened; enrolled users are paged with limitfrom/limitnumber
    enrolled = calls("core_enrol_get_enrolled_users")
    assert [c["options[2][value]"] for c in enrolled] == ["0", "1"]
    assert enrolled[0]["options[2][name]"] == "limitfrom" and enrolled[0]["options[3][name]"] == "limitnumber"
    assert all(TOKEN not in (c.request.url or "") for c in responses.calls)
    assert calls("mod_customcert_list_issues")[0]["customcertid"] == "3"


@responses.activate
def test_no_criteria_is_no_requirements_and_the_site_without_customcert_degrades() -> None:
    def status(_: dict[str, str]) -> dict[str, Any]:
        return {"exception": "moodle_exception", "errorcode": "nocriteriaset", "message": "No criteria set"}

    ws(
        {
            "core_course_get_courses_by_field": {"courses": [COURSE], "warnings": []},
            "core_enrol_get_enrolled_users": lambda b: (
                [USER, {**USER, "id": 8, "customfields": []}] if b["options[2][value]"] == "0" else []
            ),
            "core_enrol_get_users_courses": [],
            "core_completion_get_course_completion_status": status,
            "core_course_get_contents": [{"id": 1, "modules": [{"id": 9, "instance": 3, "modname": "customcert"}]}],
            # mod_customcert_list_issues absent: Moodle answers invalidrecord
        }
    )
    records = [r for b in connector().read({}) for r in b.records]
    assert [r.status for r in records] == ["no_requirements", "no_requirements"]
    assert len(calls("core_completion_get_course_completion_status")) == 1  # learned once for the course
    assert records[1].learner.license_number is None


@responses.activate
def test_users_courses_saying_not_completed_spares_the_completion_call() -> None:
    ws(
        {
            "core_course_get_courses_by_field": {"courses": [COURSE], "warnings": []},
            "core_enrol_get_enrolled_users": lambda b: [USER] if b["options[2][value]"] == "0" else [],
            "core_enrol_get_users_courses": [
                {"id": 5, "completed": False, "progress": 40.0, "completionhascriteria": True}
            ],
        }
    )
    (record,) = [r for b in connector(certificates=False).read({}) for r in b.records]
    assert record.status == "in_progress" and record.raw["users_courses"]["progress"] == 40.0
    assert calls("core_completion_get_course_completion_status") == []


@responses.activate
def test_invalid_token_is_an_authentication_error_naming_the_field() -> None:
    responses.post(
        SERVER,
        json={
            "exception": "moodle_exception",
            "errorcode": "invalidtoken",
            "message": "Invalid token - token not found",
        },
    )
    with pytest.raises(AuthenticationError) as err:
        list(connector().read({}))
    assert "'token'" in err.value.user_message and TOKEN not in str(err.value)
    result = connector().check()
    assert not result.ok and "'token'" in result.message


@responses.activate
def test_check_names_missing_functions() -> None:
    responses.post(
        SERVER,
        json={
            "sitename": "CE",
            "release": "4.4.7",
            "functions": [{"name": "core_webservice_get_site_info", "version": "1"}],
        },
    )
    result = connector().check()
    assert not result.ok and "core_enrol_get_enrolled_users" in result.message


@responses.activate
def test_a_non_numeric_hours_field_is_a_contract_error() -> None:
    bad = {**COURSE, "customfields": [{"shortname": "cehours", "valueraw": "two and a half", "value": "x"}]}
    ws(
        {
            "core_course_get_courses_by_field": {"courses": [bad], "warnings": []},
            "core_enrol_get_enrolled_users": [],
        }
    )
    with pytest.raises(ProviderContractError, match="cehours"):
        list(connector(certificates=False).read({}))
