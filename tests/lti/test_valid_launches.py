"""Valid but unusual launches (packback's certification ``valid/`` cases) are accepted."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.lti.conftest import Tool, launch, launch_count, local
from tests.lti.platform import INSTRUCTOR, LEARNER, TestPlatform

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
PII = ("name", "email", "given_name", "family_name", "preferred_username")


def without(*keys: str) -> Callable[[dict[str, Any]], None]:
    return lambda m: [m.pop(k, None) for k in keys]  # type: ignore[func-returns-value]


def roles(value: list[str]) -> Callable[[dict[str, Any]], None]:
    return lambda m: m.__setitem__(CLAIM + "roles", value)


def only(*kept: str) -> Callable[[dict[str, Any]], None]:
    return lambda m: [m.pop(k, None) for k in PII if k not in kept]  # type: ignore[func-returns-value]


CASES: dict[str, tuple[str, Callable[[dict[str, Any]], None] | None]] = {
    "instructor": ("teacher-1", None),
    "student": ("learner-1", None),
    "instructor no PII": ("teacher-1", without(*PII)),
    "student no PII": ("learner-1", without(*PII)),
    "only email": ("learner-1", only("email")),
    "only names": ("learner-1", lambda m: (only()(m), m.update({"given_name": "Jo", "family_name": "Lee"}))),
    "no role": ("learner-1", roles([""])),
    "multiple roles": (
        "teacher-1",
        roles([INSTRUCTOR, LEARNER, "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Staff"]),
    ),
    "short role values": ("teacher-1", roles(["Instructor", "Learner"])),
    "unknown role": ("learner-1", roles(["http://example.org/roles#Wizard"])),
    "no context": ("learner-1", without(CLAIM + "context")),
    "numeric sub": ("learner-1", lambda m: m.__setitem__("sub", 12345)),
    "audience list with azp": ("learner-1", lambda m: m.update({"aud": [m["aud"], "other"], "azp": m["aud"]})),
    "student only resource link": (
        "learner-1",
        without(
            CLAIM + "context",
            CLAIM + "launch_presentation",
            *PII,
            "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint",
            "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice",
        ),
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_valid_launch_is_accepted(tool: Tool, platform: TestPlatform, case: str) -> None:
    user, mutation = CASES[case]
    platform.mutate = mutation
    result = launch(tool, platform, user=user)
    assert result.response.status_code == 303, result.response.get_data(as_text=True)[:400]
    assert launch_count(tool) == 1
    # The landing hands over to the dashboard, which must render for every valid launch, however unusual.
    page = tool.client.get(local(result.response.headers["Location"]), follow_redirects=True)
    assert page.status_code == 200, page.get_data(as_text=True)[:400]
    info = tool.client.get(
        local(result.response.headers["Location"]).replace("/lti/home", "/lti/launch.json")
    ).get_json()
    assert info["user_id"] == ("12345" if case == "numeric sub" else user)
    if case == "short role values":
        assert info["is_instructor"] is True
    if case in ("no role", "unknown role"):
        assert info["is_instructor"] is False


def test_ags_and_nrps_core_launch_carry_their_claims(tool: Tool, platform: TestPlatform) -> None:
    result = launch(tool, platform, user="teacher-1", custom={"cebridge_offering": "7"})
    assert result.response.status_code == 303
    from cebridge.store.lti_tables import LtiLaunch
    from lti_tool.db import sessions_of

    with sessions_of(tool.app)() as session:
        row = session.query(LtiLaunch).one()
        assert row.claims["https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"]["lineitems"].endswith("/lineitems")
        assert row.claims["https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"]


def test_login_without_client_id_uses_the_issuers_only_registration(tool: Tool, platform: TestPlatform) -> None:
    result = launch(tool, platform, client_id=False)
    assert result.response.status_code == 303


def test_one_issuer_with_many_client_ids(tool: Tool) -> None:
    """Canvas: one issuer, a client id per developer key; each launch is checked against its own."""
    from tests.lti.conftest import new_platform, register

    first = new_platform(tool, issuer="https://canvas.instructure.com", client_id="10000000000001")
    second = new_platform(tool, issuer="https://canvas.instructure.com", client_id="10000000000002", deployment_id="2")
    try:
        register(tool, first)
        register(tool, second)
        assert launch(tool, first).response.status_code == 303
        assert launch(tool, second).response.status_code == 303
        # A login that names no client id is ambiguous for this issuer.
        resp = tool.client.get(
            "/lti/login",
            query_string={
                "iss": "https://canvas.instructure.com",
                "login_hint": "u",
                "target_link_uri": tool.url + "/lti/home",
            },
        )
        assert resp.status_code == 400 and "client_id_required" in resp.get_data(as_text=True)
        # The second registration's deployment is not valid for the first.
        first.mutate = lambda m: m.__setitem__(CLAIM + "deployment_id", "2")
        assert launch(tool, first).response.status_code == 400
    finally:
        first.stop()
        second.stop()
