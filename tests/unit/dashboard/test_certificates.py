"""The certificates page lists the standing certificate of each accepted completion with working PDF and
verification links; revoked certificates disappear; accepted completions without one are listed as waiting."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from cebridge.certificates.stored import revoke_row
from cebridge.store.cert_tables import CertificateRow
from cebridge.store.db import transaction
from lti_tool.db import sessions_of
from tests.unit.dashboard.conftest import Site
from tests.unit.dashboard.dom import accessibility_basics


def test_each_certificate_links_its_pdf_and_verification_page(with_certificates: Site) -> None:
    site = with_certificates
    doc = site.page("/dashboard/certificates", site.launch())
    assert accessibility_basics(doc) == []
    table = doc.by_id("certificates")
    rows = table.find("tbody").find_all("tr")
    with transaction(sessions_of(site.app), write=False) as s:
        ids = set(s.scalars(select(CertificateRow.id).where(CertificateRow.status == "issued")))
    assert len(rows) == len(ids) == 5  # tx-lpc: 3 accepted; ny-lcsw: 1 accepted, 1 partially accepted
    assert {r.attrs["id"].removeprefix("cert-") for r in rows} == ids
    titles = [r.find("th").text for r in rows]
    assert sum("Trauma-Informed Care" in t for t in titles) == 2  # one per license
    for row in rows:
        pdf = row.find("a", class_="cert-pdf")
        verify = row.find("a", class_="cert-verify")
        cert_id = row.attrs["id"].removeprefix("cert-")
        assert pdf.attrs["href"] == f"/verify/{cert_id}/certificate.pdf"
        assert verify.attrs["href"] == f"/verify/{cert_id}"
        assert pdf.attrs["target"] == "_blank" and "noopener" in pdf.attrs["rel"]
        assert "certificate for" in pdf.text  # the link's name says which certificate
    first = rows[0].find("a", class_="cert-pdf").attrs["href"]
    resp = site.client.get(first)
    assert resp.status_code == 200 and resp.mimetype == "application/pdf" and resp.data.startswith(b"%PDF")
    page = site.client.get(rows[0].find("a", class_="cert-verify").attrs["href"])
    assert page.status_code == 200
    assert not doc.has_id("waiting")


def test_a_revoked_certificate_is_no_longer_offered(with_certificates: Site) -> None:
    site = with_certificates
    with transaction(sessions_of(site.app)) as s:
        row = s.scalars(select(CertificateRow).order_by(CertificateRow.id)).first()
        assert row is not None
        revoked = row.id
        revoke_row(s, row, reason="test", now=datetime.now(UTC))
    doc = site.page("/dashboard/certificates", site.launch())
    assert not doc.has_id(f"cert-{revoked}")
    assert len(doc.by_id("certificates").find("tbody").find_all("tr")) == 4
    assert "waiting" in doc.by_id("waiting").attrs["id"]  # its completion still counts: waiting for a new one


def test_accepted_completions_without_certificates_are_listed_as_waiting(seeded: Site) -> None:
    doc = seeded.page("/dashboard/certificates", seeded.launch())
    assert doc.has_id("no-certificates")
    waiting = doc.by_id("waiting").text
    assert "Trauma-Informed Care (Texas Licensed Professional Counselor (LPC), completed September 15, 2025)" in waiting
    assert "California Law Update" not in waiting  # rejected: never certified


def test_another_clinicians_certificates_are_not_shown(with_certificates: Site) -> None:
    doc = with_certificates.page("/dashboard/certificates", with_certificates.launch("learner-2", name="Alex Kim"))
    assert doc.has_id("no-certificates")
