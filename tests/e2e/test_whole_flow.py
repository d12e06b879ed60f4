"""The whole flow, as a person sees it, in headless Chromium.

Demo data -> sync from a Canvas-shaped, a Moodle-shaped and a CSV provider -> compliance -> certificates issued
through the outbox -> a clinician launches the tool from the demo LMS (an LTI 1.3 platform that signs its own
launches) -> the dashboard shows their renewal progress and offers their certificates -> the completion of the
placed offering is posted to the LMS gradebook through AGS and shows on the course page.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cebridge.config import Settings
from cebridge.demo.run import run_demo
from cebridge.demo.serve import DemoServer

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
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[DemoServer]:
    if shutil.which(CHROMIUM) is None:
        pytest.fail("Chromium is not installed: apt-get install -y chromium")
    server = DemoServer(Settings(home=tmp_path / "home"), "127.0.0.1", 0, quiet=True, worker_interval=3600)
    result = run_demo(server.settings, lambda text, final: None, engine=server.engine)
    assert [s.outcome for s in result.syncs] == ["ok", "ok", "ok"]
    server.start()
    yield server
    server.stop()


@pytest.fixture
def page() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 1200, "height": 900})
        yield context.new_page()
        context.close()
        browser.close()


def test_sync_compliance_certificate_launch_dashboard_and_grade_passback(demo: DemoServer, page: Any) -> None:
    platform = demo.platform
    assert platform is not None and demo.worker is not None
    ARTIFACTS.mkdir(exist_ok=True)

    demo.worker.run_once()
    assert platform.scores == []  # nothing is placed until the activity is first launched

    page.goto(demo.url + "/demo/platform/")
    jordan = "#launch-demo-link-ethics-jordan\\.lee"
    assert page.locator(jordan).is_visible()
    page.click(jordan)
    page.wait_for_url("**/dashboard/?lt=*")
    page.wait_for_load_state("networkidle")
    text = page.inner_text("main")
    assert "Jordan Lee" in page.inner_text("body")
    assert "What this course earns" in text and "Ethics for Texas Counselors" in text
    assert "15 of 24 hours" in text  # renewal progress from the synced record
    assert "Jurisprudence exam" in text  # what is still missing
    page.screenshot(path=str(ARTIFACTS / "whole-flow-dashboard.png"), full_page=True)

    page.click("nav >> text=Certificates")
    page.wait_for_load_state("networkidle")
    rows = page.locator("#certificates tbody tr")
    assert rows.count() == 3
    courses = page.inner_text("#certificates")
    for title in ("Ethics for Texas Counselors", "Culturally Responsive Counseling", "Trauma-Informed Care"):
        assert title in courses
    href = page.locator("a.cert-pdf").first.get_attribute("href")
    pdf = page.request.get(demo.url + href)
    assert pdf.status == 200 and pdf.headers["content-type"].startswith("application/pdf")
    assert pdf.body().startswith(b"%PDF")
    page.screenshot(path=str(ARTIFACTS / "whole-flow-certificates.png"), full_page=True)

    demo.worker.run_once()  # the launch recorded the placement: Jordan's completion of it goes to the gradebook
    assert [(s["userId"], s["scoreGiven"], s["gradingProgress"]) for s in platform.scores] == [
        ("jordan.lee", 1, "FullyGraded")
    ]
    assert platform.scores[0]["comment"].endswith("CE credit earned: 6 hours (ethics)")
    demo.worker.run_once()
    assert len(platform.scores) == 1  # delivered once, not again

    page.goto(demo.url + "/demo/platform/")
    gradebook = page.inner_text("#gradebook")
    assert "Jordan Lee" in gradebook and "1 / 1" in gradebook and "Completed" in gradebook
    page.screenshot(path=str(ARTIFACTS / "whole-flow-gradebook.png"), full_page=True)


def test_an_instructor_places_an_offering_by_deep_linking_and_sees_the_roster(demo: DemoServer, page: Any) -> None:
    platform = demo.platform
    assert platform is not None and demo.worker is not None
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(demo.url + "/demo/platform/")
    page.click("#deep-link-sam\\.rivera")
    page.wait_for_url("**/lti/deep-link?lt=*")
    page.get_by_label(re.compile("Trauma-Informed Care in Practice")).check()
    page.screenshot(path=str(ARTIFACTS / "whole-flow-deep-link.png"), full_page=True)
    page.click("text=Place in course")
    page.wait_for_url("**/demo/platform/?placed=1")
    placed = [a for a in platform.activities.values() if a.title == "Trauma-Informed Care in Practice"]
    assert len(placed) == 1
    activity = placed[0]

    page.click(f"#launch-{activity.id}-sofia\\.martinez")  # Sofia completed this course on Canvas
    page.wait_for_url("**/dashboard/?lt=*")
    text = page.inner_text("main")
    assert "Trauma-Informed Care in Practice" in text and "Sofia Martinez" in page.inner_text("body")
    demo.worker.run_once()
    graded = sorted(s["learner"] for s in platform.scores if s["line_item"] == activity.line_item)
    assert graded == ["Jordan Lee", "Priya Patel", "Sofia Martinez"]  # everyone who completed the offering

    page.goto(demo.url + "/demo/platform/")
    page.click("#launch-demo-link-ethics-sam\\.rivera")
    page.wait_for_url("**/dashboard/?lt=*")
    page.click("nav >> text=Course roster")
    page.wait_for_load_state("networkidle")
    roster = page.inner_text("main")
    for name in ("Jordan Lee", "Maya Chen", "Andre Williams", "Sofia Martinez", "Priya Patel"):
        assert name in roster
    page.screenshot(path=str(ARTIFACTS / "whole-flow-roster.png"), full_page=True)
