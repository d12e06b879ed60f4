"""The Canvas streams: ``course_progress`` (roster of each course) and ``learner_courses`` (learner-centric).

Incremental pulls (state of ``course_progress``)::

    {"hwm":  {"<course id>": "<latest completed_at emitted, UTC>"},
     "pass": {"done": ["<course id>", ...], "course": "<course id>", "after_user": <user id>,
              "max_completed_at": "<...>"}}

A *pass* reads every course once. Inside a course, records go out in user-id order, ``batch_size`` at a
time; each batch's state says which courses are done and the last user id handed over, so a resumed pass
re-reads the course's roster (Canvas has no server-side filter on progress) and emits only users after that
id. When a course is done its high-water mark becomes the latest ``completed_at`` it emitted. On later passes a
``completed`` record whose ``completed_at`` is older than the mark minus ``lookback_hours`` is not emitted
again (it was stored already); ``in_progress`` and ``no_requirements`` records are emitted on every pass so the
store sees progress move. ``full_refresh`` ignores the marks. Re-emitting is always safe: the store is
idempotent by ``(source, external_id)``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any

from cebridge.domain.records import CompletionRecord, CourseRef
from cebridge.errors import ProviderContractError
from connectors.base import Batch, RecordProblem, Stream
from connectors.canvas.api import CanvasApi
from connectors.canvas.config import CanvasConfig
from connectors.canvas.records import course_ref, make_record
from connectors.errors import RemoteNotFound
from connectors.values import iso_utc, parse_datetime

__all__ = ["CourseProgressStream", "LearnerCoursesStream"]

logger = logging.getLogger(__name__)


def _user_key(user_id: Any) -> tuple[int, int, str]:
    """Sort key for Canvas ids: numbers numerically, anything else after them as text."""
    text = str(user_id)
    return (0, int(text), "") if text.isdigit() else (1, 0, text)


class _Marks:
    """Completion high-water marks: which completed records are old enough not to re-emit."""

    def __init__(self, marks: Mapping[str, Any], *, lookback: timedelta, full_refresh: bool) -> None:
        self.marks = {str(k): str(v) for k, v in marks.items()}
        self.lookback = lookback
        self.full_refresh = full_refresh

    def cutoff(self, key: str) -> datetime | None:
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
        old = self.marks.get(key)
        if old is None or parse_datetime(seen) > parse_datetime(old):  # type: ignore[operator]
            self.marks[key] = seen


def _later(current: str | None, candidate: datetime | None) -> str | None:
    if candidate is None:
        return current
    text = iso_utc(candidate)
    if current is None or candidate > parse_datetime(current):  # type: ignore[operator]
        return text
    return current


class CourseProgressStream(Stream):
    """One record per student per course, from enrollments + module progress (+ e-mail)."""

    name = "course_progress"
    primary_key = ("source", "external_id")
    cursor_field = "completed_at"

    def __init__(self, api: CanvasApi, config: CanvasConfig, source: str) -> None:
        self.api = api
        self.config = config
        self.source = source

    def _courses(self, done: list[str]) -> Iterator[tuple[str, dict[str, Any] | RecordProblem]]:
        """``(key, course)`` for every course to read; a configured course Canvas does not know is a problem."""
        if self.config.course_ids:
            for cid in self.config.course_ids:
                if cid in done:
                    continue
                try:
                    course = self.api.course(cid)
                except RemoteNotFound:
                    yield cid, RecordProblem(where=f"course {cid}", reason="Canvas says this course does not exist")
                    continue
                yield cid, course
            return
        found = (
            self.api.account_courses(self.config.account_id) if self.config.account_id else self.api.teacher_courses()
        )
        for course in found:
            if not isinstance(course, dict) or course.get("id") is None:
                raise ProviderContractError(f"{self.api.client.provider}: a course without id")
            yield str(course["id"]), course

    def read(self, state: Mapping[str, Any]) -> Iterator[Batch]:
        own = self.own_state(state)
        marks = _Marks(
            own.get("hwm") or {},
            lookback=timedelta(hours=self.config.lookback_hours),
            full_refresh=self.config.full_refresh,
        )
        current_pass = dict(own.get("pass") or {})
        done: list[str] = [str(c) for c in current_pass.get("done") or []]
        whole = dict(state)

        def snapshot(**position: Any) -> dict[str, Any]:
            pass_state = {"done": list(done), **position}
            return {"hwm": dict(marks.marks), "pass": pass_state}

        for key, course in self._courses(done):
            if isinstance(course, RecordProblem):
                done.append(key)
                batch = self.batch([], whole, snapshot(), (course,))
                whole = batch.state
                yield batch
                continue
            cid = str(course["id"])
            if cid in done:
                continue
            resuming = str(current_pass.get("course")) == cid
            after = current_pass.get("after_user") if resuming else None
            max_seen: str | None = current_pass.get("max_completed_at") if resuming else None
            cutoff = marks.cutoff(cid)
            ref = course_ref(course, self.api.blueprint_id(course["id"]) if self.config.resolve_blueprints else None)
            pending: list[CompletionRecord] = []
            last_user: Any = after
            for user_id, record in self._roster(course, ref):
                if after is not None and _user_key(user_id) <= _user_key(after):
                    continue
                last_user = user_id
                if marks.wanted(record, cutoff):
                    pending.append(record)
                    if record.status == "completed":
                        max_seen = _later(max_seen, record.completed_at)
                if len(pending) >= self.config.batch_size:
                    batch = self.batch(
                        pending, whole, snapshot(course=cid, after_user=last_user, max_completed_at=max_seen)
                    )
                    whole = batch.state
                    yield batch
                    pending = []
            done.append(cid)
            if key != cid:
                done.append(key)
            marks.advance(cid, max_seen)
            batch = self.batch(pending, whole, snapshot())
            whole = batch.state
            yield batch
        # The pass is over: the next read starts a new one from the marks.
        final = self.batch([], whole, {"hwm": dict(marks.marks)})
        yield final

    def _roster(self, course: dict[str, Any], ref: CourseRef) -> Iterator[tuple[Any, CompletionRecord]]:
        """``(user id, record)`` for every student of the course, in user-id order."""
        course_id = course["id"]
        enrollments: dict[str, list[dict[str, Any]]] = {}
        for enrollment in self.api.enrollments(course_id):
            if not isinstance(enrollment, dict) or enrollment.get("user_id") is None:
                raise ProviderContractError(f"{self.api.client.provider}: an enrollment without user_id")
            enrollments.setdefault(str(enrollment["user_id"]), []).append(enrollment)
        users: dict[str, dict[str, Any]] = {}
        if self.config.include_email:
            for user in self.api.users(course_id):
                if isinstance(user, dict) and user.get("id") is not None:
                    users[str(user["id"])] = user
        progress: dict[str, dict[str, Any]] = {}
        pages = self.api.bulk_user_progress(course_id)
        bulk_available = pages is not None
        for page in pages or ():
            for item in page.items:
                if not isinstance(item, dict) or item.get("id") is None or "progress" not in item:
                    raise ProviderContractError(
                        f"{self.api.client.provider}: a bulk_user_progress item without id or progress "
                        f"in course {course_id}"
                    )
                progress[str(item["id"])] = item
        ids = sorted(set(enrollments) | set(progress), key=_user_key)
        for uid in ids:
            item = progress.get(uid)
            if item is not None:
                prog = item["progress"]
                name = item.get("display_name")
            else:
                if bulk_available:
                    logger.debug("course %s: user %s missing from bulk progress; asking per user", course_id, uid)
                prog = self.api.user_progress(course_id, uid)
                name = None
            user_enrollments = enrollments.get(uid, [])
            chosen = _best_enrollment(user_enrollments)
            raw: dict[str, Any] = {
                "course_id": course_id,
                "user_id": uid,
                "progress": prog,
                "enrollments": user_enrollments,
            }
            if uid in users:
                raw["user"] = users[uid]
            yield (
                uid,
                make_record(
                    source=self.source,
                    course=ref,
                    user_id=uid,
                    progress=prog,
                    enrollment=enrollment,
                    user=users.get(uid),
                    name=name,
                    raw=raw,
                ),
            )


def _best_enrollment(enrollments: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Of a learner's enrollments in one course (several sections), the one with a score, else the first."""
    for enrollment in enrollments:
        grades = enrollment.get("grades")
        if isinstance(grades, dict) and (grades.get("final_score") is not None or grades.get("current_score")):
            return enrollment
    return enrollments[0] if enrollments else None


class LearnerCoursesStream(Stream):
    """Learner-centric: each configured learner's courses with ``include[]=course_progress``.

    State: ``{"hwm": {"<user id>": "<latest completed_at>"}, "pass": {"done": ["<user id>", ...]}}``; one
    batch per learner.
    """

    name = "learner_courses"
    primary_key = ("source", "external_id")
    cursor_field = "completed_at"

    def __init__(self, api: CanvasApi, config: CanvasConfig, source: str) -> None:
        self.api = api
        self.config = config
        self.source = source
        self._blueprints: dict[str, str | None] = {}

    def read(self, state: Mapping[str, Any]) -> Iterator[Batch]:
        own = self.own_state(state)
        marks = _Marks(
            own.get("hwm") or {},
            lookback=timedelta(hours=self.config.lookback_hours),
            full_refresh=self.config.full_refresh,
        )
        done = [str(u) for u in (own.get("pass") or {}).get("done") or []]
        whole = dict(state)
        for uid in self.config.user_ids:
            if uid in done:
                continue
            cutoff = marks.cutoff(uid)
            records: list[CompletionRecord] = []
            max_seen: str | None = None
            for record in self._learner_records(uid):
                if marks.wanted(record, cutoff):
                    records.append(record)
                    if record.status == "completed":
                        max_seen = _later(max_seen, record.completed_at)
            done.append(uid)
            marks.advance(uid, max_seen)
            batch = self.batch(records, whole, {"hwm": dict(marks.marks), "pass": {"done": list(done)}})
            whole = batch.state
            yield batch
        yield self.batch([], whole, {"hwm": dict(marks.marks)})

    def _blueprint(self, course_id: Any) -> str | None:
        key = str(course_id)
        if key not in self._blueprints:
            self._blueprints[key] = self.api.blueprint_id(course_id) if self.config.resolve_blueprints else None
        return self._blueprints[key]

    def _learner_records(self, uid: str) -> Iterator[CompletionRecord]:
        seen: set[str] = set()
        lookup: Callable[[Any], str | None] = self._blueprint
        for enrollment_state in ("active", "completed"):
            for course in self.api.learner_courses(uid, enrollment_state):
                if not isinstance(course, dict) or course.get("id") is None:
                    raise ProviderContractError(f"{self.api.client.provider}: a course without id")
                cid = str(course["id"])
                if cid in seen:
                    continue
                seen.add(cid)
                if "course_progress" not in course:
                    raise ProviderContractError(
                        f"{self.api.client.provider}: courses of user {uid} came without course_progress; "
                        "a scoped developer key needs 'Allow Include Parameters'"
                    )
                mine = [
                    e
                    for e in course.get("enrollments") or []
                    if isinstance(e, dict) and str(e.get("user_id", uid)) == uid
                ]
                enrollment = mine[0] if mine else None
                yield make_record(
                    source=self.source,
                    course=course_ref(course, lookup(course["id"])),
                    user_id=uid,
                    progress=course["course_progress"],
                    enrollment=enrollment,
                    user=None,
                    name=None,
                    raw={"course": course, "user_id": uid, "enrollment_state": enrollment_state},
                )
