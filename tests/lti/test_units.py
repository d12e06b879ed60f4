"""The pieces under the launch: pylti1p3 tool configuration, Link parsing, token cache, platform keys, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
import responses
from click.testing import CliRunner

from cebridge.cli import cli
from lti_tool.errors import LaunchRejected
from lti_tool.keys import keystore_of
from lti_tool.registry import StoreToolConf
from lti_tool.services import ServiceClient, TokenCache, next_link
from tests.lti.conftest import Tool, launch
from tests.lti.platform import TestPlatform


def test_tool_conf_implements_every_abstract_method(tool: Tool, platform: TestPlatform) -> None:
    key = keystore_of(tool.app).active()
    conf = StoreToolConf(tool.registrations, key)
    assert conf.check_iss_has_one_client(platform.issuer) is False
    assert conf.check_iss_has_many_clients(platform.issuer) is True
    reg = conf.find_registration_by_params(platform.issuer, platform.client_id)
    assert (reg.get_issuer(), reg.get_client_id()) == (platform.issuer, platform.client_id)
    assert reg.get_auth_login_url() == platform.url + "/auth"
    assert reg.get_kid() == key.kid  # pylti1p3's kid (jwcrypto thumbprint) is the key store's kid
    assert conf.find_registration_by_issuer(platform.issuer).get_client_id() == platform.client_id
    assert conf.find_registration(platform.issuer).get_client_id() == platform.client_id
    assert conf.find_deployment(platform.issuer, "1").get_deployment_id() == "1"
    assert conf.find_deployment(platform.issuer, "2") is None
    assert conf.find_deployment_by_params(platform.issuer, "1", platform.client_id).get_deployment_id() == "1"
    assert conf.find_deployment_by_params(platform.issuer, "9", platform.client_id) is None
    assert conf.get_jwks()["keys"][0]["kid"] == key.kid
    with pytest.raises(LaunchRejected, match="unknown_client"):
        conf.find_registration_by_params(platform.issuer, "nobody")
    with pytest.raises(LaunchRejected, match="unknown_issuer"):
        conf.find_registration_by_issuer("https://nowhere.example")
    with pytest.raises(LaunchRejected, match="missing_client_id"):
        conf.find_registration_by_params(platform.issuer, "")
    # pylti1p3 keeps issuer relations on the class; ours stay per instance.
    conf.set_iss_has_one_client("x")
    assert "x" not in StoreToolConf(tool.registrations, key).issuers_relation_types


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ('<https://p.example/m?page=bookmark:WzEwXQ>; rel="next"', "https://p.example/m?page=bookmark:WzEwXQ"),
        ("<https://p.example/m?page=2>; rel=next", "https://p.example/m?page=2"),
        ('<https://p.example/m?p=2>; REL="NEXT"', "https://p.example/m?p=2"),
        (
            '<https://p.example/first>; rel="first", <https://p.example/Next?X=1>; rel="next"',
            "https://p.example/Next?X=1",
        ),
        ('<https://p.example/a>; rel="prev next"', "https://p.example/a"),
        ('<https://p.example/last>; rel="last"', None),
        ("", None),
    ],
)
def test_next_link(header: str, expected: str | None) -> None:
    assert next_link(header) == expected


def test_access_tokens_are_cached_per_issuer_and_client_id(tool: Tool) -> None:
    rec_a = tool.registrations.add(
        issuer="https://canvas.instructure.com",
        client_id="A",
        auth_login_url="https://sso.example/auth",
        auth_token_url="https://sso.example/token",
        key_set_url="https://sso.example/jwks",
        deployment_ids=["1"],
    )
    rec_b = tool.registrations.add(
        issuer="https://canvas.instructure.com",
        client_id="B",
        auth_login_url="https://sso.example/auth",
        auth_token_url="https://sso.example/token",
        key_set_url="https://sso.example/jwks",
        deployment_ids=["1"],
    )
    key = keystore_of(tool.app).active()
    cache = TokenCache()
    scopes = ["https://purl.imsglobal.org/spec/lti-ags/scope/score"]
    with responses.RequestsMock() as mock:

        def token(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
            from urllib.parse import parse_qs

            import jwt as pyjwt

            form = parse_qs(str(request.body))
            claims = pyjwt.decode(form["client_assertion"][0], options={"verify_signature": False})
            return 200, {}, json.dumps({"access_token": "token-for-" + claims["sub"], "expires_in": 3600})

        mock.add_callback("POST", "https://sso.example/token", callback=token)
        a = ServiceClient(rec_a, key, requests.Session(), cache)
        b = ServiceClient(rec_b, key, requests.Session(), cache)
        assert a.get_access_token(scopes) == "token-for-A"
        assert b.get_access_token(scopes) == "token-for-B"
        assert a.get_access_token(scopes) == "token-for-A"
        assert len(mock.calls) == 2


def test_platform_key_rotation_is_picked_up_by_refetch(tool: Tool, platform: TestPlatform) -> None:
    from tests.lti.platform import rsa_pem

    assert launch(tool, platform).response.status_code == 303
    keys = tool.app.extensions["cebridge"]["lti"].keys
    assert keys.fetches == 1
    assert launch(tool, platform).response.status_code == 303
    assert keys.fetches == 1  # cached
    # The platform rotates its key: the next launch names a new kid and the tool refetches once.
    private, public = rsa_pem("rotated")
    reg = platform.conf.get_registration()
    reg.set_platform_private_key(private).set_platform_public_key(public)
    keys._sets[next(iter(keys._sets))].checked_at = 0  # the refetch window has passed
    assert launch(tool, platform).response.status_code == 303
    assert keys.fetches == 2
    # A fresh process reads the key set from the database without fetching.
    keys.forget()
    assert launch(tool, platform).response.status_code == 303
    assert keys.fetches == 2


def test_platform_keys_unreachable_is_a_clear_gateway_error(tool: Tool, platform: TestPlatform) -> None:
    from tests.lti.conftest import begin

    platform.stop()

    # Login and auth go through the platform's test client; only the key fetch needs the (stopped) server.
    id_token, state = begin(tool, platform)
    resp = tool.client.post(
        tool.url + "/lti/launch", data={"id_token": id_token, "state": state}, headers={"Accept": "application/json"}
    )
    assert resp.status_code == 502
    assert resp.get_json()["error"] == "platform_keys_unavailable"


def test_platforms_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CEBRIDGE_HOME", str(tmp_path / "h"))
    runner = CliRunner()
    assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
    args = [
        "platforms",
        "add",
        "--issuer",
        "https://moodle.example.edu",
        "--client-id",
        "abc",
        "--deployment-id",
        "3",
        "--auth-url",
        "https://moodle.example.edu/mod/lti/auth.php",
        "--token-url",
        "https://moodle.example.edu/mod/lti/token.php",
        "--jwks-url",
        "https://moodle.example.edu/mod/lti/certs.php",
        "--name",
        "Moodle",
    ]
    out = runner.invoke(cli, args)
    assert out.exit_code == 0, out.output
    out = runner.invoke(cli, [*args[:-2], "--deployment-id", "4", "--format", "json"])
    assert json.loads(out.output)["deployment_ids"] == ["3", "4"]
    listed = runner.invoke(cli, ["platforms", "list", "--format", "json"])
    assert [p["client_id"] for p in json.loads(listed.output)] == ["abc"]
    assert "Moodle" in runner.invoke(cli, ["platforms", "list"]).output
    bad = runner.invoke(
        cli,
        [
            "platforms",
            "add",
            "--issuer",
            "https://x.example",
            "--client-id",
            "c",
            "--auth-url",
            "not-a-url",
            "--token-url",
            "https://x.example/t",
            "--jwks-url",
            "https://x.example/j",
        ],
    )
    assert bad.exit_code == 2 and "auth login URL" in bad.output


def test_serve_builds_the_app_upgrades_sqlite_and_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import re
    import subprocess
    import sys

    import requests
    from sqlalchemy import inspect

    from cebridge.config import Settings
    from cebridge.store.db import make_engine

    monkeypatch.setenv("CEBRIDGE_HOME", str(tmp_path / "h"))
    # A real server on a port the system picks: every URL the tool publishes must carry that port.
    proc = subprocess.Popen(
        [sys.executable, "-m", "cebridge", "serve", "--host", "127.0.0.1", "--port", "0"],
        stderr=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        found = re.search(r"serving on (http://127\.0\.0\.1:(\d+))", line)
        assert found, line
        base, port = found.group(1), int(found.group(2))
        assert port != 0 and f"tool base URL {base}" in line
        assert requests.get(base + "/lti/jwks", timeout=30).status_code == 200
        config = requests.get(base + "/lti/config/canvas.json", timeout=30).json()
        assert config["target_link_uri"].startswith(base + "/")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        if proc.stderr is not None:
            proc.stderr.close()
    engine = make_engine(Settings())
    assert "lti_platform" in inspect(engine).get_table_names()
    engine.dispose()
