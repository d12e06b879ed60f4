"""Every invalid launch of lti.md §2.4 is refused with a 4xx that names the problem; nothing is stored."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.lti.conftest import Tool, begin, launch, launch_count
from tests.lti.platform import TestPlatform, rsa_pem

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
Mutation = Callable[[dict[str, Any]], None]


def drop(*keys: str) -> Mutation:
    def apply(message: dict[str, Any]) -> None:
        for key in keys:
            message.pop(key, None)

    return apply


def put(key: str, value: Any) -> Mutation:
    def apply(message: dict[str, Any]) -> None:
        message[key] = value

    return apply


def future_iat(message: dict[str, Any]) -> None:
    now = int(time.time())
    message.update({"iat": now + 3600, "exp": now + 3900})


def wrong_azp(message: dict[str, Any]) -> None:
    message["aud"] = [message["aud"], "another-tool"]
    message["azp"] = "another-tool"


MUTATIONS: dict[str, Mutation] = {
    "04 exp and iat invalid": lambda m: m.update({"exp": 22222, "iat": 11111}),
    "05 version is not 1.3": put(CLAIM + "version", "11.3"),
    "06 no version": drop(CLAIM + "version"),
    "07 several fields missing": drop(CLAIM + "message_type", CLAIM + "roles", CLAIM + "version"),
    "08 no deployment_id": drop(CLAIM + "deployment_id"),
    "09 no message_type": drop(CLAIM + "message_type"),
    "10 no roles claim": drop(CLAIM + "roles"),
    "11 empty sub": put("sub", ""),
    "12 no resource_link": drop(CLAIM + "resource_link"),
    "12b resource_link without id": put(CLAIM + "resource_link", {"title": "no id"}),
    "17 wrong iss": put("iss", "https://evil.example"),
    "18 wrong aud": put("aud", "another-tool"),
    "18b azp of another client": wrong_azp,
    "19 iat an hour in the future": future_iat,
    "20 no nonce": drop("nonce"),
    "21 other nonce": put("nonce", "a-nonce-this-login-never-sent"),
    "22 unregistered deployment": put(CLAIM + "deployment_id", "99"),
    "23 unknown message type": put(CLAIM + "message_type", "LtiFooRequest"),
}


#: What each refusal must name (the error code or the failed check).
EXPECTED = {
    "04 exp and iat invalid": "expired",
    "05 version is not 1.3": "Incorrect version",
    "06 no version": "Incorrect version",
    "07 several fields missing": "missing_message_type",
    "08 no deployment_id": "missing_deployment",
    "09 no message_type": "missing_message_type",
    "10 no roles claim": "Missing Roles Claim",
    "11 empty sub": "Must have a user (sub)",
    "12 no resource_link": "Missing Resource Link Id",
    "12b resource_link without id": "Missing Resource Link Id",
    "17 wrong iss": "wrong_issuer",
    "18 wrong aud": "wrong_audience",
    "18b azp of another client": "wrong_audience",
    "19 iat an hour in the future": "not_yet_valid",
    "20 no nonce": "missing_nonce",
    "21 other nonce": "wrong_nonce",
    "22 unregistered deployment": "unknown_deployment",
    "23 unknown message type": "unsupported_message",
}


def assert_refused(tool: Tool, resp: Any, before: int) -> dict[str, Any]:
    assert 400 <= resp.status_code < 500, (resp.status_code, resp.get_data(as_text=True)[:500])
    assert launch_count(tool) == before
    text = resp.get_data(as_text=True)
    assert "Traceback" not in text
    return {"status": resp.status_code, "text": text}


@pytest.mark.parametrize("case", sorted(MUTATIONS))
def test_tampered_claims_are_refused(tool: Tool, platform: TestPlatform, case: str) -> None:
    platform.mutate = MUTATIONS[case]
    before = launch_count(tool)
    result = launch(tool, platform)
    out = assert_refused(tool, result.response, before)
    assert EXPECTED[case] in out["text"]


def test_01_a_token_that_is_not_a_jwt_is_refused(tool: Tool, platform: TestPlatform) -> None:
    _, state = begin(tool, platform)
    b64 = lambda d: base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()  # noqa: E731
    bogus = b64({}) + "." + b64({"name": "badltilaunch"})
    resp = tool.client.post(tool.url + "/lti/launch", data={"id_token": bogus, "state": state})
    out = assert_refused(tool, resp, 0)
    assert "3 parts" in out["text"]


def test_02_no_kid_in_header_is_refused(tool: Tool, platform: TestPlatform) -> None:
    platform.headers = {"badtestonly": "12345"}
    out = assert_refused(tool, launch(tool, platform).response, 0)
    assert "missing_kid" in out["text"]


def test_03_unknown_kid_is_refused_after_one_refetch(tool: Tool, platform: TestPlatform) -> None:
    platform.headers = {"kid": "imstester_66067"}
    keys = tool.app.extensions["cebridge"]["lti"].keys if "lti" in tool.app.extensions["cebridge"] else None
    out = assert_refused(tool, launch(tool, platform).response, 0)
    assert out["status"] == 401 and "unknown_kid" in out["text"]
    keys = tool.app.extensions["cebridge"]["lti"].keys
    assert keys.fetches == 1
    # A second bad kid within the refetch window does not make the tool fetch again.
    assert_refused(tool, launch(tool, platform).response, 0)
    assert keys.fetches == 1


def test_14_signature_by_another_key_is_refused(tool: Tool, platform: TestPlatform) -> None:
    platform.signing_key = rsa_pem("attacker")[0]
    out = assert_refused(tool, launch(tool, platform).response, 0)
    assert "bad_signature" in out["text"]


def test_15_alg_none_is_refused(tool: Tool, platform: TestPlatform) -> None:
    id_token, state = begin(tool, platform)
    header, payload, _ = id_token.split(".")
    none_header = (
        base64.urlsafe_b64encode(
            json.dumps({"alg": "none", "kid": json.loads(base64.urlsafe_b64decode(header + "=="))["kid"]}).encode()
        )
        .rstrip(b"=")
        .decode()
    )
    resp = tool.client.post(tool.url + "/lti/launch", data={"id_token": f"{none_header}.{payload}.", "state": state})
    out = assert_refused(tool, resp, 0)
    assert "bad_algorithm" in out["text"]


def test_16_hs256_is_refused(tool: Tool, platform: TestPlatform) -> None:
    platform.algorithm = "HS256"
    out = assert_refused(tool, launch(tool, platform).response, 0)
    assert "bad_algorithm" in out["text"]


def test_24_replayed_id_token_is_refused(tool: Tool, platform: TestPlatform) -> None:
    first = launch(tool, platform)
    assert first.response.status_code == 303
    again = tool.client.post(tool.url + "/lti/launch", data={"id_token": first.id_token, "state": first.state})
    assert_refused(tool, again, 1)
    # Replaying under a fresh state of the attacker's own login fails on the nonce.
    _, fresh_state = begin(tool, platform)
    replay = tool.client.post(tool.url + "/lti/launch", data={"id_token": first.id_token, "state": fresh_state})
    out = assert_refused(tool, replay, 1)
    assert "wrong_nonce" in out["text"]


def test_25_launch_from_another_browser_is_refused(tool: Tool, platform: TestPlatform) -> None:
    id_token, state = begin(tool, platform)
    other_browser = tool.app.test_client()
    resp = other_browser.post(tool.url + "/lti/launch", data={"id_token": id_token, "state": state})
    out = assert_refused(tool, resp, 0)
    assert out["status"] == 401 and "new window" in out["text"]
    # A forged state cookie is refused too.
    other_browser.set_cookie("cebridge-lti-" + state[:16], "forged", domain="127.0.0.1", path="/lti/")
    resp = other_browser.post(tool.url + "/lti/launch", data={"id_token": id_token, "state": state})
    out = assert_refused(tool, resp, 0)
    assert "state_mismatch" in out["text"]


def test_unknown_state_missing_fields_and_unknown_platform_are_4xx(tool: Tool, platform: TestPlatform) -> None:
    for data in ({}, {"state": "x"}, {"state": "never-issued", "id_token": "a.b.c"}):
        resp = tool.client.post(tool.url + "/lti/launch", data=data, headers={"Accept": "application/json"})
        assert 400 <= resp.status_code < 500
        assert resp.get_json()["error"] in {"missing_state", "missing_id_token", "unknown_state"}
    resp = tool.client.get(
        "/lti/login",
        query_string={"iss": "https://unknown.example", "login_hint": "u", "target_link_uri": tool.url + "/lti/home"},
        headers={"Accept": "application/json"},
    )
    assert resp.status_code == 400 and resp.get_json()["error"] == "unknown_issuer"
    resp = tool.client.get(
        "/lti/login",
        query_string={
            "iss": platform.issuer,
            "client_id": "nobody",
            "login_hint": "u",
            "target_link_uri": tool.url + "/lti/home",
        },
    )
    assert resp.status_code == 400 and "nobody" in resp.get_data(as_text=True)
    resp = tool.client.get(
        "/lti/login",
        query_string={"iss": platform.issuer, "login_hint": "u", "target_link_uri": "https://elsewhere.example/x"},
    )
    assert resp.status_code == 400 and "foreign_target" in resp.get_data(as_text=True)
    resp = tool.client.post("/lti/login", data={"iss": platform.issuer})
    assert resp.status_code == 400 and "login_hint" in resp.get_data(as_text=True)


def test_platform_storage_launch_needs_the_stored_secret_and_is_one_time(tool: Tool, platform: TestPlatform) -> None:
    import re

    from tests.lti.conftest import platform_auth

    platform.login_as("learner-1")
    login = tool.client.get(platform.login_url("learner-1", storage_target="_parent"))
    assert login.status_code == 200  # the page that puts the secret in the platform's storage
    html = login.get_data(as_text=True)
    binding = json.loads(re.search(r'"lti.put_data",\s*"[^"]+", ("[^"]+")', html).group(1))  # type: ignore[union-attr]
    auth_url = json.loads(re.search(r"var authUrl = (\"[^\"]+\")", html).group(1))  # type: ignore[union-attr]
    id_token, state = platform_auth(platform, auth_url)
    frame = tool.app.test_client()  # an iframe that kept no cookie
    first = frame.post(tool.url + "/lti/launch", data={"id_token": id_token, "state": state})
    assert first.status_code == 200 and "lti.get_data" in first.get_data(as_text=True)
    assert launch_count(tool) == 1  # stored, not yet usable
    replay = frame.post(tool.url + "/lti/launch", data={"id_token": id_token, "state": state})
    assert replay.status_code == 400 and "replayed" in replay.get_data(as_text=True)
    wrong = frame.post(tool.url + "/lti/launch/verify", data={"state": state, "binding": "guess"})
    assert wrong.status_code == 401 and "state_mismatch" in wrong.get_data(as_text=True)
    token_page = frame.get("/lti/launch.json", headers={"Accept": "application/json"})
    assert token_page.status_code == 401
    right = frame.post(tool.url + "/lti/launch/verify", data={"state": state, "binding": binding})
    assert right.status_code == 303 and "/lti/home?lt=" in right.headers["Location"]
    again = frame.post(tool.url + "/lti/launch/verify", data={"state": state, "binding": binding})
    assert again.status_code == 400 and "unknown_state" in again.get_data(as_text=True)


def test_launch_tokens_are_signed_and_expire(tool: Tool, platform: TestPlatform) -> None:
    from itsdangerous import URLSafeTimedSerializer

    from lti_tool.launch_session import LAUNCH_TOKEN_MAX_AGE

    result = launch(tool, platform)
    token = result.response.headers["Location"].split("lt=")[1]
    ok = tool.client.get("/lti/launch.json", query_string={"lt": token})
    assert ok.status_code == 200
    forged = URLSafeTimedSerializer("not-the-secret", salt="cebridge.lti.launch").dumps(ok.get_json()["launch_id"])
    assert tool.client.get("/lti/launch.json", query_string={"lt": forged}).status_code == 401
    import time as _time
    from unittest import mock

    with mock.patch("itsdangerous.timed.time.time", return_value=_time.time() + LAUNCH_TOKEN_MAX_AGE + 5):
        expired = tool.client.get(
            "/lti/launch.json", query_string={"lt": token}, headers={"Accept": "application/json"}
        )
    assert expired.status_code == 401 and expired.get_json()["error"] == "launch_expired"


def test_a_nonce_already_consumed_is_refused_even_with_a_live_state(tool: Tool, platform: TestPlatform) -> None:
    import jwt as pyjwt

    from cebridge.store.db import transaction
    from cebridge.store.lti_tables import LtiNonce
    from lti_tool.db import sessions_of

    id_token, state = begin(tool, platform)
    nonce = pyjwt.decode(id_token, options={"verify_signature": False})["nonce"]
    platform_id = tool.registrations.find(platform.issuer, platform.client_id).id
    with transaction(sessions_of(tool.app)) as session:
        session.add(LtiNonce(platform_id=platform_id, nonce=nonce, expires_at=int(time.time()) + 600))
    resp = tool.client.post(tool.url + "/lti/launch", data={"id_token": id_token, "state": state})
    out = assert_refused(tool, resp, 0)
    assert "replay" in out["text"]
