"""Browser tests of the dashboard: the tool served on 127.0.0.1 (werkzeug, port 0, its own CEBRIDGE_HOME and a
seeded store), the LTI test platform of tests/lti on its own port, and Debian's headless Chromium driven by
playwright. Screenshots go to tests/artifacts/ (gitignored)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from lti_tool.services import TOKENS
from tests.lti.conftest import Tool, make_tool, new_platform, register
from tests.lti.platform import LEARNER, TestPlatform
from tests.unit.dashboard import seed

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


@dataclass
class Site:
    tool: Tool
    platform: TestPlatform
    clinicians: dict[str, int]

    def login_url(self, user: str, **kwargs: Any) -> str:
        """The platform's login URL for a launch of ``user`` (the platform logs them in first)."""
        self.platform.login_as(user)
        return self.platform.login_url(user, **kwargs)


def shot(page: Any, name: str) -> Path:
    """Keep a full-page screenshot as a test artifact."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"dashboard-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def make_site(home: Path, *, platform_host: str = "127.0.0.1") -> Site:
    TOKENS.clear()
    tool = make_tool(home)  # on 127.0.0.1, port 0
    tool.app.config["DASHBOARD_AS_OF"] = seed.AS_OF
    platform = new_platform(tool, target_link_uri=tool.url + "/dashboard/", host=platform_host)
    platform.add_user("learner-2", roles=[LEARNER], name="Alex Kim", email="alex@example.org")
    platform.add_user("learner-3", roles=[LEARNER], name="Riley Park", email="riley@example.org")
    register(tool, platform)
    clinicians = seed.seed_store(tool.app, issuer=platform.issuer)
    return Site(tool, platform, clinicians)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    if shutil.which(CHROMIUM) is None:
        pytest.fail("Chromium is not installed: apt-get update && apt-get install -y chromium")
    s = make_site(tmp_path / "home")
    yield s
    s.platform.stop()
    s.tool.served.stop()


@pytest.fixture
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1000, "height": 800})
    p = context.new_page()
    yield p
    context.close()
