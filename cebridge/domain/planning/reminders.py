"""Reminder events before renewal deadlines (and before planned courses), for the sinks to deliver.

Pure: given the reports and ``as_of``, the same reminders come out every time; a sink decides how and when to
send them (and remembers which it sent). A license that is compliant gets no deadline reminder.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Literal

from pydantic import Field

from cebridge.domain.base import DomainModel, json_number
from cebridge.domain.report import ComplianceReport

from .result import Plan

#: Days before a deadline that a reminder is due.
DEFAULT_LEADS = (90, 30, 7, 1)


class Reminder(DomainModel):
    """One reminder: the day it is due, the license, and what is still short."""

    on: date
    kind: Literal["deadline", "course"]
    board: str
    license_number: str | None = None
    deadline: date
    short: list[str] = Field(default_factory=list)
    course: str | None = None
    message: str


def _short(report: ComplianceReport) -> list[str]:
    out = []
    for r in report.requirements:
        if r.short > 0:
            out.append(f"{r.id}: {json_number(r.short)} h")
        missing = r.completions_required - r.completions_counted
        if missing > 0:
            out.append(f"{r.id}: {missing} completion{'s' if missing > 1 else ''}")
    if report.total.short > 0:
        out.append(f"total: {json_number(report.total.short)} h")
    return out


def reminders(
    reports: Sequence[ComplianceReport],
    *,
    as_of: date,
    leads: Sequence[int] = DEFAULT_LEADS,
    plan: Plan | None = None,
) -> list[Reminder]:
    """Reminders due on or after ``as_of``, by day.

    For each license still short: one per lead day before its deadline (only those not already past; if all
    are past and the deadline is not, one today). With a ``plan``: one the day before each live session and
    one on the first day of each on-demand course's week.
    """
    out: list[Reminder] = []
    for report in reports:
        short = _short(report)
        deadline = report.cycle.end
        if not short or deadline < as_of:
            continue
        days = sorted({deadline - timedelta(days=n) for n in leads if deadline - timedelta(days=n) >= as_of})
        if not days:
            days = [as_of]
        who = f" {report.license_number}" if report.license_number else ""
        for day in days:
            left = (deadline - day).days
            out.append(
                Reminder(
                    on=day,
                    kind="deadline",
                    board=report.board,
                    license_number=report.license_number,
                    deadline=deadline,
                    short=short,
                    message=f"{report.board}{who} renews in {left} day{'s' if left != 1 else ''} "
                    f"({deadline}); still short: {', '.join(short)}",
                )
            )
    if plan is not None:
        deadlines = {lic.board: lic for lic in plan.licenses}
        for course in plan.courses:
            day = course.starts_at.date() - timedelta(days=1) if course.starts_at else max(course.week_of, as_of)
            if day < as_of:
                day = as_of
            for board in course.counts_for or list(deadlines)[:1]:
                lic = deadlines[board]
                when = f"on {course.starts_at:%Y-%m-%d %H:%M %Z}".rstrip() if course.starts_at else "this week"
                out.append(
                    Reminder(
                        on=day,
                        kind="course",
                        board=board,
                        license_number=lic.license_number,
                        deadline=lic.deadline,
                        course=course.id,
                        message=f"planned course {course.title or course.id} {when}",
                    )
                )
    return sorted(out, key=lambda r: (r.on, r.board, r.kind, r.course or ""))
