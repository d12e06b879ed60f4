"""The clinician's certificates: the standing certificate of each accepted completion, with its PDF and its
public verification page (served by :mod:`lti_tool.verify`), and the accepted completions still waiting for one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from cebridge.certificates.stored import certificate_data, has_certificate_tables
from cebridge.store.cert_tables import CertificateRow
from lti_tool.dashboard.record import Record
from lti_tool.db import engine_of


@dataclass(frozen=True)
class CertificateLine:
    id: str
    course: str
    provider: str
    board_title: str
    license_number: str
    completed_on: date
    hours: Decimal
    issued_at: datetime


@dataclass(frozen=True)
class Waiting:
    """An accepted completion with no certificate yet (issued by the pipeline shortly after it is counted)."""

    course: str
    board_title: str
    completed_on: date | None
    hours: Decimal


def _store_has_certificates() -> bool:
    ext = current_app.extensions["cebridge"]
    if "certificates_store" not in ext:
        ext["certificates_store"] = has_certificate_tables(engine_of(current_app))
    return bool(ext["certificates_store"])


def certificates(session: Session, record: Record) -> tuple[list[CertificateLine], list[Waiting]]:
    """Standing certificates of the clinician's licenses (newest first) and accepted completions without one."""
    titles = {s.row.id: s.board_title for s in record.standings}
    rows: list[CertificateRow] = []
    if titles and _store_has_certificates():
        rows = list(
            session.scalars(
                select(CertificateRow)
                .where(CertificateRow.license_id.in_(sorted(titles)), CertificateRow.status == "issued")
                .order_by(CertificateRow.issued_at.desc(), CertificateRow.id)
            )
        )
    lines = []
    have: set[tuple[int, str]] = set()
    for row in rows:
        data = certificate_data(row)
        have.add((row.license_id or 0, row.completion_ref))
        lines.append(
            CertificateLine(
                id=row.id,
                course=data.course_title,
                provider=data.provider_name,
                board_title=titles.get(row.license_id or 0, row.board),
                license_number=row.license_number,
                completed_on=data.end_date,
                hours=data.hours,
                issued_at=row.issued_at,
            )
        )
    waiting = []
    for s in record.standings:
        if s.report is None:
            continue
        for c in s.report.completions:
            if c.hours_counted > 0 and (s.row.id, c.id) not in have:
                waiting.append(Waiting(c.title or c.id, s.board_title, c.completed_on, c.hours_counted))
    return lines, waiting
