"""The PDF: every field the approval bodies require, read back from the file with pypdf; fonts; QR; branding."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
import segno
from PIL import Image
from pypdf import PdfReader

from cebridge.certificates.errors import CertificateInputError
from cebridge.certificates.model import Branding, CertificateData
from cebridge.certificates.pdf import DEJAVU_DIR, latin1_safe, render_pdf


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    return " ".join(reader.pages[0].extract_text().split())


def _fonts(pdf: bytes) -> set[str]:
    reader = PdfReader(io.BytesIO(pdf))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    return {str(fonts[name].get_object()["/BaseFont"]) for name in fonts}


def _common_fields(cert: CertificateData, text: str) -> None:
    for field in (
        cert.participant_name,
        f"License number {cert.license_number} (TX LPC)",
        cert.course_title,
        f"Format: {cert.format_label}",
        f"Date(s): {cert.end_date.isoformat()}",
        f"Provider: {cert.provider_name}",
        f"Address: {cert.provider_address}",
        f"Certificate ID: {cert.certificate_id}",
        cert.verification_url,
        cert.signer.name,
        cert.signer.title,
        "Certificate of Completion",
    ):
        assert field in text, field
    for category in cert.categories:
        assert f"{category.label} " in text


def test_apa_nbcc_aswb_certificate_carries_every_required_field(certs: dict[str, CertificateData]) -> None:
    cert = certs["t1"]
    text = _text(render_pdf(cert))
    _common_fields(cert, text)
    # APA: the required sentence verbatim, with the provider's name; credit in CE credits.
    assert (
        "Lone Star CE is approved by the American Psychological Association to sponsor continuing education for "
        "psychologists. Lone Star CE maintains responsibility for this program and its content." in text
    )
    assert "APA 6 CE credits" in text
    # NBCC: credit in CE clock hours (CEUs only in addition) and the ACEP statement with its number.
    assert "NBCC (ACEP No. 6000) 6 CE clock hours (0.6 CEU)" in text
    assert "has been approved by NBCC as an Approved Continuing Education Provider, ACEP No. 6000." in text
    # ASWB ACE: provider number with the statement and the delivery format.
    assert "ASWB-ACE (ACE Provider #1046) 6 continuing education credits" in text
    assert "Lone Star CE, provider #1046, is approved to offer social work continuing education" in text
    assert "Delivery format: Live interactive webinar." in text
    assert "Counted toward TX-LPC renewal" in text


def test_single_approver_certificates(certs: dict[str, CertificateData]) -> None:
    nbcc_only = _text(render_pdf(certs["t2"]))
    _common_fields(certs["t2"], nbcc_only)
    assert "3 CE clock hours (0.3 CEU)" in nbcc_only and "Format: Self-study (home study)" in nbcc_only
    assert "American Psychological Association" not in nbcc_only and "ASWB" not in nbcc_only
    ace_only = _text(render_pdf(certs["t3"]))
    assert "1.5 continuing education credits" in ace_only
    assert "Delivery format: Live, in person." in ace_only
    assert "Cultural diversity 1.5 hours" in ace_only


def test_latin1_text_uses_core_fonts_and_unicode_text_embeds_dejavu(certs: dict[str, CertificateData]) -> None:
    plain = render_pdf(certs["t1"])
    assert all("DejaVu" not in f for f in _fonts(plain))
    if not (DEJAVU_DIR / "DejaVuSans.ttf").is_file():
        pytest.skip("fonts-dejavu-core is not installed")
    named = certs["t1"].model_copy(update={"participant_name": "Nguyễn Thị Minh Khai"})
    pdf = render_pdf(named)
    assert any("DejaVu" in f for f in _fonts(pdf))
    assert "Nguyễn Thị Minh Khai" in _text(pdf)
    forced = render_pdf(certs["t1"], font="dejavu")
    assert any("DejaVu" in f for f in _fonts(forced))


def test_without_a_unicode_font_text_is_made_latin1_safe(certs: dict[str, CertificateData], tmp_path: Path) -> None:
    named = certs["t1"].model_copy(update={"participant_name": "Zoë Nguyễn \u2014 Łukasz"})
    pdf = render_pdf(named, font_dir=tmp_path)  # no DejaVu there
    assert all("DejaVu" not in f for f in _fonts(pdf))
    assert "Zoë Nguyen - Lukasz" in _text(pdf)
    assert latin1_safe("naïve “quote” 東") == 'naïve "quote" ?'


def test_qr_code_encodes_the_verification_url(certs: dict[str, CertificateData]) -> None:
    cert = certs["t1"]
    reader = PdfReader(io.BytesIO(render_pdf(cert)))
    (image,) = reader.pages[0].images
    got = image.image.convert("1")
    expected_png = io.BytesIO()
    segno.make(cert.verification_url, error="m", mask=2, micro=False).save(expected_png, kind="png", scale=4, border=2)
    expected = Image.open(io.BytesIO(expected_png.getvalue())).convert("1")
    assert got.size == expected.size
    assert got.tobytes() == expected.tobytes()
    # and the comparison can fail: another URL draws another code
    other_png = io.BytesIO()
    segno.make(cert.verification_url + "X", error="m", mask=2, micro=False).save(
        other_png, kind="png", scale=4, border=2
    )
    assert Image.open(io.BytesIO(other_png.getvalue())).convert("1").tobytes() != got.tobytes()


def test_branding_colors_and_logo(certs: dict[str, CertificateData], tmp_path: Path) -> None:
    logo = tmp_path / "logo.png"
    Image.new("RGB", (60, 30), (200, 10, 10)).save(logo)
    branding = Branding(primary_color="#112233", logo="logo.png", title="Certificate of Attendance")
    pdf = render_pdf(certs["t1"], branding, logo_base=tmp_path)
    reader = PdfReader(io.BytesIO(pdf))
    content = reader.pages[0].get_contents().get_data().decode("latin-1")  # type: ignore[union-attr]
    r, g, b = (round(v / 255, 4) for v in (0x11, 0x22, 0x33))
    assert re.search(rf"{r:g} {g:g} {b:g} rg", content)
    assert len(reader.pages[0].images) == 2
    assert "Certificate of Attendance" in _text(pdf)
    with pytest.raises(CertificateInputError, match="logo"):
        render_pdf(certs["t1"], Branding(logo="missing.png"), logo_base=tmp_path)


def test_same_data_same_bytes_and_metadata(certs: dict[str, CertificateData]) -> None:
    first, second = render_pdf(certs["t1"]), render_pdf(certs["t1"])
    assert first == second
    meta = PdfReader(io.BytesIO(first)).metadata
    assert meta is not None and meta.subject == certs["t1"].certificate_id
