"""The dashboard in headless Chromium after a real LTI 1.3 launch from the test platform: progress bars and their
ARIA values, what is missing, certificate links, onboarding errors, the instructor's roster (real NRPS), the plan
and its calendar file; contrast, focus and skip link measured in the browser. Screenshots: tests/artifacts/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests

from tests.browser.a11y import contrast_problems, focus_ring_after_tab, progressbars
from tests.browser.conftest import Site, shot

pytestmark = pytest.mark.browser
TIMEOUT = 15000


def _launch(page: Any, site: Site, user: str, **kwargs: Any) -> None:
    page.goto(site.login_url(user, **kwargs))
    page.wait_for_url(f"{site.tool.url}/dashboard/**", timeout=TIMEOUT)


def test_a_clinician_sees_what_the_course_earns_and_their_progress(page: Any, site: Site) -> None:
    _launch(page, site, "learner-1", custom={"cebridge_offering": "eth-tx"})
    page.wait_for_selector("#progress", timeout=TIMEOUT)
    assert page.title() == "My CE progress · cebridge"
    assert page.evaluate("document.documentElement.lang") == "en"
    bars = {(b["license"], b["label"]): b for b in progressbars(page)}
    total = bars[("license-tx-lpc", "Total hours")]
    assert (total["now"], total["min"], total["max"], total["text"]) == ("16", "0", "24", "16 of 24 hours")
    assert bars[("license-tx-lpc", "Ethics")]["text"] == "2 of 6 hours"
    assert bars[("license-ny-lcsw", "Total hours")]["text"] == "12 of 36 hours"
    missing = page.inner_text("#missing-tx-lpc")
    assert "Ethics: 4 hours, by May 31, 2027" in missing and "Total hours: 8 hours" in missing
    assert "455 days left" in page.inner_text("#license-tx-lpc")
    assert "would count 3 hours" in page.inner_text("#credit-tx-lpc")
    assert "Over the cap" in page.inner_text("#credit-ny-lcsw")
    assert contrast_problems(page) == []
    shot(page, "overview")

    first = focus_ring_after_tab(page, page)
    assert first["href"] == "#main" and first["top"] >= 0 and first["outline"] != "none"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    nav = focus_ring_after_tab(page, page)
    assert nav["outline"] != "none" and nav["outlineWidth"] >= 2  # visible focus on the next control
    assert page.context.cookies(site.tool.url) == []  # the dashboard itself sets no cookie


def test_certificates_link_to_their_pdf_and_verification_page(page: Any, site: Site) -> None:
    _launch(page, site, "learner-1")
    page.get_by_role("link", name="Certificates").click()
    page.wait_for_selector("#certificates", timeout=TIMEOUT)
    rows = page.locator("#certificates tbody tr")
    assert rows.count() == 5
    pdf_href = rows.nth(0).locator("a.cert-pdf").get_attribute("href")
    answer = requests.get(site.tool.url + pdf_href, timeout=30)
    assert answer.status_code == 200 and answer.content.startswith(b"%PDF")
    name = rows.nth(0).locator("a.cert-pdf").evaluate("a => a.textContent.replace(/\\s+/g, ' ').trim()")
    assert name.startswith("Download PDF certificate for ")
    with page.context.expect_page() as popup_info:
        rows.nth(0).locator("a.cert-verify").click()
    popup = popup_info.value
    popup.wait_for_load_state()
    assert "/verify/" in popup.url and popup.locator("body").inner_text()
    assert contrast_problems(page) == []
    shot(page, "certificates")


def test_onboarding_shows_errors_next_to_fields_then_stores_the_license(page: Any, site: Site) -> None:
    _launch(page, site, "learner-3")
    page.wait_for_selector("#license-form", timeout=TIMEOUT)
    assert page.url.startswith(site.tool.url + "/dashboard/onboarding?lt=")
    page.select_option("#board", "tx-lcsw")
    assert page.is_visible("#birth_date") and not page.is_visible("#issued_on")
    assert "birth month" in page.inner_text("#board-cycle-hint")
    page.select_option("#board", "tx-lpc")
    assert page.is_visible("#issued_on") and not page.is_visible("#birth_date")
    page.fill("#license_number", "LPC 90000")
    page.fill("#cycle_start", "2025-13-01")
    page.fill("#cycle_end", "2026-05-31")
    page.click("#save-license")
    page.wait_for_selector("#error-summary", timeout=TIMEOUT)
    assert page.evaluate("document.activeElement.id") == "error-summary"  # announced to screen readers
    assert "'2025-13-01' is not a date" in page.inner_text("#cycle_start-error")
    assert "Answer whether you supervise" in page.inner_text("#attr_supervisor-error")
    assert page.get_attribute("#cycle_start", "aria-invalid") == "true"
    assert page.input_value("#license_number") == "LPC 90000"
    assert contrast_problems(page) == []
    shot(page, "onboarding-errors")

    page.click("#error-summary a[href='#cycle_start']")
    assert page.evaluate("document.activeElement.id") == "cycle_start"  # the summary's link focuses the field
    page.fill("#cycle_start", "2027-06-01")
    page.click("#save-license")
    page.wait_for_selector("#cycle_end-error", timeout=TIMEOUT)
    assert "The cycle ends (May 31, 2026) before it starts (June 1, 2027)" in page.inner_text("#cycle_end-error")
    page.fill("#cycle_start", "06/01/2025")
    page.fill("#cycle_end", "2027-05-31")
    page.check("#attr_supervisor-no")
    page.click("#save-license")
    page.wait_for_selector("#saved", timeout=TIMEOUT)
    assert "Texas Licensed Professional Counselor (LPC) license is saved" in page.inner_text("#saved")
    bars = {b["label"]: b for b in progressbars(page)}
    assert bars["Total hours"]["text"] == "0 of 24 hours"
    shot(page, "onboarding-saved")


def test_an_instructor_sees_the_rosters_compliance(page: Any, site: Site) -> None:
    _launch(page, site, "teacher-1")
    page.wait_for_selector("#no-license", timeout=TIMEOUT)
    page.get_by_role("link", name="Course roster").first.click()
    page.wait_for_selector("#roster", timeout=TIMEOUT)
    assert page.locator("#roster-notice").count() == 0  # the roster came from the platform (NRPS)
    headers = page.locator("#roster thead th").all_inner_texts()
    assert headers == ["Member", "Role", "Status", "License", "Short on", "Cycle ends"]
    jordan = page.inner_text("#member-learner-1")
    assert "Short" in jordan and "Ethics: 4 hours" in jordan
    assert "Compliant" in page.inner_text("#member-learner-2")
    assert "No cebridge record" in page.inner_text("#member-learner-3")
    assert "4 members; 2 with a cebridge record; 1 short" in page.inner_text("#roster-summary")
    assert contrast_problems(page) == []
    shot(page, "roster")


def test_the_plan_lists_courses_and_downloads_a_calendar(page: Any, site: Site, tmp_path: Path) -> None:
    _launch(page, site, "learner-1")
    page.get_by_role("link", name="Plan", exact=True).click()
    page.wait_for_selector("#plan-courses", timeout=TIMEOUT)
    assert "Cultural Humility in Practice" in page.inner_text("#plan-courses")
    page.fill("#budget", "many")
    page.click("button[type=submit]")
    page.wait_for_selector("#budget-error", timeout=TIMEOUT)
    assert "is not a number" in page.inner_text("#budget-error")
    page.fill("#budget", "")
    page.fill("#hours_per_week", "4")
    page.click("button[type=submit]")
    page.wait_for_selector("#ics-link", timeout=TIMEOUT)
    assert contrast_problems(page) == []
    shot(page, "plan")
    with page.expect_download() as download_info:
        page.click("#ics-link")
    target = tmp_path / "plan.ics"
    download_info.value.save_as(target)
    text = target.read_text()
    assert text.startswith("BEGIN:VCALENDAR") and "SUMMARY:CE: Cultural Humility in Practice" in text
