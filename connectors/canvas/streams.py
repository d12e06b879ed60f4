"""The Canvas streams: ``course_progress`` (roster of each course) and ``learner_courses`` (learner-centric).

``course_progress`` runs resumable roster passes (:mod:`connectors.incremental`): Canvas has no server-side
filter on progress, so each pass re-reads every course and a completion high-water mark per course keeps
already-stored completions from being emitted again. Its cursor is ``completed_at``; inside a course records
go out in user-id order so a pass can resume after the last user handed over.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from datetime import timedelta
from typing import Any

from cebridge.domain.records import CompletionRecord
from cebridge.errors import ProviderContractError
from connectors.base import Batch, RecordProblem, Stream
from connectors.canvas.api import CanvasApi
from connectors.canvas.config import CanvasConfig
from connectors.canvas.records import course_ref, make_record
from connectors.errors import RemoteNotFound
from connectors.incremental import HighWaterMarks, later, read_roster_pass, sorted_user_ids

__all__ = ["CourseProgressStream", "LearnerCoursesStream"]

logger = logging.getLogger(__name__)


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
        yield from read_roster_pass(
            self,
            state,
            courses=self._courses,
            roster=self._roster,
            batch_size=self.config.batch_size,
            lookback=timedelta(hours=self.config.lookback_hours),
            full_refresh=self.config.full_refresh,
        )

    def _roster(self, course: Mapping[str, Any]) -> Iterator[tuple[str, CompletionRecord]]:
        """``(user id, record)`` for every student of the course, in user-id order."""
        course_id = course["id"]
        provider = self.api.client.provider
        blueprint = self.api.blueprint_id(course_id) if self.config.resolve_blueprints else None
        ref = course_ref(dict(course), blueprint)
        # What is kept for the whole course is kept small: the join holds three lists of a course at once, and
        # every container that stays alive that long is walked again by each of the garbage collector's passes.
        # So one enrollment is kept as itself (a list only for a learner in several sections) and a progress
        # item as (progress, display name), whose tuple the collector stops tracking.
        enrollments: dict[str, Any] = {}
        for enrollment in self.api.enrollments(course_id):
            if not isinstance(enrollment, dict) or (enrolled := enrollment.get("user_id")) is None:
                raise ProviderContractError(f"{provider}: an enrollment without user_id")
            key = str(enrolled)
            same_user = enrollments.get(key)
            if same_user is None:
                enrollments[key] = enrollment
            elif isinstance(same_user, list):
                same_user.append(enrollment)
            else:
                enrollments[key] = [same_user, enrollment]
        users: dict[str, dict[str, Any]] = {}
        if self.config.include_email:
            for user in self.api.users(course_id):
                if isinstance(user, dict) and (user_id := user.get("id")) is not None:
                    users[str(user_id)] = user
        progress: dict[str, tuple[Any, Any]] = {}
        pages = self.api.bulk_user_progress(course_id)
        bulk_available = pages is not None
        for page in pages or ():
            for item in page.items:
                if not isinstance(item, dict) or (item_id := item.get("id")) is None or "progress" not in item:
                    raise ProviderContractError(
                        f"{provider}: a bulk_user_progress item without id or progress in course {course_id}"
                    )
                progress[str(item_id)] = (item["progress"], item.get("display_name"))
        ids = sorted_user_ids(enrollments.keys() | progress.keys())
        source = self.source
        for uid in ids:
            found = progress.get(uid)
            if found is not None:
                prog, name = found
            else:
                if bulk_available:
                    logger.debug("course %s: user %s missing from bulk progress; asking per user", course_id, uid)
                prog = self.api.user_progress(course_id, uid)
                name = None
            enrolled_as = enrollments.get(uid)
            user_enrollments: list[dict[str, Any]]
            if enrolled_as is None:
                user_enrollments = []
                chosen = None
            elif isinstance(enrolled_as, list):
                user_enrollments = enrolled_as
                chosen = _best_enrollment(enrolled_as)
            else:
                user_enrollments = [enrolled_as]
                chosen = enrolled_as
            person = users.get(uid)
            raw: dict[str, Any] = {
                "course_id": course_id,
                "user_id": uid,
                "progress": prog,
                "enrollments": user_enrollments,
            }
            if person is not None:
                raw["user"] = person
            yield (
                uid,
                make_record(
                    source=source,
                    course=ref,
                    user_id=uid,
                    progress=prog,
                    enrollment=chosen,
                    user=person,
                    name=name,
                    raw=raw,
                ),
            )


def _best_enrollment(enrollments: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Of a learner's enrollments in one course (several sections), the one with a score, else the first."""
    if len(enrollments) < 2:
        return enrollments[0] if enrollments else None
    for enrollment in enrollments:
        grades = enrollment.get("grades")
        if isinstance(grades, dict) and (
            grades.get("final_score") is not None or grades.get("current_score") is not None
        ):
            return enrollment
    return enrollments[0]


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
        marks = HighWaterMarks(
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
                        max_seen = later(max_seen, record.completed_at)
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
