"""The demo's LTI platform as a platform: what it checks in the tool's authentication request, what it signs, and
how it takes scores (like Moodle: required fields, a timestamp after the learner's last one)."""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest

from cebridge.demo import data
from cebridge.demo.platform import DL, LTI, DemoPlatform, PlatformError
from cebridge.keys import KeyStore

BASE = "http://127.0.0.1:5999"


@pytest.fixture
def tool_keys(tmp_path: Path) -> KeyStore:
    """The tool's key store (what the tool signs its deep-linking responses and assertions with)."""
    return KeyStore(tmp_path / "tool")


@pytest.fixture
def platform(tmp_path: Path, tool_keys: KeyStore) -> DemoPlatform:
    return DemoPlatform(
        base_url=BASE, key_home=tmp_path / "platform", offering_row_id="7", tool_jwks=lambda: tool_keys.jwks()
    )


def _auth_request(
    platform: DemoPlatform, user: str = "jordan.lee", activity: str | None = "demo-link-ethics", **changes: str
) -> dict[str, str]:
    login = parse_qs(urlsplit(platform.login_url(user, activity)).query)
    q = {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
        "client_id": data.DEMO_CLIENT_ID,
        "redirect_uri": BASE + "/lti/launch",
        "state": "state-1",
        "nonce": "nonce-1",
        "login_hint": login["login_hint"][0],
        "lti_message_hint": login["lti_message_hint"][0],
    }
    q.update(changes)
    return q


def test_login_url_starts_the_tools_oidc_login_for_the_dashboard(platform: DemoPlatform) -> None:
    url = platform.login_url("jordan.lee")
    parts = urlsplit(url)
    q = parse_qs(parts.query)
    assert url.startswith(BASE + "/lti/login?")
    assert q["iss"] == [data.DEMO_ISSUER] and q["client_id"] == [data.DEMO_CLIENT_ID]
    assert q["target_link_uri"] == [BASE + "/dashboard/"] and q["login_hint"] == ["jordan.lee"]
    assert q["lti_deployment_id"] == [data.DEMO_DEPLOYMENT_ID]


def test_a_valid_authentication_request_gets_a_signed_launch(platform: DemoPlatform) -> None:
    action, fields = platform.authenticate(_auth_request(platform))
    assert action == BASE + "/lti/launch" and fields["state"] == "state-1"
    key = jwt.PyJWK(platform.keys.jwks()["keys"][0]).key
    claims = jwt.decode(fields["id_token"], key, algorithms=["RS256"], audience=data.DEMO_CLIENT_ID)
    assert claims["iss"] == data.DEMO_ISSUER and claims["sub"] == "jordan.lee" and claims["nonce"] == "nonce-1"
    assert claims[LTI + "message_type"] == "LtiResourceLinkRequest" and claims[LTI + "version"] == "1.3.0"
    assert claims[LTI + "custom"] == {"cebridge_offering": "7"}
    assert claims["exp"] > claims["iat"]
    assert jwt.get_unverified_header(fields["id_token"])["kid"] == platform.keys.active().kid


@pytest.mark.parametrize(
    "change",
    [
        {"redirect_uri": "http://evil.example/lti/launch"},
        {"client_id": "someone-else"},
        {"response_type": "code"},
        {"login_hint": "maya.chen"},
        {"lti_message_hint": "never-issued"},
        {"nonce": ""},
    ],
)
def test_an_authentication_request_the_platform_did_not_start_is_refused(
    platform: DemoPlatform, change: dict[str, str]
) -> None:
    with pytest.raises(PlatformError):
        platform.authenticate(_auth_request(platform, **change))


def test_a_message_hint_is_good_for_one_launch_only(platform: DemoPlatform) -> None:
    q = _auth_request(platform)
    platform.authenticate(q)
    with pytest.raises(PlatformError):
        platform.authenticate(q)


def test_instructors_launch_with_the_instructor_role(platform: DemoPlatform) -> None:
    _, fields = platform.authenticate(_auth_request(platform, user="sam.rivera"))
    claims = jwt.decode(fields["id_token"], options={"verify_signature": False})
    assert claims[LTI + "roles"] == ["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"]


def test_scores_are_taken_like_moodle(platform: DemoPlatform) -> None:
    score = {
        "userId": "jordan.lee",
        "timestamp": "2026-01-02T03:04:05.100000Z",
        "activityProgress": "Completed",
        "gradingProgress": "FullyGraded",
        "scoreGiven": 1,
        "scoreMaximum": 1,
    }
    assert platform.add_score("1", score) == 200
    assert platform.add_score("1", dict(score, timestamp="2026-01-02T03:04:05.900000Z")) == 409  # same second
    assert platform.add_score("1", dict(score, timestamp="2026-01-02T03:04:06Z")) == 200
    assert platform.add_score("1", {"userId": "jordan.lee"}) == 400
    assert platform.add_score("99", score) == 404
    assert [s["learner"] for s in platform.scores] == ["Jordan Lee", "Jordan Lee"]


def test_services_need_a_token_the_platform_issued(platform: DemoPlatform) -> None:
    assert not platform.authorized(None)
    assert not platform.authorized("Bearer made-up")
    platform.tokens["t1"] = 0.0  # expired
    assert not platform.authorized("Bearer t1")


def test_the_roster_lists_every_clinician_and_the_instructor(platform: DemoPlatform) -> None:
    members = platform.members()["members"]
    assert {m["user_id"] for m in members} == {c.lms_user_id for c in data.clinicians()} | {"sam.rivera"}
    assert all(m["status"] == "Active" and m["email"] for m in members)


def _deep_link_request(platform: DemoPlatform) -> dict[str, object]:
    _, fields = platform.authenticate(_auth_request(platform, user="sam.rivera", activity=None))
    return jwt.decode(fields["id_token"], options={"verify_signature": False})


def _response(tool_keys: KeyStore, echoed: object, **changes: object) -> str:
    now = int(time.time())
    claims: dict[str, object] = {
        "iss": data.DEMO_CLIENT_ID,
        "aud": data.DEMO_ISSUER,
        "iat": now,
        "exp": now + 600,
        "nonce": "n",
        LTI + "message_type": "LtiDeepLinkingResponse",
        LTI + "version": "1.3.0",
        LTI + "deployment_id": data.DEMO_DEPLOYMENT_ID,
        DL + "data": echoed,
        DL + "content_items": [
            {
                "type": "ltiResourceLink",
                "title": "Trauma-Informed Care",
                "url": BASE + "/lti/home",
                "custom": {"cebridge_offering": "3"},
                "lineItem": {"scoreMaximum": 1, "label": "Trauma"},
            },
            {"type": "html", "html": "<p>not a link</p>"},
        ],
    }
    claims.update(changes)
    return tool_keys.active().sign(claims)


def test_only_instructors_start_deep_linking(platform: DemoPlatform) -> None:
    with pytest.raises(PlatformError):
        platform.login_url("jordan.lee", None)
    with pytest.raises(PlatformError):
        platform.login_url("jordan.lee", "no-such-activity")


def test_a_deep_linking_request_and_the_tools_signed_answer_place_an_activity(
    platform: DemoPlatform, tool_keys: KeyStore
) -> None:
    request = _deep_link_request(platform)
    assert request[LTI + "message_type"] == "LtiDeepLinkingRequest" and LTI + "resource_link" not in request
    settings = request[DL + "deep_linking_settings"]
    assert isinstance(settings, dict) and settings["deep_link_return_url"] == BASE + "/demo/platform/deep-link-return"
    placed = platform.accept_deep_link(_response(tool_keys, settings["data"]))
    assert [(a.title, a.offering) for a in placed] == [("Trauma-Informed Care", "3")]
    assert list(platform.activities) == ["demo-link-ethics", placed[0].id]
    assert platform.line_items[placed[0].line_item]["resourceLinkId"] == placed[0].id
    _, fields = platform.authenticate(_auth_request(platform, activity=placed[0].id))
    claims = jwt.decode(fields["id_token"], options={"verify_signature": False})
    assert claims[LTI + "custom"] == {"cebridge_offering": "3"}
    assert claims[LTI + "resource_link"]["id"] == placed[0].id
    with pytest.raises(PlatformError):  # the same answer twice places nothing twice
        platform.accept_deep_link(_response(tool_keys, settings["data"]))


@pytest.mark.parametrize(
    "change",
    [
        {"aud": "https://another-platform.example"},
        {"iss": "another-tool"},
        {LTI + "deployment_id": "another-deployment"},
        {LTI + "message_type": "LtiResourceLinkRequest"},
        {"exp": 1},
    ],
)
def test_a_deep_linking_answer_that_does_not_fit_is_refused(
    platform: DemoPlatform, tool_keys: KeyStore, change: dict[str, object]
) -> None:
    settings = _deep_link_request(platform)[DL + "deep_linking_settings"]
    assert isinstance(settings, dict)
    with pytest.raises(PlatformError):
        platform.accept_deep_link(_response(tool_keys, settings["data"], **change))
    assert list(platform.activities) == ["demo-link-ethics"]


def test_an_answer_signed_by_another_key_or_to_no_request_is_refused(platform: DemoPlatform, tmp_path: Path) -> None:
    settings = _deep_link_request(platform)[DL + "deep_linking_settings"]
    assert isinstance(settings, dict)
    with pytest.raises(PlatformError):
        platform.accept_deep_link(_response(KeyStore(tmp_path / "stranger"), settings["data"]))
    with pytest.raises(PlatformError):
        platform.accept_deep_link("not-a-jwt")


def test_the_token_endpoint_checks_the_tools_assertion(platform: DemoPlatform, tool_keys: KeyStore) -> None:
    now = int(time.time())
    assertion = {
        "iss": data.DEMO_CLIENT_ID,
        "sub": data.DEMO_CLIENT_ID,
        "aud": BASE + "/demo/platform/token",
        "iat": now,
        "exp": now + 60,
        "jti": "j1",
    }
    form = {"grant_type": "client_credentials", "client_assertion": tool_keys.active().sign(assertion), "scope": "s"}
    token = platform.issue_token(form)
    assert platform.authorized("Bearer " + token["access_token"])
    for bad in ({**assertion, "aud": "elsewhere"}, {**assertion, "iss": "x", "sub": "x"}):
        with pytest.raises(PlatformError):
            platform.issue_token(dict(form, client_assertion=tool_keys.active().sign(bad)))
    with pytest.raises(PlatformError):
        platform.issue_token(dict(form, grant_type="password"))
