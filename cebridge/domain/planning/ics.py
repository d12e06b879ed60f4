"""A plan as an iCalendar file (RFC 5545): one event per course and one per renewal deadline.

Returns text; writing the file is the caller's business. Lines end in CRLF and are folded at 75 octets
(never inside a UTF-8 sequence); TEXT values are escaped (RFC 5545 §3.3.11). ``dtstamp`` is passed in, so the
same plan and stamp always give the same bytes. Live courses are timed events at their session (UTC);
on-demand ones are all-day events from the week they start to the day they are done; deadlines are all-day
events with a display alarm a week before.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, date, datetime, timedelta

from cebridge.domain.base import json_number

from .result import Plan, money

CRLF = "\r\n"
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def escape(text: str) -> str:
    """A TEXT value escaped: backslash, semicolon, comma and newlines."""
    return (
        text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\r\n", "\\n").replace("\n", "\\n")
    )


def fold(line: str) -> str:
    """One content line folded into pieces of at most 75 octets, continuation pieces led by a space."""
    raw = line.encode("utf-8")
    if len(raw) <= 75:
        return line
    pieces: list[str] = []
    current = ""
    size = 0
    limit = 75
    for ch in line:
        n = len(ch.encode("utf-8"))
        if size + n > limit:
            pieces.append(current)
            current, size, limit = " ", 1, 75
        current += ch
        size += n
    pieces.append(current)
    return CRLF.join(pieces)


def _utc(moment: datetime) -> str:
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y%m%dT%H%M%SZ")


def _day(day: date) -> str:
    return day.strftime("%Y%m%d")


def _uid(*parts: str, domain: str) -> str:
    raw = "|".join(parts)
    digest = hashlib.sha256(raw.encode("utf-8")).hexdigest()[:12]
    readable = _SAFE.sub("-", parts[1] if len(parts) > 1 else parts[0])[:40].strip("-") or "item"
    return f"{readable}-{digest}@{domain}"


def to_ics(plan: Plan, *, dtstamp: datetime, name: str = "CE learning plan", domain: str = "cebridge") -> str:
    """The plan as an iCalendar VCALENDAR text."""
    stamp = _utc(dtstamp)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//cebridge//learning plan//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape(name)}",
    ]
    for course in plan.courses:
        what = course.title or course.id
        details = [
            f"{json_number(course.hours)} hours, {money(course.price)} {plan.currency}",
            f"provider: {course.provider}" if course.provider else "",
            f"counts for: {', '.join(course.counts_for)}" if course.counts_for else "",
            f"goals: {', '.join(course.goals)}" if course.goals else "",
        ]
        lines += ["BEGIN:VEVENT", f"UID:{_uid('course', course.id, course.completes_on.isoformat(), domain=domain)}"]
        lines.append(f"DTSTAMP:{stamp}")
        if course.starts_at is not None and course.ends_at is not None:
            lines += [f"DTSTART:{_utc(course.starts_at)}", f"DTEND:{_utc(course.ends_at)}"]
        else:
            start = max(course.week_of, plan.as_of)
            lines += [
                f"DTSTART;VALUE=DATE:{_day(start)}",
                f"DTEND;VALUE=DATE:{_day(max(course.completes_on, start) + timedelta(days=1))}",
            ]
        lines += [
            f"SUMMARY:{escape('CE: ' + what)}",
            f"DESCRIPTION:{escape(chr(10).join(d for d in details if d))}",
            "TRANSP:TRANSPARENT" if course.starts_at is None else "TRANSP:OPAQUE",
            "END:VEVENT",
        ]
    for lic in plan.licenses:
        who = f" {lic.license_number}" if lic.license_number else ""
        summary = f"Renewal deadline: {lic.board}{who}"
        lines += [
            "BEGIN:VEVENT",
            f"UID:{_uid('deadline', lic.board, lic.deadline.isoformat(), domain=domain)}",
            f"DTSTAMP:{stamp}",
            f"DTSTART;VALUE=DATE:{_day(lic.deadline)}",
            f"DTEND;VALUE=DATE:{_day(lic.deadline + timedelta(days=1))}",
            f"SUMMARY:{escape(summary)}",
            "BEGIN:VALARM",
            "ACTION:DISPLAY",
            "TRIGGER:-P7D",
            f"DESCRIPTION:{escape(summary)}",
            "END:VALARM",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return CRLF.join(fold(line) for line in lines) + CRLF


def unfold(text: str) -> list[str]:
    """Content lines of an iCalendar text, unfolded (the inverse of :func:`fold`, for readers and tests)."""
    out: list[str] = []
    for line in text.split(CRLF):
        if line.startswith((" ", "\t")) and out:
            out[-1] += line[1:]
        elif line:
            out.append(line)
    return out
