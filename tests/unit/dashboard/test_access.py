"""Every dashboard page needs a valid launch token: no token, a forged one, an expired one, an expired or
unverified launch record all get a clear 401 page; a learner cannot open the instructor's roster."""

from __future__ import annotations

import time

import itsdangerous.timed
import pytest

from tests.unit.dashboard.conftest import Site
from tests.unit.dashboard.dom import accessibility_basics, parse

PAGES = [
    "/dashboard/",
    "/dashboard/certificates",
    "/dashboard/plan",
    "/dashboard/plan.ics",
    "/dashboard/onboarding",
    "/dashboard/roster",
]


@pytest.mark.parametrize("path", PAGES)
def test_no_launch_token_is_a_401_page_that_says_what_to_do(site: Site, path: str) -> None:
    resp = site.get(path, None)
    assert resp.status_code == 401
    doc = parse(resp.get_data(as_text=True))
    assert doc.by_id("code").text == "no_launch"
    assert "Open this page from your course" in doc.by_id("message").text
    assert accessibility_basics(doc) == []
    assert resp.headers["Cache-Control"] == "no-store"


def test_posting_the_form_without_a_token_is_refused(site: Site) -> None:
    resp = site.client.post("/dashboard/onboarding", data={"board": "tx-lpc"})
    assert resp.status_code == 401
    assert "no_launch" in resp.get_data(as_text=True)


def test_a_forged_token_is_refused(site: Site) -> None:
    token = site.launch()
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    doc = site.page("/dashboard/", forged, status=401)
    assert doc.by_id("code").text == "bad_launch_token"


def test_an_expired_token_says_the_page_expired(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    three_hours_ago = int(time.time()) - 3 * 3600
    with monkeypatch.context() as m:
        m.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp", lambda self: three_hours_ago)
        token = site.launch()
    doc = site.page("/dashboard/", token, status=401)
    assert doc.by_id("code").text == "launch_expired"
    assert "expired" in doc.by_id("message").text and "open the activity again" in doc.by_id("message").text


def test_an_expired_launch_record_is_refused_even_with_a_fresh_token(site: Site) -> None:
    token = site.launch(expires_in=-5)
    doc = site.page("/dashboard/", token, status=401)
    assert doc.by_id("code").text == "launch_expired"


def test_a_launch_not_yet_verified_is_refused(site: Site) -> None:
    token = site.launch(verified=False)
    assert site.get("/dashboard/", token).status_code == 401


def test_a_learner_cannot_open_the_roster(seeded: Site) -> None:
    token = seeded.launch("learner-1")
    doc = seeded.page("/dashboard/roster", token, status=403)
    assert doc.by_id("code").text == "instructors_only"


def test_pages_carry_privacy_headers_and_no_cookie(seeded: Site) -> None:
    resp = seeded.get("/dashboard/", seeded.launch())
    assert resp.status_code == 200
    assert resp.headers["Cache-Control"] == "no-store"
    assert resp.headers["Referrer-Policy"] == "no-referrer"
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
    assert "Set-Cookie" not in resp.headers


def test_static_assets_are_served_and_cacheable(site: Site) -> None:
    css = site.client.get("/dashboard/static/dashboard.css")
    js = site.client.get("/dashboard/static/dashboard.js")
    assert css.status_code == 200 and ":focus-visible" in css.get_data(as_text=True)
    assert js.status_code == 200 and "data-boards" in js.get_data(as_text=True)
    assert css.headers.get("Cache-Control") != "no-store"
    css.close()
    js.close()


def test_every_link_and_form_carries_the_launch_token(seeded: Site) -> None:
    token = seeded.launch(
        "teacher-1", roles=("http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor",), name="Sam Rivera"
    )
    for path in ("/dashboard/", "/dashboard/onboarding"):
        doc = seeded.page(path, token)
        internal = [a.attrs["href"] for a in doc.find_all("a") if a.attrs.get("href", "").startswith("/dashboard/")]
        assert internal and all(f"lt={token}" in href for href in internal)
        for form in doc.find_all("form"):
            hidden = {i.attrs.get("name"): i.attrs.get("value") for i in form.find_all("input", type="hidden")}
            assert hidden.get("lt") == token


def test_an_unreachable_database_is_a_clear_503_page(seeded: Site) -> None:
    from sqlalchemy import create_engine

    from cebridge.store.db import session_factory

    token = seeded.launch()
    ext = seeded.app.extensions["cebridge"]
    ext["engine"].dispose()
    broken = create_engine("sqlite:////nonexistent-dir/cebridge.db")
    ext["engine"], ext["sessions"] = broken, session_factory(broken)
    resp = seeded.get("/dashboard/", token)
    assert resp.status_code == 503
    doc = parse(resp.get_data(as_text=True))
    assert doc.by_id("code").text == "unavailable"
    assert "try again in a minute" in doc.by_id("message").text
    assert "nonexistent-dir" not in resp.get_data(as_text=True)  # no internal detail on the page
    broken.dispose()
