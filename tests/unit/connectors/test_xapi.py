"""The xAPI connector against StatementResult shapes (xAPI 1.0.3, cmi5), with responses."""

from __future__ import annotations

import base64
from decimal import Decimal
from typing import Any

import pytest
import responses
from responses import matchers

from connectors.xapi import XapiConfig, XapiConnector
from connectors.xapi.statements import learner_of, to_record

LRS = "https://lrs.example.org/xAPI"
STATEMENTS = LRS + "/statements"
ADL = "http://adlnet.gov/expapi/verbs/"
COURSE = "https://ce.example.org/courses/ethics-101"


def statement(sid: str, verb: str, stored: str, *, actor: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "id": sid,
        "actor": actor or {"objectType": "Agent", "name": "Jordan Lee", "mbox": "mailto:Jordan@Example.org"},
        "verb": {"id": verb, "display": {"en-US": verb.rsplit("/", 1)[-1]}},
        "object": {"objectType": "Activity", "id": COURSE, "definition": {"name": {"en-US": "Ethics 101"}}},
        "timestamp": stored,
        "stored": stored,
        "version": "1.0.3",
        **extra,
    }


def voiding(sid: str, target: str, stored: str) -> dict[str, Any]:
    return {
        "id": sid,
        "actor": {"objectType": "Agent", "mbox": "mailto:admin@example.org"},
        "verb": {"id": ADL + "voided", "display": {"en-US": "voided"}},
        "object": {"objectType": "StatementRef", "id": target},
        "stored": stored,
        "timestamp": stored,
    }


def connector(**kw: Any) -> XapiConnector:
    cfg: dict[str, Any] = {
        "base_url": LRS,
        "username": "key",
        "password": "lrs-secret-9876",
        "max_retries": 0,
        "page_size": 2,
    }
    cfg.update(kw)
    return XapiConnector(XapiConfig(**cfg))


def test_learner_keys_from_each_kind_of_agent() -> None:
    assert learner_of({"mbox": "mailto:A@B.org", "name": "A"}).email == "a@b.org"
    assert learner_of({"account": {"homePage": "https://lms.example", "name": "u-42"}}).platform_user_id == "u-42"
    assert learner_of({"openid": "https://id.example/u"}).platform_user_id == "https://id.example/u"
    assert learner_of({"mbox_sha1sum": "ab12"}).platform_user_id == "sha1:ab12"
    with pytest.raises(ValueError, match="Group"):
        learner_of({"objectType": "Group", "member": []})


@pytest.mark.parametrize(
    ("verb", "status"),
    [
        (ADL + "completed", "completed"),
        (ADL + "passed", "passed"),
        (ADL + "failed", "failed"),
        ("https://w3id.org/xapi/adl/verbs/satisfied", "completed"),
        ("https://w3id.org/xapi/adl/verbs/waived", "completed"),
    ],
)
def test_completion_verbs(verb: str, status: str) -> None:
    record = to_record(statement("s1", verb, "2024-05-01T10:00:00Z"), source="xapi:lrs")
    assert record.status == status and record.course.external_id == COURSE and record.course.title == "Ethics 101"


def test_score_is_a_percentage() -> None:
    scaled = statement("s", ADL + "passed", "2024-05-01T10:00:00Z", result={"score": {"scaled": 0.92}, "success": True})
    raw = statement("s", ADL + "passed", "2024-05-01T10:00:00Z", result={"score": {"raw": 18, "min": 0, "max": 20}})
    assert to_record(scaled, source="x").score == Decimal("92.00")
    assert to_record(raw, source="x").score == Decimal("90")


def test_non_completion_verbs_and_bad_objects_are_refused() -> None:
    with pytest.raises(ValueError, match="not a completion verb"):
        to_record(statement("s", ADL + "launched", "2024-05-01T10:00:00Z"), source="x")
    agent_object = statement("s", ADL + "completed", "2024-05-01T10:00:00Z")
    agent_object["object"] = {"objectType": "Agent", "mbox": "mailto:x@y.org"}
    with pytest.raises(ValueError, match="Activity"):
        to_record(agent_object, source="x")


def basic_auth() -> str:
    return "Basic " + base64.b64encode(b"key:lrs-secret-9876").decode()


@responses.activate
def test_pull_follows_more_sends_version_and_basic_auth_and_skips_other_verbs() -> None:
    first = matchers.query_param_matcher({"ascending": "true", "limit": "2"})
    responses.get(
        STATEMENTS,
        match=[first],
        json={
            "statements": [
                statement("s1", ADL + "launched", "2024-05-01T10:00:00Z"),
                statement("s2", ADL + "completed", "2024-05-01T10:05:00Z"),
            ],
            "more": "/xAPI/statements?more=p2",
        },
    )
    responses.get(
        STATEMENTS,
        match=[matchers.query_param_matcher({"more": "p2"})],
        json={"statements": [statement("s3", ADL + "failed", "2024-05-01T10:06:00Z")], "more": ""},
    )
    batches = list(connector().read({}))
    records = [r for b in batches for r in b.records]
    assert [(r.external_id, r.status) for r in records] == [("s2", "completed"), ("s3", "failed")]
    assert not records[1].earns_credit
    for call in responses.calls:
        assert call.request.headers["X-Experience-API-Version"] == "1.0.3"
        assert call.request.headers["Authorization"] == basic_auth()
    state = batches[-1].state["streams"]["statements"]
    assert state["since"] == "2024-05-01T10:06:00Z" and "more" not in state
    assert batches[0].state["streams"]["statements"]["more"] == "https://lrs.example.org/xAPI/statements?more=p2"


@responses.activate
def test_next_pull_overlaps_and_dedupes_by_statement_id() -> None:
    state = {
        "streams": {
            "statements": {"since": "2024-05-01T10:06:00Z", "recent": {"s3": "2024-05-01T10:06:00Z"}, "voided": []}
        }
    }
    responses.get(
        STATEMENTS,
        match=[matchers.query_param_matcher({"since": "2024-05-01T10:01:00Z", "ascending": "true", "limit": "2"})],
        json={
            "statements": [
                statement("s3", ADL + "failed", "2024-05-01T10:06:00Z"),
                statement("s4", ADL + "passed", "2024-05-01T10:07:00Z"),
            ]
        },
    )
    records = [r.external_id for b in connector().read(state) for r in b.records]
    assert records == ["s4"]


@responses.activate
def test_a_voiding_statement_revokes_the_record_it_voids() -> None:
    responses.get(
        STATEMENTS,
        match=[matchers.query_param_matcher({"ascending": "true", "limit": "10"})],
        json={
            "statements": [
                # sent newest first: the connector orders a page by `stored` itself
                voiding("v1", "s1", "2024-05-02T09:00:00Z"),
                statement("s1", ADL + "completed", "2024-05-01T09:00:00Z"),
                voiding("v2", "s0", "2024-05-02T09:01:00Z"),
            ]
        },
    )
    # s0 was pulled in an earlier sync; the LRS hides voided statements from queries but shows them by id
    responses.get(
        STATEMENTS,
        match=[matchers.query_param_matcher({"voidedStatementId": "s0"})],
        json=statement("s0", ADL + "passed", "2024-04-01T09:00:00Z"),
    )
    batches = list(connector(page_size=10).read({}))
    records = {r.external_id: r.status for b in batches for r in b.records}
    assert records == {"s1": "revoked", "s0": "revoked"}
    assert batches[-1].state["streams"]["statements"]["voided"] == ["s0", "s1"]


@responses.activate
def test_a_voided_statement_the_lrs_cannot_show_is_a_problem() -> None:
    responses.get(
        STATEMENTS,
        match=[matchers.query_param_matcher({"ascending": "true", "limit": "2"})],
        json={"statements": [voiding("v9", "gone", "2024-05-02T09:00:00Z")]},
    )
    responses.get(STATEMENTS, match=[matchers.query_param_matcher({"voidedStatementId": "gone"})], status=404)
    responses.get(STATEMENTS, match=[matchers.query_param_matcher({"statementId": "gone"})], status=404)
    batches = list(connector().read({}))
    problems = [p for b in batches for p in b.problems]
    assert [p.where for p in problems] == ["statement v9"] and "gone" in problems[0].reason


@responses.activate
def test_consistent_through_caps_the_bookmark() -> None:
    responses.get(
        STATEMENTS,
        json={"statements": [statement("s1", ADL + "completed", "2024-05-01T10:00:00Z")]},
        headers={"X-Experience-API-Consistent-Through": "2024-05-01T09:59:00Z"},
    )
    batches = list(connector().read({}))
    assert batches[-1].state["streams"]["statements"]["since"] == "2024-05-01T09:59:00Z"
    # s1 lies after the bookmark, so it is remembered and not emitted again by the next pull
    assert "s1" in batches[-1].state["streams"]["statements"]["recent"]


@responses.activate
def test_bad_credentials_fail_check_clearly() -> None:
    responses.get(
        STATEMENTS,
        status=401,
        headers={"WWW-Authenticate": 'Basic realm="LRS"'},
        json={"detail": "Invalid authentication credentials"},
    )
    result = connector().check()
    assert not result.ok and "'password'" in result.message and "lrs-secret-9876" not in result.message
