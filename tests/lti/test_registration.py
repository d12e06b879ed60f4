"""Canvas developer-key JSON and LTI Dynamic Registration (Moodle and Canvas flavours)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import responses

from tests.lti.conftest import Tool

MOODLE = "https://moodle.example.edu"
CANVAS = "https://canvas.instructure.com"


def test_canvas_developer_key_json(tool: Tool) -> None:
    config = tool.client.get("/lti/config/canvas.json").get_json()
    assert config["oidc_initiation_url"] == tool.url + "/lti/login"
    assert config["public_jwk_url"] == tool.url + "/lti/jwks"
    assert "https://purl.imsglobal.org/spec/lti-ags/scope/score" in config["scopes"]
    ext = config["extensions"][0]
    assert ext["platform"] == "canvas.instructure.com" and ext["privacy_level"] == "public"
    kinds = {(p["placement"], p["message_type"]) for p in ext["settings"]["placements"]}
    assert ("course_navigation", "LtiResourceLinkRequest") in kinds
    assert ("assignment_selection", "LtiDeepLinkingRequest") in kinds
    assert config["custom_fields"]["canvas_user_id"] == "$Canvas.user.id"
    assert (
        tool.client.get("/lti/config/canvas.json?privacy_level=email_only").get_json()["extensions"][0]["privacy_level"]
        == "email_only"
    )
    bad = tool.client.get("/lti/config/canvas.json?privacy_level=everything")
    assert bad.status_code == 400


def test_tool_jwks_is_the_key_store_and_private_key_file_is_0600(tool: Tool) -> None:
    jwks = tool.client.get("/lti/jwks").get_json()
    assert len(jwks["keys"]) == 1
    key = jwks["keys"][0]
    assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig" and "d" not in key
    home = tool.app.extensions["cebridge"]["settings"].home
    private = list((home / "keys").glob("*.key.pem"))
    assert len(private) == 1 and private[0].stat().st_mode & 0o777 == 0o600


def _openid(issuer: str, product: str) -> dict[str, Any]:
    return {
        "issuer": issuer,
        "authorization_endpoint": issuer + "/mod/lti/auth.php",
        "token_endpoint": issuer + "/mod/lti/token.php",
        "jwks_uri": issuer + "/mod/lti/certs.php",
        "registration_endpoint": issuer + "/mod/lti/openid-registration.php",
        "scopes_supported": [
            "openid",
            "https://purl.imsglobal.org/spec/lti-ags/scope/score",
            "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
        ],
        "https://purl.imsglobal.org/spec/lti-platform-configuration": {"product_family_code": product},
    }


@pytest.mark.parametrize(
    ("issuer", "product", "deployment_field"),
    [
        (MOODLE, "moodle", "tool_config"),
        (CANVAS, "canvas", "top"),
    ],
)
def test_dynamic_registration(tool: Tool, issuer: str, product: str, deployment_field: str) -> None:
    config_url = issuer + "/mod/lti/openid-configuration.php"
    answer: dict[str, Any] = {"client_id": "dyn-client-1"}
    if deployment_field == "tool_config":
        answer["https://purl.imsglobal.org/spec/lti-tool-configuration"] = {"deployment_id": "7"}
    else:
        answer["deployment_id"] = "7"
    with responses.RequestsMock() as mock:
        mock.get(
            config_url,
            json=_openid(issuer, product),
            match=[responses.matchers.header_matcher({"Authorization": "Bearer reg-token-1"})],
        )
        post = mock.post(
            issuer + "/mod/lti/openid-registration.php",
            json=answer,
            match=[responses.matchers.header_matcher({"Authorization": "Bearer reg-token-1"})],
        )
        page = tool.client.get(
            "/lti/register", query_string={"openid_configuration": config_url, "registration_token": "reg-token-1"}
        )
        assert page.status_code == 200, page.get_data(as_text=True)
        sent = json.loads(post.calls[0].request.body)
    html = page.get_data(as_text=True)
    assert 'postMessage({subject: "org.imsglobal.lti.close"}' in html
    # What Moodle's registration helper requires.
    assert sent["response_types"] == ["id_token"]
    assert sent["initiate_login_uri"] == tool.url + "/lti/login"
    assert sent["redirect_uris"] == [tool.url + "/lti/launch"]
    assert sent["jwks_uri"] == tool.url + "/lti/jwks"
    assert sent["token_endpoint_auth_method"] == "private_key_jwt"
    assert sent["application_type"] == "web" and sent["client_name"]
    tool_conf = sent["https://purl.imsglobal.org/spec/lti-tool-configuration"]
    assert tool_conf["domain"] and tool_conf["target_link_uri"] == tool.url + "/lti/home"
    assert {m["type"] for m in tool_conf["messages"]} == {"LtiResourceLinkRequest", "LtiDeepLinkingRequest"}
    assert "lineitem" not in sent["scope"]  # only scopes the platform supports
    if product == "canvas":
        assert sent["https://canvas.instructure.com/lti/privacy_level"] == "public"
        assert tool_conf["custom_parameters"]["canvas_user_id"] == "$Canvas.user.id"
    record = tool.registrations.find(issuer, "dyn-client-1")
    assert record.deployment_ids == ("7",)
    assert record.auth_login_url == issuer + "/mod/lti/auth.php"


def test_dynamic_registration_failures_are_clear(tool: Tool) -> None:
    assert tool.client.get("/lti/register").status_code == 400
    url = MOODLE + "/mod/lti/openid-configuration.php"
    with responses.RequestsMock() as mock:
        mock.get(url, json=_openid("https://other.example", "moodle"))
        resp = tool.client.get("/lti/register", query_string={"openid_configuration": url})
        assert resp.status_code == 400 and "issuer_mismatch" in resp.get_data(as_text=True)
    with responses.RequestsMock() as mock:
        mock.get(url, status=500)
        resp = tool.client.get("/lti/register", query_string={"openid_configuration": url})
        assert resp.status_code == 502 and "HTTP 500" in resp.get_data(as_text=True)
    with responses.RequestsMock() as mock:
        mock.get(url, json=_openid(MOODLE, "moodle"))
        mock.post(MOODLE + "/mod/lti/openid-registration.php", status=401, json={"error": "token used"})
        resp = tool.client.get(
            "/lti/register", query_string={"openid_configuration": url, "registration_token": "used"}
        )
        assert resp.status_code == 502 and "registration_refused" in resp.get_data(as_text=True)
    assert tool.registrations.all() == []
