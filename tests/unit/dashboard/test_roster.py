"""The instructor's roster: members from the platform's roster service (NRPS, shapes from ``responses``), or from
the store when the platform offers none or fails; who is short on what, in an accessible table."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import responses
from sqlalchemy import delete

from cebridge.store.db import transaction
from cebridge.store.lti_tables import LtiLineItem
from cebridge.store.record_tables import ComplianceSnapshot
from lti_tool.db import sessions_of
from lti_tool.services import TOKENS
from tests.unit.dashboard import seed
from tests.unit.dashboard.conftest import Site
from tests.unit.dashboard.dom import Node, accessibility_basics

MEMBERSHIPS = seed.ISSUER + "/api/memberships"
INSTRUCTOR = seed.INSTRUCTOR
LEARNER = seed.LEARNER
MEMBERS = [
    {"user_id": "learner-1", "name": "Jordan Lee", "roles": [LEARNER], "status": "Active"},
    {"user_id": "learner-2", "name": "Alex Kim", "roles": [LEARNER], "status": "Active"},
    {"user_id": "learner-3", "name": "Riley Park", "roles": [LEARNER], "status": "Active"},
    {"user_id": "learner-5", "name": "Gone Away", "roles": [LEARNER], "status": "Inactive"},
    {"user_id": "teacher-1", "name": "Sam Rivera", "roles": [INSTRUCTOR], "status": "Active"},
    {"user_id": "other-id", "name": "Casey M.", "email": "CASEY@example.org", "roles": ["Learner"]},
]


@pytest.fixture(autouse=True)
def _fresh_tokens() -> Iterator[None]:
    TOKENS.clear()
    yield
    TOKENS.clear()


def _instructor(site: Site, **kwargs: object) -> str:
    return site.launch("teacher-1", roles=(INSTRUCTOR,), name="Sam Rivera", **kwargs)  # type: ignore[arg-type]


def _rows(doc: Node) -> dict[str, str]:
    return {body.find("th").text: body.text for body in doc.by_id("roster").find_all("tbody")}


def _platform_answers(rsps: responses.RequestsMock, status: int = 200) -> None:
    rsps.add(responses.POST, seed.ISSUER + "/token", json={"access_token": "tok-1", "expires_in": 3600})
    rsps.add(
        responses.GET,
        MEMBERSHIPS,
        status=status,
        json={"id": MEMBERSHIPS, "context": {"id": "course-1", "title": "CE for clinicians"}, "members": MEMBERS}
        if status == 200
        else {"error": "down"},
        content_type="application/vnd.ims.lti-nrps.v2.membershipcontainer+json",
    )


def test_the_roster_from_the_platform_shows_who_is_short_on_what(seeded: Site) -> None:
    token = _instructor(seeded, memberships_url=MEMBERSHIPS)
    with responses.RequestsMock() as rsps:
        _platform_answers(rsps)
        doc = seeded.page("/dashboard/roster", token)
        assert rsps.calls[0].request.url == seed.ISSUER + "/token"
        assert rsps.calls[1].request.headers["Authorization"] == "Bearer tok-1"
    assert accessibility_basics(doc) == []
    assert not doc.has_id("roster-notice")
    rows = _rows(doc)
    assert set(rows) == {"Jordan Lee", "Alex Kim", "Riley Park", "Sam Rivera", "Casey M."}  # inactive left out
    jordan = rows["Jordan Lee"]
    assert "Texas Licensed Professional Counselor (LPC)" in jordan and "Short" in jordan
    assert "Ethics: 4 hours" in jordan and "Total: 8 hours" in jordan and "May 31, 2027" in jordan
    assert "Appropriate professional boundaries: 3 hours" in jordan
    assert "Jurisprudence exam passed: a completion" in jordan
    assert "Compliant" in rows["Alex Kim"] and "Nothing" in rows["Alex Kim"]
    assert "No cebridge record" in rows["Riley Park"]
    assert "Instructor" in rows["Sam Rivera"]
    assert "Ethics: 4 hours" in rows["Casey M."]  # matched by e-mail
    order = list(rows)
    assert order.index("Jordan Lee") < order.index("Alex Kim") < order.index("Riley Park")  # short first
    summary = doc.by_id("roster-summary").text
    assert "5 members; 3 with a cebridge record; 2 short" in summary
    table = doc.by_id("roster")
    assert [th.attrs["scope"] for th in table.find("thead").find_all("th")] == ["col"] * 6
    assert all(b.find("th").attrs["scope"] == "rowgroup" for b in table.find_all("tbody"))


def test_a_failing_roster_service_falls_back_to_the_store_and_says_so(seeded: Site) -> None:
    seeded.launch("learner-1")
    seeded.launch("learner-2", name="Alex Kim")
    token = _instructor(seeded, memberships_url=MEMBERSHIPS)
    with responses.RequestsMock() as rsps:
        _platform_answers(rsps, status=500)
        doc = seeded.page("/dashboard/roster", token)
    assert "could not be read from the learning platform" in doc.by_id("roster-notice").text
    rows = _rows(doc)
    assert {"Jordan Lee", "Alex Kim", "Sam Rivera"} <= set(rows)
    assert "Short" in rows["Jordan Lee"] and "Compliant" in rows["Alex Kim"]


def test_without_a_roster_service_the_store_knows_launchers_and_completers(seeded: Site) -> None:
    seeded.launch("learner-1")
    with transaction(sessions_of(seeded.app)) as s:
        s.add(
            LtiLineItem(
                platform_id=seeded.platform_id,
                deployment_id="1",
                resource_link_id="rl-9",
                context_id="course-1",
                offering_id="eth-basics",
                created_at=0,
            )
        )
    token = _instructor(seeded)
    doc = seeded.page("/dashboard/roster", token)
    assert "does not share this course's roster" in doc.by_id("roster-notice").text
    rows = _rows(doc)
    assert "Jordan Lee" in rows  # launched from the course (and completed eth-basics)
    assert "Casey Moore" in rows  # completed eth-basics, placed in this course, never launched
    assert "Alex Kim" not in rows  # neither launched here nor completed a course placed here
    assert sum(1 for name in rows if name == "Jordan Lee") == 1


def test_standing_is_computed_now_when_no_snapshot_is_current(seeded: Site) -> None:
    with transaction(sessions_of(seeded.app)) as s:
        s.execute(delete(ComplianceSnapshot))
    token = _instructor(seeded, memberships_url=MEMBERSHIPS)
    with responses.RequestsMock() as rsps:
        _platform_answers(rsps)
        rows = _rows(seeded.page("/dashboard/roster", token))
    assert "Ethics: 4 hours" in rows["Jordan Lee"] and "Compliant" in rows["Alex Kim"]


def test_the_roster_page_is_for_instructors_only_and_needs_a_launch(seeded: Site) -> None:
    assert seeded.get("/dashboard/roster", seeded.launch("learner-2")).status_code == 403
    assert seeded.get("/dashboard/roster", None).status_code == 401
