"""Resumable "roster passes" for LMS connectors (Canvas, Moodle), where the provider has no server-side
filter on completion and every sync re-reads each course's roster.

State of such a stream::

    {"hwm":  {"<course id>": "<latest completed_at emitted, UTC ISO>"},
     "pass": {"done": ["<course id>", ...], "course": "<course id>", "after_user": "<user id>",
              "max_completed_at": "<...>"}}

A *pass* reads every course once. Inside a course, records go out in user-id order, ``batch_size`` at a
time; each batch's state says which courses are done and the last user id handed over, so a resumed pass
re-reads that course's roster and emits only users after that id. When a course is done its high-water mark
becomes the latest ``completed_at`` it emitted. On later passes a ``completed`` record whose ``completed_at``
is older than the mark minus the lookback is not emitted again (it is stored already); ``in_progress`` and
``no_requirements`` records are emitted on every pass so the store sees progress move. ``full_refresh``
ignores the marks. Re-emitting is always safe: the store is idempotent by ``(source, external_id)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any

from cebridge.domain.records import CompletionRecord
from connectors.base import Batch, RecordProblem, Stream
from connectors.values import iso_utc, parse_datetime

__all__ = ["HighWaterMarks", "read_roster_pass", "sorted_user_ids", "user_key"]

Course = Mapping[str, Any]


def user_key(user_id: Any) -> tuple[int, int, str]:
    """Sort key for provider ids: numbers numerically, anything else after them as text."""
    text = str(user_id)
    return (0, int(text), "") if text.isdigit() else (1, 0, text)


def sorted_user_ids(ids: Iterable[str]) -> list[str]:
    """``ids`` in :func:`user_key` order; when every id is a number (the usual case), by ``int`` alone."""
    ordered = list(ids)
    if all(map(str.isdigit, ordered)):
        ordered.sort(key=int)
    else:
        ordered.sort(key=user_key)
    return ordered


class HighWaterMarks:
    """Per-key latest ``completed_at`` already emitted; decides which completed records to skip."""

    def __init__(self, marks: Mapping[str, Any], *, lookback: timedelta, full_refresh: bool) -> None:
        self.marks = {str(k): str(v) for k, v in marks.items()}
        self.lookback = lookback
        self.full_refresh = full_refresh

    def cutoff(self, key: str) -> datetime | None:
        """Completed records older than this are not re-emitted (None: emit everything)."""
        if self.full_refresh or key not in self.marks:
            return None
        mark = parse_datetime(self.marks[key])
        return None if mark is None else mark - self.lookback

    @staticmethod
    def wanted(record: CompletionRecord, cutoff: datetime | None) -> bool:
        if cutoff is None or record.status != "completed" or record.completed_at is None:
            return True
        return record.completed_at >= cutoff

    def advance(self, key: str, seen: str | None) -> None:
        if seen is None:
            return
        old = parse_datetime(self.marks.get(key))
        new = parse_datetime(seen)
        if new is not None and (old is None or new > old):
            self.marks[key] = seen


def later(current: str | None, candidate: datetime | None) -> str | None:
    """The later of an ISO bookmark and a datetime, as an ISO bookmark."""
    if candidate is None:
        return current
    old = parse_datetime(current)
    if old is None or candidate > old:
        return iso_utc(candidate)
    return current


def read_roster_pass(
    stream: Stream,
    state: Mapping[str, Any],
    *,
    courses: Callable[[list[str]], Iterator[tuple[str, Course | RecordProblem]]],
    roster: Callable[[Course], Iterator[tuple[str, CompletionRecord]]],
    batch_size: int,
    lookback: timedelta,
    full_refresh: bool,
) -> Iterator[Batch]:
    """Run (or resume) one pass over ``courses``; see the module docstring for the state it keeps.

    ``courses(done)`` yields ``(key, course)`` (or a :class:`RecordProblem` for a course that cannot be
    read), skipping keys in ``done`` where it can; ``roster(course)`` yields ``(user id, record)`` in
    :func:`user_key` order.
    """
    own = stream.own_state(state)
    marks = HighWaterMarks(own.get("hwm") or {}, lookback=lookback, full_refresh=full_refresh)
    current = dict(own.get("pass") or {})
    done: list[str] = [str(c) for c in current.get("done") or []]
    whole = dict(state)

    def snapshot(**position: Any) -> dict[str, Any]:
        # Built afresh for every batch from strings only, so batches take it without a JSON round trip.
        return {"hwm": dict(marks.marks), "pass": {"done": list(done), **position}}

    for key, course in courses(list(done)):
        if isinstance(course, RecordProblem):
            done.append(key)
            batch = stream.batch([], whole, snapshot(), (course,), fresh=True)
            whole = batch.state
            yield batch
            continue
        cid = str(course["id"])
        if cid in done:
            continue
        resuming = str(current.get("course")) == cid
        after_key = user_key(current["after_user"]) if resuming and current.get("after_user") is not None else None
        max_seen = parse_datetime(current.get("max_completed_at")) if resuming else None
        cutoff = marks.cutoff(cid)
        pending: list[CompletionRecord] = []
        for user_id, record in roster(course):
            if after_key is not None and user_key(user_id) <= after_key:
                continue
            # HighWaterMarks.wanted, inlined: this loop runs once per learner per course.
            when = record.completed_at
            if when is not None and record.status == "completed":
                if cutoff is not None and when < cutoff:
                    continue  # stored already (older than the mark minus the lookback)
                if max_seen is None or when > max_seen:
                    max_seen = when
            pending.append(record)
            if len(pending) >= batch_size:
                seen_text = iso_utc(max_seen) if max_seen is not None else None
                position = snapshot(course=cid, after_user=str(user_id), max_completed_at=seen_text)
                batch = stream.batch(pending, whole, position, fresh=True)
                whole = batch.state
                yield batch
                pending = []
        done.append(cid)
        if key != cid:
            done.append(key)
        marks.advance(cid, iso_utc(max_seen) if max_seen is not None else None)
        batch = stream.batch(pending, whole, snapshot(), fresh=True)
        whole = batch.state
        yield batch
    # The pass is over: the next read starts a new one from the marks.
    yield stream.batch([], whole, {"hwm": dict(marks.marks)}, fresh=True)
