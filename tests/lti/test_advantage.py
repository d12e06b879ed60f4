"""LTI Advantage end to end: deep linking round trip, AGS score posts through the sink, NRPS roster paging."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from cebridge.errors import SinkRejected, SinkUnavailable
from cebridge.services.orgs import get_org
from cebridge.services.providers import add_provider, import_catalog
from cebridge.store.db import transaction
from cebridge.store.lti_tables import LtiLineItem, LtiScorePost
from cebridge.store.record_tables import OutboxItem
from lti_tool.ags import enqueue_completion_scores
from lti_tool.db import sessions_of
from lti_tool.keys import keystore_of
from lti_tool.nrps import roster
from lti_tool.services import ServiceClient
from lti_tool.sinks.ags import AgsSink
from tests.lti.conftest import Tool, auto_form, launch, local
from tests.lti.platform import LEARNER, TestPlatform

CATALOG = [
    {
        "id": "eth-3",
        "title": "Ethics for Texas Counselors",
        "provider": "Lone Star CE",
        "approvals": ["NBCC"],
        "format": "self_study",
        "activity": "course",
        "credits": {"amount": 3, "unit": "hours"},
        "categories": ["ethics"],
        "price": {"amount": "49.00", "currency": "USD"},
    },
    {
        "id": "sp-2",
        "title": "Suicide Prevention",
        "provider": "Lone Star CE",
        "approvals": ["NBCC"],
        "format": "self_study",
        "activity": "course",
        "credits": {"amount": 2, "unit": "hours"},
        "categories": ["suicide_prevention"],
        "price": {"amount": "29.00", "currency": "USD"},
    },
]


def seed_catalog(tool: Tool) -> dict[str, str]:
    """Import the catalog; returns offering id -> row id (the placement id deep linking uses)."""
    from cebridge.store.catalog_tables import Offering

    with transaction(sessions_of(tool.app)) as session:
        get_org(session, None)
        add_provider(session, "lonestar", connector="csv", config={"path": "x.csv"})
        import_catalog(session, "lonestar", CATALOG, "catalog.json")
        return {o.offering_id: str(o.id) for o in session.scalars(select(Offering))}


def place(tool: Tool, platform: TestPlatform, offering_row: str) -> dict[str, Any]:
    """An instructor's deep-linking round trip; returns the content item the platform stored."""
    result = launch(tool, platform, user="teacher-1", kind="deep")
    assert result.response.status_code == 303
    picker = tool.client.get(local(result.response.headers["Location"]))
    assert picker.status_code == 200
    html = picker.get_data(as_text=True)
    assert "Ethics for Texas Counselors" in html and "Suicide Prevention" in html
    token = re.search(r'name="lt" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    answer = tool.client.post("/lti/deep-link", data={"lt": token, "offering": offering_row})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    action, fields = auto_form(answer.get_data(as_text=True))
    assert action == platform.url + "/deep_link_return"
    back = platform.client.post(local(action), data=fields)
    assert back.status_code == 200, back.get_data(as_text=True)
    return platform.deep_link_items[-1]


@pytest.fixture
def placed(tool: Tool, platform: TestPlatform) -> Iterator[tuple[dict[str, str], dict[str, Any]]]:
    ids = seed_catalog(tool)
    item = place(tool, platform, ids["eth-3"])
    # The first launch of the placed link tells the tool its resource link and line item.
    result = launch(tool, platform, user="learner-1", resource_link_id=item["_resource_link_id"], custom=item["custom"])
    assert result.response.status_code == 303
    yield ids, item


def test_deep_linking_places_a_resource_link_with_line_item(
    tool: Tool, platform: TestPlatform, placed: tuple[dict[str, str], dict[str, Any]]
) -> None:
    ids, item = placed
    assert item["type"] == "ltiResourceLink"
    assert item["url"] == tool.url + "/lti/home"
    assert item["custom"] == {"cebridge_offering": ids["eth-3"]}
    assert item["lineItem"] == {
        "scoreMaximum": 1,
        "label": "Ethics for Texas Counselors",
        "resourceId": ids["eth-3"],
        "tag": "cebridge-ce-credit",
    }
    with sessions_of(tool.app)() as session:
        row = session.scalars(select(LtiLineItem)).one()
        assert row.offering_id == ids["eth-3"]
        assert row.resource_link_id == item["_resource_link_id"]
        assert row.lineitem_url and row.lineitem_url.startswith(platform.url + "/lineitems/")


def test_learners_cannot_place_content(tool: Tool, platform: TestPlatform) -> None:
    seed_catalog(tool)
    result = launch(tool, platform, user="learner-1", kind="deep")
    page = tool.client.get(local(result.response.headers["Location"]))
    assert page.status_code == 403


def _sink(tool: Tool) -> AgsSink:
    return AgsSink(sessions=sessions_of(tool.app), keys=keystore_of(tool.app))


def _enqueue(tool: Tool, platform: TestPlatform, offering_row: str, completion_id: str) -> list[OutboxItem]:
    with transaction(sessions_of(tool.app)) as session:
        keys = enqueue_completion_scores(
            session,
            offering_id=offering_row,
            user_ids={platform.issuer: "learner-1"},
            completion_id=completion_id,
            credit={"amount": "3", "unit": "hours", "categories": ["ethics"]},
            title="Ethics for Texas Counselors",
        )
    with sessions_of(tool.app)() as session:
        return list(session.scalars(select(OutboxItem).where(OutboxItem.idempotency_key.in_(keys))))


def test_completion_score_is_posted_once_with_increasing_timestamps(
    tool: Tool, platform: TestPlatform, placed: tuple[dict[str, str], dict[str, Any]]
) -> None:
    ids, _ = placed
    items = _enqueue(tool, platform, ids["eth-3"], "c1")
    assert len(items) == 1 and items[0].sink == "lti_ags" and items[0].kind == "lti.score"
    assert _enqueue(tool, platform, ids["eth-3"], "c1") == []  # enqueuing again adds nothing
    sink = _sink(tool)
    sink.deliver(items[0].kind, items[0].payload, items[0].idempotency_key)
    assert len(platform.scores) == 1
    score = platform.scores[0]
    assert score["userId"] == "learner-1"
    assert (score["activityProgress"], score["gradingProgress"]) == ("Completed", "FullyGraded")
    assert (score["scoreGiven"], score["scoreMaximum"]) == (1, 1)
    assert "3 hours" in score["comment"] and "ethics" in score["comment"]
    # A redelivery of the same item posts nothing.
    sink.deliver(items[0].kind, items[0].payload, items[0].idempotency_key)
    assert len(platform.scores) == 1
    # A second completion right away gets a later timestamp that Moodle-like platforms accept (no 409).
    second = _enqueue(tool, platform, ids["eth-3"], "c2")[0]
    sink.deliver(second.kind, second.payload, second.idempotency_key)
    assert platform.score_status == [200, 200]
    assert int(platform.scores[1]["_ts"]) > int(platform.scores[0]["_ts"])
    # One token served both posts: tokens are cached per issuer and client id.
    assert len(platform.token_requests) == 1


def test_sink_failures_are_retried_or_dead_lettered(
    tool: Tool, platform: TestPlatform, placed: tuple[dict[str, str], dict[str, Any]]
) -> None:
    ids, _ = placed
    item = _enqueue(tool, platform, ids["eth-3"], "c1")[0]
    sink = _sink(tool)
    platform.score_fault = 503
    with pytest.raises(SinkUnavailable):
        sink.deliver(item.kind, item.payload, item.idempotency_key)
    platform.score_fault = 403
    with pytest.raises(SinkRejected):
        sink.deliver(item.kind, item.payload, item.idempotency_key)
    platform.score_fault = None
    sink.deliver(item.kind, item.payload, item.idempotency_key)
    assert [s["userId"] for s in platform.scores] == ["learner-1"]
    with sessions_of(tool.app)() as session:
        post = session.scalars(select(LtiScorePost)).one()
        assert post.last_status == 200
    with pytest.raises(SinkRejected, match=r"not 'other\.kind'"):
        sink.deliver("other.kind", item.payload, item.idempotency_key)
    with pytest.raises(SinkRejected, match="user_id"):
        sink.deliver(item.kind, {**item.payload, "user_id": ""}, "k2")
    with pytest.raises(SinkRejected, match="not a known placement"):
        sink.deliver(item.kind, {**item.payload, "resource_link_id": "nope"}, "k3")
    with pytest.raises(SinkRejected, match="not registered"):
        sink.deliver(item.kind, {**item.payload, "issuer": "https://unknown.example"}, "k4")
    platform.stop()
    with pytest.raises(SinkUnavailable):
        sink.deliver(item.kind, item.payload, "k5")


def test_sink_builds_from_config_and_entry_point(tool: Tool, tmp_path: Any) -> None:
    from cebridge.sinks.base import load_sink_factory

    factory = load_sink_factory("lti_ags")
    home = tool.app.extensions["cebridge"]["settings"].home
    sink = factory({"home": str(home), "database_url": str(sessions_of(tool.app).kw["bind"].url)})
    with pytest.raises(SinkRejected, match="not registered"):
        sink.deliver(
            "lti.score",
            {
                "issuer": "https://x.example",
                "client_id": "c",
                "deployment_id": "1",
                "resource_link_id": "r",
                "user_id": "u",
                "credit": {"amount": "1", "unit": "hours"},
            },
            "k",
        )


@pytest.mark.parametrize("style", ["unquoted", "quoted", "upper", "multi"])
def test_nrps_roster_reads_every_page(tool: Tool, platform: TestPlatform, style: str) -> None:
    for n in range(2, 7):
        platform.add_user(f"learner-{n}", roles=[LEARNER], name=f"Learner {n}")
    platform.link_style = style
    client = ServiceClient(
        tool.registrations.find(platform.issuer, platform.client_id),
        keystore_of(tool.app).active(),
        __import__("requests").Session(),
    )
    context, members = roster(client, platform.url + "/memberships", limit=2)
    assert context["id"] == "course-1"
    assert sorted(m["user_id"] for m in members) == sorted(
        ["learner-1", "teacher-1", "learner-2", "learner-3", "learner-4", "learner-5", "learner-6"]
    )


def test_roster_view_shows_who_is_short(tool: Tool, platform: TestPlatform) -> None:
    from cebridge.store.people_tables import Clinician, Identity, LicenseRow
    from cebridge.store.record_tables import ComplianceSnapshot

    with transaction(sessions_of(tool.app)) as session:
        org = get_org(session, None)
        clinician = Clinician(organization_id=org.id, name="Jordan Lee", email="jordan@example.org")
        session.add(clinician)
        session.flush()
        session.add(
            Identity(
                organization_id=org.id,
                clinician_id=clinician.id,
                kind="platform_user",
                source=platform.issuer,
                value="learner-1",
            )
        )
        lic = LicenseRow(clinician_id=clinician.id, board="tx-lpc", license_number="LPC 70000", data={})
        session.add(lic)
        session.flush()
        report = {
            "cycle": {"start": "2023-06-01", "end": "2025-05-31"},
            "total": {"short": 2},
            "requirements": [
                {"id": "ethics", "category": "ethics", "required": 6, "counted": 4, "short": 2, "satisfied": False},
                {"id": "total", "category": "general", "short": 0, "satisfied": True},
            ],
        }
        session.add(
            ComplianceSnapshot(
                license_id=lic.id,
                as_of=date(2025, 1, 1),
                rule_version="v1",
                compliant=False,
                report=report,
                report_hash="h",
            )
        )
    teacher = launch(tool, platform, user="teacher-1")
    token = local(teacher.response.headers["Location"]).split("lt=")[1]
    view = tool.client.get("/lti/roster.json", query_string={"lt": token})
    assert view.status_code == 200, view.get_data(as_text=True)
    rows = {m["user_id"]: m for m in view.get_json()["members"]}
    assert rows["learner-1"]["matched"] is True and rows["learner-1"]["short"] is True
    assert rows["learner-1"]["licenses"][0]["short"] == [{"requirement": "ethics", "category": "ethics", "short": 2}]
    assert rows["teacher-1"]["matched"] is False
    learner = launch(tool, platform, user="learner-1")
    token = local(learner.response.headers["Location"]).split("lt=")[1]
    assert tool.client.get("/lti/roster.json", query_string={"lt": token}).status_code == 403


def test_line_item_is_found_across_pages_or_created(tool: Tool, platform: TestPlatform) -> None:
    """Without a line item in the launch, the sink finds the tagged one on any page, else creates it."""
    import responses as rsps

    from lti_tool.ags import ensure_line_item
    from lti_tool.placements import Placement

    record = tool.registrations.find(platform.issuer, platform.client_id)
    client = ServiceClient(record, keystore_of(tool.app).active(), __import__("requests").Session())
    with transaction(sessions_of(tool.app)) as session:
        row = LtiLineItem(
            platform_id=record.id,
            deployment_id="1",
            resource_link_id="rl-9",
            offering_id="5",
            lineitems_url="https://lms.example/items?ctx=1",
            created_at=0,
        )
        session.add(row)
        session.flush()
        placement = Placement.of(row)
    with rsps.RequestsMock() as mock:
        mock.post(platform.url + "/token", json={"access_token": "t", "expires_in": 3600})
        mock.get(
            "https://lms.example/items?ctx=1&resource_link_id=rl-9",
            json=[{"id": "https://lms.example/items/1", "tag": "other"}],
            headers={"Link": "<https://lms.example/items?ctx=1&resource_link_id=rl-9&Page=2>; rel=next"},
        )
        mock.get(
            "https://lms.example/items?ctx=1&resource_link_id=rl-9&Page=2",
            json=[{"id": "https://lms.example/items/2", "tag": "cebridge-ce-credit"}],
        )
        assert ensure_line_item(sessions_of(tool.app), client, placement, "x") == "https://lms.example/items/2"
    with sessions_of(tool.app)() as session:
        assert session.get(LtiLineItem, placement.id).lineitem_url == "https://lms.example/items/2"  # type: ignore[union-attr]
    other = Placement(**{**placement.__dict__, "lineitem_url": None, "resource_link_id": "rl-10"})
    with rsps.RequestsMock() as mock:
        mock.get("https://lms.example/items?ctx=1&resource_link_id=rl-10", json=[])
        created = mock.post("https://lms.example/items?ctx=1", json={"id": "https://lms.example/items/3"})
        assert ensure_line_item(sessions_of(tool.app), client, other, "Ethics") == "https://lms.example/items/3"
        body = __import__("json").loads(created.calls[0].request.body)
        assert body == {
            "scoreMaximum": 1,
            "label": "Ethics",
            "resourceId": "5",
            "resourceLinkId": "rl-10",
            "tag": "cebridge-ce-credit",
        }
