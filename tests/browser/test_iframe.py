"""The dashboard inside an LMS page of another site, in headless Chromium, without third-party cookies.

The course page is served by a second local server (the test platform, on ``localhost`` and its own port) and
embeds the tool (on ``127.0.0.1``) in an iframe: another origin and another site, so the tool's cookies in the
frame are third-party. Two browsers are covered: Chromium blocking third-party cookies (the launch's state is
kept in a partitioned cookie), and a browser that keeps no cookie at all in the frame (simulated by stripping
``Cookie`` and ``Set-Cookie`` for the frame's requests) on a platform offering LTI Platform Storage. In both the
dashboard's pages render and link to each other inside the frame on the launch token alone.

Besides the common Chromium arguments these tests block third-party cookies (``--test-third-party-cookie-
phaseout``) and, because responses the test fulfils itself have no address, turn off Chromium's local network
access checks that would otherwise refuse their navigation back to the loopback platform.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests

from tests.browser.a11y import contrast_problems, progressbars
from tests.browser.conftest import ARGS, CHROMIUM, Site, make_site, shot

pytestmark = pytest.mark.browser
TIMEOUT = 20000
IFRAME_ARGS = [*ARGS, "--test-third-party-cookie-phaseout", "--disable-features=LocalNetworkAccessChecks"]


@pytest.fixture
def cross_site(tmp_path: Path) -> Iterator[Site]:
    s = make_site(tmp_path / "home", platform_host="localhost")
    assert "127.0.0.1" in s.tool.url and "localhost" in s.platform.url
    yield s
    s.platform.stop()
    s.tool.served.stop()


@pytest.fixture
def blocking_browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=IFRAME_ARGS)
        yield b
        b.close()


def _no_cookies_in_frames(route: Any, request: Any) -> None:
    """Send a frame's request to the tool without cookies, and drop every cookie the tool answers with."""
    try:
        in_frame = request.frame.parent_frame is not None
    except Exception:  # a request without a frame yet is a top-level navigation
        in_frame = False
    if not in_frame:
        route.continue_()
        return
    headers = {k: v for k, v in request.headers.items() if k.lower() != "cookie"}
    answer = requests.request(
        request.method, request.url, data=request.post_data_buffer, headers=headers, allow_redirects=False, timeout=30
    )
    dropped = ("set-cookie", "content-length", "transfer-encoding", "connection", "content-encoding")
    route.fulfill(
        status=answer.status_code,
        body=answer.content,
        headers={k: v for k, v in answer.headers.items() if k.lower() not in dropped},
    )


def _open_course(browser: Any, site: Site, *, storage: bool, drop_cookies: bool) -> tuple[Any, Any]:
    context = browser.new_context(viewport={"width": 1000, "height": 760})
    page = context.new_page()
    if drop_cookies:
        context.route(f"{site.tool.url}/**", _no_cookies_in_frames)
    src = site.login_url(
        "learner-1", custom={"cebridge_offering": "eth-tx"}, storage_target="_parent" if storage else None
    )
    page.goto(f"{site.platform.url}/course?src={quote(src)}&storage={'1' if storage else '0'}")
    frame = page.frame(name="tool")
    assert frame is not None
    return page, frame


def _dashboard_works_in(frame: Any, page: Any, site: Site, name: str) -> None:
    frame.wait_for_selector("#progress", timeout=TIMEOUT)
    assert frame.url.startswith(site.tool.url + "/dashboard/?lt=")
    bars = {(b["license"], b["label"]): b for b in progressbars(frame)}
    assert bars[("license-tx-lpc", "Total hours")]["text"] == "16 of 24 hours"
    assert "would count 3 hours" in frame.inner_text("#credit-tx-lpc")
    assert contrast_problems(frame) == []
    shot(page, name)
    frame.click("nav >> text=Certificates")
    frame.wait_for_selector("#certificates", timeout=TIMEOUT)
    assert frame.locator("#certificates tbody tr").count() == 5
    frame.click("nav >> text=Add a license")
    frame.wait_for_selector("#license-form", timeout=TIMEOUT)
    frame.fill("#license_number", "PC 1234")
    frame.select_option("#board", "pa-lpc")
    frame.fill("#renewal_number", "2")
    frame.click("#save-license")  # a POST with the launch token and form token, no cookie
    frame.wait_for_selector("#saved", timeout=TIMEOUT)
    assert "Pennsylvania Licensed Professional Counselor (LPC) license is saved" in frame.inner_text("#saved")


def test_dashboard_renders_in_a_cross_site_iframe_with_third_party_cookies_blocked(
    blocking_browser: Any, cross_site: Site
) -> None:
    page, frame = _open_course(blocking_browser, cross_site, storage=False, drop_cookies=False)
    _dashboard_works_in(frame, page, cross_site, "iframe-cookies-blocked")
    cookies = page.context.cookies(cross_site.tool.url)
    assert all(c.get("partitionKey") for c in cookies)  # nothing but the launch's partitioned state cookie


def test_dashboard_renders_in_a_frame_that_keeps_no_cookie_at_all(blocking_browser: Any, cross_site: Site) -> None:
    page, frame = _open_course(blocking_browser, cross_site, storage=True, drop_cookies=True)
    _dashboard_works_in(frame, page, cross_site, "iframe-no-cookies")
    assert page.context.cookies(cross_site.tool.url) == []
