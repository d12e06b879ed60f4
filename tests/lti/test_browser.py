"""The tool inside an LMS iframe of another site, in headless Chromium, with third-party cookies blocked.

The platform's course page is on http://127.0.0.1:<port>, the tool on http://localhost:<port>: different sites,
so the tool's cookies in the iframe are third-party. Scenarios:

* Chromium blocking third-party cookies: the tool's partitioned (CHIPS) state cookie still works;
* a browser that keeps no cookie at all in the frame (Safari-like; simulated by dropping the tool's
  Set-Cookie headers for requests from the iframe) on a platform with LTI Platform Storage: the state is
  bound through ``postMessage`` storage and the launch completes in the iframe;
* the same browser on a platform without storage: the tool explains and offers a new window, where the launch
  completes.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests

from tests.lti.conftest import Tool, make_tool, new_platform, register
from tests.lti.platform import TestPlatform

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--test-third-party-cookie-phaseout",
    # Responses the test fulfils itself have no address, so Chromium would treat them as public pages
    # and block their navigation back to the loopback platform.
    "--disable-features=LocalNetworkAccessChecks",
]


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[Tool, TestPlatform]]:
    if shutil.which(CHROMIUM) is None:
        pytest.fail("Chromium is not installed: apt-get install -y chromium")
    tool = make_tool(tmp_path / "home", host="localhost")
    platform = new_platform(tool)
    register(tool, platform)
    platform.login_as("learner-1")
    yield tool, platform
    platform.stop()
    tool.served.stop()


@pytest.fixture
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def _drop_cookies_in_frames(route: Any, request: Any) -> None:
    """Forward an iframe's request to the tool without cookies and drop the tool's Set-Cookie (Safari-like)."""
    try:
        in_frame = request.frame.parent_frame is not None
    except Exception:  # a new window's first navigation has no frame yet: it is a top-level page
        in_frame = False
    if not in_frame:
        route.continue_()
        return
    headers = {k: v for k, v in request.headers.items() if k.lower() != "cookie"}
    answer = requests.request(
        request.method, request.url, data=request.post_data_buffer, headers=headers, allow_redirects=False, timeout=30
    )
    keep = {
        k: v
        for k, v in answer.headers.items()
        if k.lower() not in ("set-cookie", "content-length", "transfer-encoding", "connection", "content-encoding")
    }
    route.fulfill(status=answer.status_code, headers=keep, body=answer.content)


def _open_course(browser: Any, tool: Tool, platform: TestPlatform, *, storage: bool, drop_cookies: bool) -> Any:
    context = browser.new_context()
    page = context.new_page()
    if drop_cookies:
        context.route(f"{tool.url}/lti/**", _drop_cookies_in_frames)
    src = platform.login_url("learner-1", storage_target="_parent" if storage else None)
    page.goto(f"{platform.url}/course?src={quote(src)}&storage={'1' if storage else '0'}")
    return page


def _tool_frame(page: Any) -> Any:
    frame = page.frame(name="tool")
    assert frame is not None
    return frame


def test_partitioned_state_cookie_works_with_third_party_cookies_blocked(browser: Any, site: Any) -> None:
    tool, platform = site
    page = _open_course(browser, tool, platform, storage=False, drop_cookies=False)
    frame = _tool_frame(page)
    frame.wait_for_selector("#welcome", timeout=15000)
    assert "Jordan Lee" in frame.inner_text("#welcome")
    cookies = page.context.cookies(tool.url)
    assert all(c.get("partitionKey") for c in cookies)  # only partitioned cookies were ever kept


def test_platform_storage_binds_the_launch_when_the_frame_keeps_no_cookie(browser: Any, site: Any) -> None:
    tool, platform = site
    page = _open_course(browser, tool, platform, storage=True, drop_cookies=True)
    frame = _tool_frame(page)
    frame.wait_for_selector("#welcome", timeout=15000)
    assert "Jordan Lee" in frame.inner_text("#welcome")
    assert page.context.cookies(tool.url) == []
    stored = page.evaluate("Object.keys(window.platformStore)")
    assert len(stored) == 1 and stored[0].startswith(tool.url + "|cebridge-state-")


def test_no_cookie_and_no_storage_explains_and_opens_a_new_window(browser: Any, site: Any) -> None:
    tool, platform = site
    page = _open_course(browser, tool, platform, storage=False, drop_cookies=True)
    frame = _tool_frame(page)
    frame.wait_for_selector("#cookies-blocked", timeout=15000)
    assert "third-party cookies" in frame.inner_text("#cookies-blocked")
    with page.context.expect_page() as popup_info:
        frame.click("#new-window")
    popup = popup_info.value
    popup.wait_for_selector("#welcome", timeout=15000)
    assert "Jordan Lee" in popup.inner_text("#welcome")
