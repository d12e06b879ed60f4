"""Render :class:`CertificateData` as a one-page PDF (fpdf2), with the verification QR code (segno, PNG).

Fonts: text outside Latin-1 (a name like "Nguyễn") needs a Unicode TrueType font; DejaVu Sans from Debian's
``fonts-dejavu-core`` is used when present. Embedding a TrueType font costs fpdf2 tens of milliseconds per
document (it parses and subsets the font each time), so ``font="auto"`` draws each string that needs Unicode in
DejaVu (embedding only the styles used, from the reduced cut of :mod:`.fonts`) and every other string in the PDF
core font Helvetica; ``font="dejavu"`` draws everything in DejaVu; ``font="core"`` never embeds a font. Without
DejaVu, text is made Latin-1 safe (accents kept where Latin-1 has them, other letters transliterated).

The QR code's PNG is written here from segno's matrix (segno's own PNG writer is pure Python per pixel and cost
more than the rest of the page); the image is the same, pixel for pixel.

Lines are wrapped here, word by word with cached widths, because fpdf2's ``multi_cell`` re-measures the whole
line for every character (quadratic), which dominated the rendering time.
"""

from __future__ import annotations

import io
import struct
import unicodedata
import zlib
from collections.abc import Iterable, Sequence
from datetime import UTC
from pathlib import Path
from typing import Literal

import segno
from fpdf import FPDF

from cebridge.certificates import fonts
from cebridge.certificates.errors import CertificateInputError
from cebridge.certificates.model import Branding, CertificateData
from cebridge.certificates.statements import fmt_number

FontChoice = Literal["auto", "dejavu", "core"]
DEJAVU_DIR = Path("/usr/share/fonts/truetype/dejavu")
PAGE_W, PAGE_H = 279.4, 215.9  # US Letter, landscape, mm
MARGIN = 16.0
#: A fixed QR mask pattern: every mask is valid for every reader; choosing the "best" one costs segno ~5 ms.
QR_MASK = 2

#: String widths by (font family, style, size, text): font metrics never change, so they are shared by
#: every page this process draws (bounded; cleared when full).
_WIDTHS: dict[tuple[str, str, int, str], float] = {}
_WIDTHS_MAX = 50_000

_PUNCT = str.maketrans(
    {
        "\u2014": "-",  # em dash
        "\u2013": "-",  # en dash
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2026": "...",
        "\u2022": "-",  # bullet
        # letters that Unicode does not decompose into a Latin-1 base letter
        "\u0141": "L",
        "\u0142": "l",
        "\u0110": "D",
        "\u0111": "d",
        "\u0152": "OE",
        "\u0153": "oe",
        "\u0131": "i",
    }
)


def latin1_safe(text: str) -> str:
    """Text the core fonts can draw: Latin-1 kept, other letters stripped of accents, the rest '?'."""
    if text.isascii():
        return text
    out = []
    for ch in text.translate(_PUNCT):
        if ord(ch) < 256:
            out.append(ch)
            continue
        base = unicodedata.normalize("NFKD", ch).encode("latin-1", "ignore").decode("latin-1")
        out.append(base or "?")
    return "".join(out)


def _all_text(cert: CertificateData, branding: Branding) -> Iterable[str]:
    yield from (cert.participant_name, cert.course_title, cert.provider_name, cert.provider_address, branding.title)
    yield from (cert.signer.name, cert.signer.title, cert.license_number, cert.verification_url)
    for a in cert.approvers:
        yield from (a.statement, a.display, a.approval_id or "")
    for c in cert.categories:
        yield c.label


def _rgb(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def _needs_unicode(text: str) -> bool:
    return not text.isascii() and any(ord(ch) > 255 for ch in text)


class _Page:
    """One certificate page being drawn, with the font and wrapping helpers.

    Each string is drawn in one font: Helvetica when it is Latin-1 (``auto``) or always (``core``), DejaVu when
    it needs Unicode (``auto``) or always (``dejavu``). DejaVu styles are embedded only when first used.
    """

    def __init__(self, cert: CertificateData, branding: Branding, font: FontChoice, font_dir: Path) -> None:
        self.pdf = FPDF(orientation="L", unit="mm", format="letter")
        self.pdf.set_auto_page_break(False)
        self.pdf.set_compression(True)
        self.mode = font
        self.font_dir = font_dir
        texts = list(_all_text(cert, branding))
        if font == "dejavu":
            unicode_text = "".join(texts)
        elif font == "auto":
            unicode_text = "".join(t for t in texts if _needs_unicode(t))
        else:
            unicode_text = ""
        self.files = {
            style: fonts.font_file(font_dir, style, unicode_text) if unicode_text else None for style in ("", "B")
        }
        self.registered: set[str] = set()
        self.family, self.style, self.size = "helvetica", "", 10
        self.color = (0, 0, 0)

    def _family_for(self, text: str) -> str:
        if self.mode == "core" or self.files[self.style] is None:
            return "helvetica"
        if self.mode == "dejavu" or _needs_unicode(text):
            return "DejaVu"
        return "helvetica"

    def _use(self, text: str) -> str:
        """Select the font for ``text`` and return it as that font can draw it."""
        family = self._family_for(text)
        if family == "DejaVu" and self.style not in self.registered:
            self.pdf.add_font("DejaVu", self.style, str(self.files[self.style]))
            self.registered.add(self.style)
        if family != self.family or self.pdf.font_style != self.style or self.pdf.font_size_pt != self.size:
            self.pdf.set_font(family, self.style, self.size)
            self.family = family
        return text if family == "DejaVu" else latin1_safe(text)

    @property
    def unicode(self) -> bool:
        return bool(self.registered)

    def t(self, text: str) -> str:
        """Text for document metadata (always Unicode-capable there)."""
        return text

    def font(self, size: int, style: str = "", color: str = "#222222") -> None:
        self.style, self.size = style, size
        self.pdf.set_font("helvetica", style, size)
        self.family = "helvetica"
        self.pdf.set_text_color(*_rgb(color))

    def width(self, text: str) -> float:
        key = (self.family, self.style, self.size, text)
        cached = _WIDTHS.get(key)
        if cached is None:
            if len(_WIDTHS) >= _WIDTHS_MAX:
                _WIDTHS.clear()
            cached = _WIDTHS[key] = self.pdf.get_string_width(text)
        return cached

    def wrap(self, text: str, max_width: float) -> list[str]:
        """Lines of ``text`` no wider than ``max_width`` (and select its font)."""
        lines: list[str] = []
        drawable = self._use(text)
        space = self.width(" ")
        line: list[str] = []
        used = 0.0
        for word in drawable.split():
            w = self.width(word)
            if line and used + space + w > max_width:
                lines.append(" ".join(line))
                line, used = [word], w
            else:
                used = w if not line else used + space + w
                line.append(word)
        if line:
            lines.append(" ".join(line))
        return lines

    def text(self, x: float, y: float, text: str) -> None:
        self.pdf.text(x, y, self._use(text))

    def centered(self, y: float, text: str, max_width: float = PAGE_W - 2 * MARGIN, leading: float = 0) -> float:
        """Draw centered, wrapped lines with their first baseline at ``y``; returns the next baseline."""
        step = leading or self.size * 0.45
        for line in self.wrap(text, max_width):
            self.pdf.text((PAGE_W - self.width(line)) / 2, y, line)
            y += step
        return y

    def paragraph(self, x: float, y: float, text: str, max_width: float, leading: float = 0) -> float:
        step = leading or self.size * 0.42
        for line in self.wrap(text, max_width):
            self.pdf.text(x, y, line)
            y += step
        return y


def _png(matrix: Sequence[Sequence[int]], scale: int, border: int) -> bytes:
    """A 1-bit grayscale PNG of a QR matrix (dark modules black), ``scale`` pixels per module.

    Written here rather than by segno's pure-Python PNG writer, which cost more than the rest of the page.
    """
    side = len(matrix) + 2 * border
    blank = [0] * side
    rows = [blank] * border + [[0] * border + list(r) + [0] * border for r in matrix] + [blank] * border
    raw = bytearray()
    for row in rows:
        bits = "".join(("0" if dark else "1") * scale for dark in row)
        bits += "1" * (-len(bits) % 8)
        line = b"\x00" + int(bits, 2).to_bytes(len(bits) // 8, "big")
        raw += line * scale

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    size = side * scale
    header = struct.pack(">IIBBBBB", size, size, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(raw), 6))
        + chunk(b"IEND", b"")
    )


def qr_png(url: str) -> bytes:
    """The verification URL as a QR code PNG (segno encodes it, error correction M; 4 px per module)."""
    return _png(segno.make(url, error="m", mask=QR_MASK, micro=False).matrix, scale=4, border=2)


def render_pdf(
    cert: CertificateData,
    branding: Branding | None = None,
    *,
    font: FontChoice = "auto",
    font_dir: Path = DEJAVU_DIR,
    logo_base: Path | None = None,
) -> bytes:
    """The certificate as PDF bytes; the same data and branding give the same bytes."""
    branding = branding or Branding()
    page = _Page(cert, branding, font, font_dir)
    pdf = page.pdf
    pdf.set_creation_date(cert.issued_at.astimezone(UTC))
    pdf.set_title(page.t(f"{branding.title}: {cert.course_title}"))
    pdf.set_subject(cert.certificate_id)
    pdf.set_author(page.t(cert.provider_name))
    pdf.set_creator("cebridge")
    pdf.set_keywords(f"certificate_id={cert.certificate_id}")
    pdf.add_page()
    primary, accent, ink = branding.primary_color, branding.accent_color, branding.text_color

    # Frame and header band.
    pdf.set_draw_color(*_rgb(primary))
    pdf.set_line_width(1.2)
    pdf.rect(6, 6, PAGE_W - 12, PAGE_H - 12)
    pdf.set_fill_color(*_rgb(primary))
    pdf.rect(6, 6, PAGE_W - 12, 20, style="F")
    header_x = MARGIN
    if branding.logo:
        logo = Path(branding.logo)
        if not logo.is_absolute() and logo_base is not None:
            logo = logo_base / logo
        if not logo.is_file():
            raise CertificateInputError(f"logo file {logo} does not exist")
        pdf.image(str(logo), x=MARGIN, y=8, h=16)
        header_x = MARGIN + 40
    page.font(15, "B", "#FFFFFF")
    page.text(header_x, 19, cert.provider_name)

    page.font(26, "B", primary)
    y = page.centered(42, branding.title)
    pdf.set_draw_color(*_rgb(accent))
    pdf.set_line_width(0.8)
    pdf.line(PAGE_W / 2 - 45, y - 6, PAGE_W / 2 + 45, y - 6)
    page.font(11, "", ink)
    y = page.centered(y + 1, "This certifies that")
    page.font(22, "B", ink)
    y = page.centered(y + 4, cert.participant_name)
    page.font(11, "", ink)
    y = page.centered(y + 1, f"License number {cert.license_number} ({cert.license_state} {cert.license_profession})")
    y = page.centered(y + 1, "has completed the continuing education activity")
    page.font(15, "B", primary)
    y = page.centered(y + 3, cert.course_title, leading=6.5)

    # Left column: facts. Right column: credit per approver and per category.
    top = y + 2
    left_w, right_x = 118.0, MARGIN + 128
    dates = (
        cert.end_date.isoformat()
        if cert.start_date == cert.end_date
        else (f"{cert.start_date.isoformat()} to {cert.end_date.isoformat()}")
    )
    facts = [("Course ID", cert.course_code)] if cert.course_code else []
    facts += [
        ("Date(s)", dates),
        ("Format", cert.format_label),
        ("Clock hours", fmt_number(cert.hours)),
        ("Provider", cert.provider_name),
        ("Address", cert.provider_address),
        ("Certificate ID", cert.certificate_id),
        ("Issued", cert.issued_at.astimezone(UTC).date().isoformat()),
    ]
    y_left = top
    for label, value in facts:
        page.font(9, "B", ink)
        page.text(MARGIN, y_left, f"{label}:")
        page.font(9, "", ink)
        y_left = page.paragraph(MARGIN + 27, y_left, value, left_w - 27, leading=4.2)

    page.font(10, "B", primary)
    page.text(right_x, top, "Credit awarded")
    y_right = top + 5
    for credit in cert.approvers:
        page.font(9, "B", ink)
        label = credit.body + (f" ({credit.approval_id})" if credit.approval_id else "")
        page.text(right_x, y_right, label)
        page.font(9, "", ink)
        y_right = page.paragraph(right_x + 62, y_right, credit.display, PAGE_W - MARGIN - right_x - 62, 4.2)
    if cert.categories:
        page.font(9, "B", ink)
        page.text(right_x, y_right, "By category:")
        page.font(9, "", ink)
        text = "; ".join(f"{c.label} {fmt_number(c.hours)} hours" for c in cert.categories)
        y_right = page.paragraph(right_x + 62, y_right, text, PAGE_W - MARGIN - right_x - 62, 4.2)
    acc = cert.acceptance
    page.font(8, "", ink)
    counted = f"Counted toward {acc.board.upper()} renewal ({acc.rule_version}): {fmt_number(acc.hours_counted)} hours"
    if acc.allocation:
        counted += " (" + ", ".join(f"{k} {fmt_number(v)}" for k, v in acc.allocation.items()) + ")"
    y_right = page.paragraph(right_x, y_right + 1, counted, PAGE_W - MARGIN - right_x, 3.8)

    # Approval statements, full width; shrink the type when many approvals share the page.
    y = max(y_left, y_right) + 2
    footer_top = PAGE_H - 40
    for size in (8, 7, 6):
        page.font(size, "", ink)
        lines = sum(len(page.wrap(a.statement, PAGE_W - 2 * MARGIN - 42)) for a in cert.approvers)
        if y + lines * size * 0.42 + len(cert.approvers) <= footer_top:
            break
    for credit in cert.approvers:
        y = page.paragraph(MARGIN, y, credit.statement, PAGE_W - 2 * MARGIN - 42) + 1

    # Footer: signature, verification URL and QR code.
    pdf.set_draw_color(*_rgb(ink))
    pdf.set_line_width(0.3)
    pdf.line(MARGIN, PAGE_H - 24, MARGIN + 80, PAGE_H - 24)
    page.font(10, "B", ink)
    page.text(MARGIN, PAGE_H - 19, cert.signer.name)
    page.font(9, "", ink)
    page.text(MARGIN, PAGE_H - 14.5, cert.signer.title)
    page.font(8, "", ink)
    page.text(MARGIN + 95, PAGE_H - 19, "Verify this certificate:")
    page.text(MARGIN + 95, PAGE_H - 15, cert.verification_url)
    pdf.image(io.BytesIO(qr_png(cert.verification_url)), x=PAGE_W - MARGIN - 34, y=PAGE_H - 44, w=32, h=32)
    return bytes(pdf.output())
