"""Resource-link launches from the test platform, end to end."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from tests.lti.conftest import Tool, launch, local
from tests.lti.platform import TestPlatform


def test_resource_link_launch_lands_with_a_launch_token(tool: Tool, platform: TestPlatform) -> None:
    result = launch(tool, platform)
    assert result.response.status_code == 303, result.response.get_data(as_text=True)
    where = urlsplit(result.response.headers["Location"])
    assert where.path == "/lti/home"
    token = parse_qs(where.query)["lt"][0]
    landing = tool.client.get(local(result.response.headers["Location"]))
    # /lti/home hands the launch to the dashboard, keeping the launch token in the URL.
    assert landing.status_code == 303 and "/dashboard/?lt=" in landing.headers["Location"]
    page = tool.client.get(local(result.response.headers["Location"]), follow_redirects=True)
    assert page.status_code == 200
    assert page.headers["Referrer-Policy"] in ("same-origin", "no-referrer")  # the token never leaves the site
    assert "Jordan Lee" in page.get_data(as_text=True)
    info = tool.client.get("/lti/launch.json", headers={"X-Launch-Token": token}).get_json()
    assert info["user_id"] == "learner-1"
    assert info["issuer"] == platform.issuer
    assert info["is_instructor"] is False
