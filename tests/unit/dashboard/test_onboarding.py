"""First-launch onboarding: the form lists every board, checks each answer on the server with the error next to
its field, refuses a forged or missing form token, and stores the license for the launching clinician keyed by
the platform user id and issuer (nothing stored when anything is wrong)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import func, select

from cebridge.rulepacks import PackRegistry
from cebridge.store.db import transaction
from cebridge.store.people_tables import Clinician, Identity, LicenseRow
from cebridge.store.record_tables import AuditEntry
from lti_tool.db import sessions_of
from tests.unit.dashboard import seed
from tests.unit.dashboard.conftest import Site
from tests.unit.dashboard.dom import Node, accessibility_basics, parse

TX = {
    "board": "tx-lpc",
    "license_number": "LPC 80000",
    "cycle_start": "2025-06-01",
    "cycle_end": "2027-05-31",
    "attr_supervisor": "no",
    "attr_provides_telehealth": "no",
}


def _form(site: Site, token: str) -> dict[str, str]:
    doc = site.page("/dashboard/onboarding", token)
    form = doc.by_id("license-form")
    return {i.attrs["name"]: i.attrs.get("value", "") for i in form.find_all("input", type="hidden")}


def _post(site: Site, token: str, data: dict[str, str], *, csrf: bool = True) -> Any:
    hidden = _form(site, token)
    if not csrf:
        hidden.pop("csrf")
    return site.client.post("/dashboard/onboarding", data={**hidden, **data})


def _counts(site: Site) -> tuple[int, int, int]:
    with transaction(sessions_of(site.app), write=False) as s:
        return (
            s.scalar(select(func.count()).select_from(Clinician)) or 0,
            s.scalar(select(func.count()).select_from(LicenseRow)) or 0,
            s.scalar(select(func.count()).select_from(Identity)) or 0,
        )


def _error(doc: Node, field: str) -> str:
    err = doc.by_id(f"{field}-error")
    return err.text


def test_the_form_lists_every_board_and_labels_every_field(site: Site) -> None:
    doc = site.page("/dashboard/onboarding", site.launch("new-user", name="New Person"))
    assert accessibility_basics(doc) == []
    options = {o.attrs["value"]: o.text for o in doc.by_id("board").find_all("option") if o.attrs.get("value")}
    registry = PackRegistry()
    assert sorted(options) == registry.ids()
    assert options["tx-lpc"] == "Texas Licensed Professional Counselor (LPC) (tx-lpc)"
    assert doc.find("h1").text == "Welcome, New Person"
    birth = doc.find("div", pred=lambda n: n.has_id("birth_date") and "board-field" in n.classes())
    assert "tx-lmft" in birth.attrs["data-boards"].split() and "tx-lpc" not in birth.attrs["data-boards"].split()
    supervisor = [n for n in doc.find_all("fieldset") if "data-boards" in n.attrs and n.has_id("attr_supervisor-yes")]
    assert supervisor and "tx-lpc" in supervisor[0].attrs["data-boards"].split()


def test_a_license_is_stored_for_the_launching_user_and_progress_shows(site: Site) -> None:
    token = site.launch("new-user", name="New Person", email="new@example.org")
    resp = _post(site, token, TX)
    assert resp.status_code == 303, resp.get_data(as_text=True)
    location = resp.headers["Location"]
    assert location.startswith("/dashboard/?") and "saved=tx-lpc" in location and f"lt={token}" in location
    with transaction(sessions_of(site.app), write=False) as s:
        clinician = s.scalars(select(Clinician)).one()
        assert clinician.name == "New Person" and clinician.email == "new@example.org"
        keys = {(i.kind, i.source, i.value) for i in s.scalars(select(Identity))}
        assert ("platform_user", seed.ISSUER, "new-user") in keys
        assert ("license_number", "", "LPC80000") in keys and ("email", "", "new@example.org") in keys
        lic = s.scalars(select(LicenseRow)).one()
        assert lic.board == "tx-lpc" and lic.license_number == "LPC 80000"
        assert lic.data["cycle"] == {"start": "2025-06-01", "end": "2027-05-31"}
        assert lic.data["attributes"] == {"supervisor": False}  # the only attribute tx-lpc's rules ask about
        assert lic.data["holder"] == "New Person"
        actors = {a.actor for a in s.scalars(select(AuditEntry))}
        assert actors == {f"lti-dashboard:{seed.ISSUER}:new-user"}
    doc = parse(site.client.get(location).get_data(as_text=True))
    assert "Your Texas Licensed Professional Counselor (LPC) license is saved" in doc.by_id("saved").text
    bar = doc.by_id("license-tx-lpc").find(pred=lambda n: n.attrs.get("role") == "progressbar")
    assert bar.attrs["aria-valuenow"] == "0" and bar.attrs["aria-valuemax"] == "24"


def test_us_style_dates_are_understood(site: Site) -> None:
    token = site.launch("us-user")
    resp = _post(site, token, {**TX, "cycle_start": "6/1/2025", "cycle_end": "05/31/2027"})
    assert resp.status_code == 303, resp.get_data(as_text=True)
    with transaction(sessions_of(site.app), write=False) as s:
        assert s.scalars(select(LicenseRow)).one().data["cycle"] == {"start": "2025-06-01", "end": "2027-05-31"}


def test_a_fixed_calendar_board_needs_no_cycle(site: Site) -> None:
    token = site.launch("pa-user")
    resp = _post(site, token, {"board": "pa-lpc", "license_number": "PC 1234", "renewal_number": "2"})
    assert resp.status_code == 303, resp.get_data(as_text=True)
    doc = parse(site.client.get(resp.headers["Location"]).get_data(as_text=True))
    assert "Renewal cycle March 1, 2025 to February 28, 2027" in doc.by_id("license-pa-lpc").text


def test_an_existing_clinician_found_by_email_gets_the_platform_identity(seeded: Site) -> None:
    token = seeded.launch("fresh-id", email="jordan@example.org")
    resp = _post(seeded, token, {"board": "pa-lpc", "license_number": "PC 555", "renewal_number": "2"})
    assert resp.status_code == 303, resp.get_data(as_text=True)
    with transaction(sessions_of(seeded.app), write=False) as s:
        ident = s.scalars(select(Identity).where(Identity.value == "fresh-id")).one()
        jordan = s.scalars(select(Clinician).where(Clinician.name == "Jordan Lee")).one()
        assert ident.clinician_id == jordan.id and ident.source == seed.ISSUER
        boards = sorted(s.scalars(select(LicenseRow.board).where(LicenseRow.clinician_id == jordan.id)))
        assert boards == ["ny-lcsw", "pa-lpc", "tx-lpc"]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"cycle_start": "2025-13-01"},
            "cycle_start",
            "'2025-13-01' is not a date; write it like 2025-06-30 or 06/30/2025",
        ),
        ({"cycle_end": "31/05/2027"}, "cycle_end", "is not a date"),
        (
            {"cycle_start": "2027-06-01", "cycle_end": "2026-05-31"},
            "cycle_end",
            "The cycle ends (May 31, 2026) before it starts (June 1, 2027)",
        ),
        ({"cycle_start": "2023-06-01", "cycle_end": "2025-05-31"}, "cycle_end", "That cycle ended on May 31, 2025"),
        ({"cycle_end": ""}, "cycle_end", "Give the cycle's end date too"),
        ({"board": "zz-nope"}, "board", "There is no board 'zz-nope'"),
        ({"board": ""}, "board", "Choose your licensing board"),
        ({"license_number": ""}, "license_number", "Enter your license number"),
        ({"license_number": "<script>"}, "license_number", "A license number is letters, digits"),
        ({"attr_supervisor": ""}, "attr_supervisor", "Answer whether you supervise other clinicians"),
        ({"cycle_start": "", "cycle_end": ""}, "issued_on", "counts renewal cycles from the license's issue date"),
        ({"cycle_start": "", "cycle_end": "", "issued_on": "2030-01-01"}, "issued_on", "is in the future"),
        (
            {"board": "tx-lcsw", "cycle_start": "", "cycle_end": ""},
            "birth_date",
            "ends renewal cycles in the holder's birth month",
        ),
        (
            {"board": "tx-lcsw", "cycle_start": "", "cycle_end": "", "birth_date": "2020-01-01"},
            "birth_date",
            "cannot be your date of birth",
        ),
        ({"board": "fl-lmhc"}, "renewal_number", "come back every few renewals: give your renewal number"),
        ({"board": "il-lcpc"}, "renewal_number", "treats the first renewal differently"),
        ({"renewal_number": "first"}, "renewal_number", "The renewal number is a whole number"),
    ],
)
def test_bad_answers_are_named_next_to_their_field_and_nothing_is_stored(
    site: Site, changes: dict[str, str], field: str, message: str
) -> None:
    token = site.launch("new-user")
    resp = _post(site, token, {**TX, **changes})
    assert resp.status_code == 422
    doc = parse(resp.get_data(as_text=True))
    assert message in _error(doc, field)
    target = doc.by_id(field if not field.startswith("attr_") else f"{field}-yes")
    if target.tag in ("input", "select") and not field.startswith("attr_"):
        assert target.attrs.get("aria-invalid") == "true"
        assert f"{field}-error" in target.attrs["aria-describedby"].split()
    summary = doc.by_id("error-summary")
    assert summary.attrs["role"] == "alert" and message.split("(")[0].strip() in summary.text
    assert any(a.attrs["href"].startswith("#") for a in summary.find_all("a"))
    assert doc.find("title").text.startswith("Error:")
    assert accessibility_basics(doc) == []
    assert _counts(site) == (0, 0, 0)
    kept = doc.by_id("license_number").attrs.get("value")
    assert kept == {**TX, **changes}["license_number"]


def test_a_missing_or_foreign_form_token_is_refused(site: Site) -> None:
    token = site.launch("new-user")
    resp = _post(site, token, TX, csrf=False)
    assert resp.status_code == 400
    assert "could not be verified" in resp.get_data(as_text=True)
    other = site.launch("new-user")
    foreign = _form(site, other)["csrf"]
    resp = site.client.post("/dashboard/onboarding", data={**TX, "lt": token, "csrf": foreign})
    assert resp.status_code == 400
    assert _counts(site) == (0, 0, 0)


def test_the_form_token_is_bound_to_the_launch_not_to_a_cookie(site: Site) -> None:
    token = site.launch("new-user")
    hidden = _form(site, token)
    fresh = site.app.test_client()  # another client: no cookie from the first request could help it
    resp = fresh.post("/dashboard/onboarding", data={**hidden, **TX})
    assert resp.status_code == 303
    assert "Set-Cookie" not in resp.headers


def test_a_license_number_on_someone_elses_record_is_refused_whole(seeded: Site) -> None:
    before = _counts(seeded)
    token = seeded.launch("new-user", name="New Person")
    resp = _post(seeded, token, {**TX, "license_number": "lpc 70001"})
    assert resp.status_code == 422
    doc = parse(resp.get_data(as_text=True))
    assert "already on another clinician's record" in _error(doc, "license_number")
    assert _counts(seeded) == before  # the new clinician was not kept either


def test_the_engine_catches_a_fact_the_form_did_not_ask(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    from lti_tool.dashboard import onboarding

    real = onboarding._needs

    def forgetful(pack: Any) -> onboarding.BoardNeeds:
        need = real(pack)
        return onboarding.BoardNeeds(need.id, need.title, need.anchor, (), False, False, False)

    monkeypatch.setattr(onboarding, "_needs", forgetful)
    token = site.launch("new-user")
    resp = _post(
        site,
        token,
        {"board": "tx-lpc", "license_number": "LPC 1", "cycle_start": "2025-06-01", "cycle_end": "2027-05-31"},
    )
    assert resp.status_code == 422
    doc = parse(resp.get_data(as_text=True))
    assert "attributes.supervisor" in _error(doc, "attr_supervisor")
    assert doc.has_id("attr_supervisor-yes")  # the field the engine asked for is shown next to its error
    assert _counts(site) == (0, 0, 0)


def test_saving_a_board_again_replaces_that_license(seeded: Site) -> None:
    token = seeded.launch()
    doc = seeded.page("/dashboard/onboarding", token)
    assert doc.find("h1").text == "Add or update a license"
    resp = _post(seeded, token, {**TX, "license_number": "LPC 70000", "cycle_start": "2025-07-01"})
    assert resp.status_code == 303
    with transaction(sessions_of(seeded.app), write=False) as s:
        rows = s.scalars(
            select(LicenseRow).where(LicenseRow.board == "tx-lpc", LicenseRow.license_number == "LPC 70000")
        ).all()
        assert len(rows) == 1 and rows[0].data["cycle"]["start"] == "2025-07-01"


def test_hints_say_what_each_board_derives_its_cycle_from(site: Site) -> None:
    doc = site.page("/dashboard/onboarding", site.launch("new-user"))
    hints = {
        o.attrs["value"]: o.attrs["data-cycle-hint"]
        for o in doc.by_id("board").find_all("option")
        if o.attrs.get("value")
    }
    assert re.search(r"birth month", hints["tx-lcsw"])
    assert "issue date" in hints["tx-lpc"]
    assert "its own calendar" in hints["fl-lmhc"]


def test_submitting_the_form_twice_stores_one_clinician_and_one_license(site: Site) -> None:
    token = site.launch("new-user", name="New Person")
    assert _post(site, token, TX).status_code == 303
    assert _post(site, token, TX).status_code == 303  # a double click, or the back button and submit again
    clinicians, licenses, _ = _counts(site)
    assert (clinicians, licenses) == (1, 1)
