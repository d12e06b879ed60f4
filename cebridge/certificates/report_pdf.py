"""The compliance report as a PDF for an audit packet: totals, each requirement, each completion and why."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from fpdf import FPDF

from cebridge.certificates.pdf import DEJAVU_DIR, latin1_safe
from cebridge.certificates.statements import fmt_number

_W = 189.0  # usable width on US Letter portrait with 13 mm margins (215.9 - 26, rounded down)


def _num(value: Any) -> str:
    return fmt_number(Decimal(str(value))) if value is not None else ""


class _Doc:
    def __init__(self, unicode_text: bool) -> None:
        self.pdf = FPDF(orientation="P", unit="mm", format="letter")
        self.pdf.set_margins(13, 13, 13)
        self.pdf.set_auto_page_break(True, margin=15)
        regular, bold = DEJAVU_DIR / "DejaVuSans.ttf", DEJAVU_DIR / "DejaVuSans-Bold.ttf"
        self.unicode = unicode_text and regular.is_file() and bold.is_file()
        if self.unicode:
            self.pdf.add_font("DejaVu", "", str(regular))
            self.pdf.add_font("DejaVu", "B", str(bold))
        self.family = "DejaVu" if self.unicode else "helvetica"

    def t(self, text: str) -> str:
        return text if self.unicode else latin1_safe(text)

    def font(self, size: int, style: str = "") -> None:
        self.pdf.set_font(self.family, style, size)

    def line(self, text: str, size: int = 10, style: str = "", height: float = 5.5) -> None:
        self.font(size, style)
        self.pdf.multi_cell(_W, height, self.t(text), new_x="LMARGIN", new_y="NEXT")


def render_report_pdf(report: dict[str, Any], *, holder: str | None, generated_at: datetime) -> bytes:
    """The report (the JSON of ``cebridge evaluate``) as a readable PDF."""
    text_blob = repr(report) + (holder or "")
    doc = _Doc(unicode_text=any(ord(ch) > 255 for ch in text_blob))
    pdf = doc.pdf
    pdf.set_creation_date(generated_at.astimezone(UTC))
    pdf.set_title(doc.t(f"Compliance report {report.get('board', '')} {report.get('license_number') or ''}"))
    pdf.set_creator("cebridge")
    pdf.add_page()
    cycle = report.get("cycle") or {}
    total = report.get("total") or {}
    doc.line("Continuing education compliance report", 16, "B", 9)
    doc.line(f"License holder: {holder or '(not given)'}")
    doc.line(
        f"License: {report.get('license_number') or '(not given)'}  Board rules: {report.get('board')}"
        f" (version {report.get('rule_version')})"
    )
    doc.line(f"Renewal cycle: {cycle.get('start')} to {cycle.get('end')}  As of: {report.get('as_of') or '-'}")
    status = "COMPLIANT" if report.get("compliant") else "NOT YET COMPLIANT"
    doc.line(
        f"Status: {status}. Hours required {_num(total.get('required'))}, counted {_num(total.get('counted'))},"
        f" short {_num(total.get('short'))}.",
        11,
        "B",
    )
    pdf.ln(2)
    doc.line("Requirements", 12, "B")
    widths = [69.0, 30.0, 30.0, 30.0, 30.0]
    with pdf.table(col_widths=widths, width=sum(widths), line_height=4.5, text_align="LEFT") as table:
        doc.font(8, "B")
        head = table.row()
        for h in ("Requirement", "Required", "Counted", "Short", "Met"):
            head.cell(h)
        doc.font(8)
        for req in report.get("requirements", []):
            r = table.row()
            for cell in (
                req.get("title") or req.get("id"),
                _num(req.get("required")),
                _num(req.get("counted")),
                _num(req.get("short")),
                "yes" if req.get("satisfied") else "no",
            ):
                r.cell(doc.t(str(cell)))
    pdf.ln(3)
    doc.line("Completions", 12, "B")
    widths = [50.0, 22.0, 25.0, 18.0, 18.0, 56.0]
    with pdf.table(col_widths=widths, width=sum(widths), line_height=4.5, text_align="LEFT") as table:
        doc.font(8, "B")
        head = table.row()
        for h in ("Activity", "Completed", "Status", "Hours", "Counted", "Counts toward / reasons"):
            head.cell(h)
        doc.font(8)
        for c in report.get("completions", []):
            reasons = "; ".join(r.get("message", r.get("code", "")) for r in c.get("reasons", []))
            toward = ", ".join(c.get("counts_toward", []))
            r = table.row()
            for cell in (
                c.get("title") or c.get("id"),
                c.get("completed_on") or "",
                c.get("status"),
                _num(c.get("hours_declared")),
                _num(c.get("hours_counted")),
                "; ".join(x for x in (toward, reasons) if x),
            ):
                r.cell(doc.t(str(cell)))
    for item in report.get("not_applicable", []):
        doc.line(f"Not applicable: {item.get('id')}: {item.get('why')}", 8)
    pdf.ln(2)
    doc.line(f"Generated {generated_at.astimezone(UTC).isoformat(timespec='seconds')} by cebridge.", 7)
    return bytes(pdf.output())
