"""The overview: what the placed course earns per license (the engine's verdict, approvals, caps), progress
bars with exact ARIA values, what is missing and by when; unknown offerings and missing facts are explained."""

from __future__ import annotations

from sqlalchemy import select

from cebridge.services import people
from cebridge.store.db import transaction
from cebridge.store.lti_tables import LtiLineItem
from lti_tool.db import sessions_of
from tests.unit.dashboard import seed
from tests.unit.dashboard.conftest import Site
from tests.unit.dashboard.dom import Node, accessibility_basics

INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"


def _bars(doc: Node, scope: Node) -> dict[str, dict[str, str]]:
    out = {}
    for bar in scope.find_all(pred=lambda n: n.attrs.get("role") == "progressbar"):
        label = doc.by_id(bar.attrs["aria-labelledby"]).text
        out[label] = {k: bar.attrs[k] for k in ("aria-valuenow", "aria-valuemin", "aria-valuemax", "aria-valuetext")}
    return out


def test_progress_bars_have_exact_values_and_text(seeded: Site) -> None:
    doc = seeded.page("/dashboard/", seeded.launch(custom={"cebridge_offering": "eth-tx"}))
    assert accessibility_basics(doc) == []
    tx = doc.by_id("license-tx-lpc")
    bars = _bars(doc, tx)
    assert bars["Total hours"] == {
        "aria-valuenow": "16",
        "aria-valuemin": "0",
        "aria-valuemax": "24",
        "aria-valuetext": "16 of 24 hours",
    }
    assert bars["Ethics"]["aria-valuenow"] == "2" and bars["Ethics"]["aria-valuemax"] == "6"
    assert bars["Jurisprudence exam passed"]["aria-valuetext"] == "0 of 1 completion"
    assert "16 of 24 hours" in tx.text  # the visible text equivalent
    assert "455 days left (the cycle ends May 31, 2027)" in tx.text
    missing = doc.by_id("missing-tx-lpc").text
    assert "Ethics: 4 hours, by May 31, 2027" in missing
    assert "Total hours: 8 hours, by May 31, 2027" in missing
    assert "Jurisprudence exam passed: 1 completion" in missing
    ny = _bars(doc, doc.by_id("license-ny-lcsw"))
    assert ny["Total hours"]["aria-valuetext"] == "12 of 36 hours"


def test_status_is_told_in_words_not_color_alone(seeded: Site) -> None:
    doc = seeded.page("/dashboard/", seeded.launch())
    req = doc.by_id("req-tx-lpc-ethics")
    assert "Not met: 4 hours short" in req.text
    token = seeded.launch("learner-2", name="Alex Kim")
    alex = seeded.page("/dashboard/", token).by_id("license-tx-lpc")
    assert "Requirements met" in alex.text and "Nothing is missing for this cycle" in alex.text


def test_the_placed_course_is_converted_for_each_license(seeded: Site) -> None:
    doc = seeded.page("/dashboard/", seeded.launch(custom={"cebridge_offering": "eth-tx"}))
    assert doc.by_id("course-title").text == "Ethics for Texas Counselors"
    tx = doc.by_id("credit-tx-lpc").text
    assert "Counts in full" in tx and "would count 3 hours of its 3 hours" in tx
    assert "Ethics: 3 hours" in tx and "It helps close: Ethics, Total hours" in tx
    assert "NBCC approval is accepted by this board" in tx
    assert "NY-SED approval is not accepted by this board" in tx
    ny = doc.by_id("credit-ny-lcsw").text
    assert "Does not count" in ny and "would count no hours" in ny
    assert "Self-study (no live instruction): at most 12 hours per cycle; 12 already used, 0 hours left" in ny
    assert "Over the cap" in ny
    assert "NY-SED approval is accepted by this board" in ny


def test_an_approver_the_board_does_not_accept_is_named(seeded: Site) -> None:
    doc = seeded.page("/dashboard/", seeded.launch(custom={"cebridge_offering": "bound-3"}))
    tx = doc.by_id("credit-tx-lpc").text
    assert "Does not count" in tx and "NY-SED approval is not accepted" in tx
    assert "Approved by NY-SED; board tx-lpc accepts" in tx


def test_a_course_already_completed_shows_what_it_earned(seeded: Site) -> None:
    doc = seeded.page("/dashboard/", seeded.launch(custom={"cebridge_offering": "mi-8"}))
    ny = doc.by_id("credit-ny-lcsw").text
    assert "You completed this course on November 20, 2025" in ny
    assert "Counts in part" in ny and "counted 6 hours of its 8 hours" in ny


def test_the_offering_is_found_by_catalog_row_id_and_by_the_recorded_placement(seeded: Site) -> None:
    row_id = seed.offering_row_id(sessions_of(seeded.app), "cult-3")
    doc = seeded.page("/dashboard/", seeded.launch(custom={"cebridge_offering": str(row_id)}))
    assert doc.by_id("course-title").text == "Cultural Humility in Practice"
    with transaction(sessions_of(seeded.app)) as s:
        s.add(
            LtiLineItem(
                platform_id=seeded.platform_id,
                deployment_id="1",
                resource_link_id="rl-1",
                context_id="course-1",
                offering_id="trauma-6",
                created_at=0,
            )
        )
    doc = seeded.page("/dashboard/", seeded.launch())
    assert doc.by_id("course-title").text == "Trauma-Informed Care"


def test_an_unknown_offering_is_explained_and_progress_still_shows(seeded: Site) -> None:
    doc = seeded.page("/dashboard/", seeded.launch(custom={"cebridge_offering": "no-such-course"}))
    assert (
        "The CE offering 'no-such-course' of this activity is not in the catalog" in doc.by_id("offering-problem").text
    )
    assert doc.has_id("license-tx-lpc")


def test_an_offering_id_two_providers_use_is_not_guessed(seeded: Site) -> None:
    from cebridge.services import providers
    from cebridge.services.orgs import get_org
    from cebridge.store.tables import Provider

    with transaction(sessions_of(seeded.app)) as s:
        s.add(Provider(organization_id=get_org(s, None).id, name="other", title="Other CE"))
        s.flush()
        entry = {k: v for k, v in seed.CATALOG[0].items() if k != "keys"}
        providers.import_catalog(s, "other", [entry], "catalog")
    doc = seeded.page("/dashboard/", seeded.launch(custom={"cebridge_offering": "eth-tx"}))
    assert "catalogs of several providers" in doc.by_id("offering-problem").text


def test_an_activity_without_an_offering_says_so(seeded: Site) -> None:
    doc = seeded.page("/dashboard/", seeded.launch())
    assert doc.has_id("no-offering")


def test_a_new_learner_is_sent_to_onboarding_with_the_token(site: Site) -> None:
    token = site.launch("new-user", name="New Person")
    resp = site.get("/dashboard/", token)
    assert resp.status_code == 303
    assert resp.headers["Location"].startswith("/dashboard/onboarding?") and f"lt={token}" in resp.headers["Location"]
    for path in ("/dashboard/certificates", "/dashboard/plan"):
        assert site.get(path, token).headers["Location"].startswith("/dashboard/onboarding?")


def test_an_instructor_without_a_license_sees_the_roster_link(seeded: Site) -> None:
    token = seeded.launch("teacher-1", roles=(INSTRUCTOR,), name="Sam Rivera")
    doc = seeded.page("/dashboard/", token)
    note = doc.by_id("no-license")
    assert "no license on record" in note.text
    assert any("/dashboard/roster" in a.attrs["href"] for a in note.find_all("a"))
    assert any(a.text == "Course roster" for a in doc.find_all("a"))


def test_the_clinician_is_found_by_email_when_the_platform_id_is_new(seeded: Site) -> None:
    doc = seeded.page("/dashboard/", seeded.launch("other-lms-id", email="Jordan@Example.org"))
    assert doc.has_id("license-tx-lpc")


def test_a_license_missing_a_fact_explains_instead_of_failing(seeded: Site) -> None:
    with transaction(sessions_of(seeded.app)) as s:
        c = people.add_clinician(s, name="Robin Diaz", platform_users=[(seed.ISSUER, "learner-9")])
        people.add_license(
            s,
            c,
            {
                "board": "tx-lpc",
                "license_number": "LPC 1",
                "issued_on": "2019-06-01",
                "cycle": {"start": "2025-06-01", "end": "2027-05-31"},
            },
            where="test",
        )
    doc = seeded.page(
        "/dashboard/", seeded.launch("learner-9", name="Robin Diaz", custom={"cebridge_offering": "eth-tx"})
    )
    text = doc.by_id("license-tx-lpc").text
    assert "Your progress cannot be computed" in text and "attributes.supervisor" in text
    assert "cannot be computed" in doc.by_id("credit-tx-lpc").text


def test_identity_is_per_issuer(seeded: Site) -> None:
    other = seed.add_platform(seeded.app, issuer="https://other-lms.example.com")
    token = seed.make_launch(seeded.app, other, "learner-1", name="Someone Else")
    resp = seeded.get("/dashboard/", token)
    assert resp.status_code == 303  # learner-1 of another platform is not Jordan


def test_two_clinicians_sharing_a_key_are_not_guessed(seeded: Site) -> None:
    from cebridge.services.orgs import add_org
    from cebridge.store.people_tables import Clinician, Identity

    with transaction(sessions_of(seeded.app)) as s:
        org = add_org(s, "second")
        c = Clinician(organization_id=org.id, name="Jordan Twin")
        s.add(c)
        s.flush()
        s.add(
            Identity(
                organization_id=org.id, clinician_id=c.id, kind="platform_user", source=seed.ISSUER, value="learner-1"
            )
        )
    doc = seeded.page("/dashboard/", seeded.launch(), status=409)
    assert doc.by_id("code").text == "ambiguous_identity"
    with transaction(sessions_of(seeded.app), write=False) as s:
        assert len(s.scalars(select(Identity).where(Identity.value == "learner-1")).all()) == 2
