"""The Moodle connector: course completion, CE hours from a course custom field, certificate issues.

Per course (a roster pass, see :mod:`connectors.incremental`):

1. ``core_course_get_courses_by_field`` — title, ``idnumber`` (SIS id) and ``customfields``; the field whose
   ``shortname`` is ``hours_field`` gives the CE hours (its ``valueraw``);
2. ``core_enrol_get_enrolled_users`` — learners tracked by completion, paged with ``limitfrom/limitnumber``;
3. ``core_enrol_get_users_courses`` — once per learner: ``completed``, ``progress`` and
   ``completionhascriteria`` for every course of theirs;
4. ``core_completion_get_course_completion_status`` — only where (3) says completed or cannot say: the
   criteria and their ``timecompleted``;
5. ``mod_customcert_list_issues`` (with ``core_course_get_contents`` to find the course's certificate
   activities) — when the site has mod_customcert v4.4.7+/v5.0.1+; any Moodle exception here means "not
   available" and the connector goes on without certificates.

Completion date: Moodle's web services do not return the course-level completion time. A completed record's
``completed_at`` is the latest ``timecompleted`` among the criteria; when no criterion carries one, the
learner's earliest certificate issue in the course (``issue.timecreated``); otherwise it stays empty.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any, ClassVar

import requests

from cebridge.domain.records import CompletionRecord, CourseRef, LearnerRef, RecordStatus
from cebridge.errors import CebridgeError, ProviderContractError
from connectors.base import Batch, CheckResult, Connector, ConnectorConfig, RecordProblem, Stream
from connectors.errors import ProviderRequestError
from connectors.http import HttpClient
from connectors.incremental import read_roster_pass, user_key
from connectors.moodle.api import MoodleApi
from connectors.moodle.config import MoodleConfig
from connectors.values import epoch_to_datetime, host_of, to_decimal

__all__ = ["REQUIRED_FUNCTIONS", "MoodleConnector"]

logger = logging.getLogger(__name__)

REQUIRED_FUNCTIONS = (
    "core_webservice_get_site_info",
    "core_course_get_courses_by_field",
    "core_enrol_get_enrolled_users",
    "core_enrol_get_users_courses",
    "core_completion_get_course_completion_status",
)
CERTIFICATE_FUNCTIONS = ("mod_customcert_list_issues", "core_course_get_contents")


class CourseCompletionStream(Stream):
    """One record per tracked learner per course."""

    name = "course_completion"
    primary_key = ("source", "external_id")
    cursor_field = "completed_at"

    def __init__(self, api: MoodleApi, config: MoodleConfig, source: str) -> None:
        self.api = api
        self.config = config
        self.source = source
        self._user_courses: dict[str, dict[str, dict[str, Any]]] = {}
        self._certificates_available = config.certificates

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

    def _courses(self, done: list[str]) -> Iterator[tuple[str, Mapping[str, Any] | RecordProblem]]:
        if self.config.course_ids:
            for cid in self.config.course_ids:
                if str(cid) in done:
                    continue
                found = self.api.courses_by_field("id", str(cid))
                if not found:
                    yield str(cid), RecordProblem(where=f"course {cid}", reason="Moodle returned no such course")
                    continue
                yield str(cid), found[0]
            return
        for course in sorted(self.api.courses_by_field(), key=lambda c: user_key(c.get("id"))):
            if course.get("format") == "site" or course.get("id") == 1:
                continue  # the front page is a course in Moodle's tables, not a learning course
            yield str(course["id"]), course

    # -- one course ----------------------------------------------------------------------------------

    def _roster(self, course: Mapping[str, Any]) -> Iterator[tuple[str, CompletionRecord]]:
        course_id = course["id"]
        ref = CourseRef(
            external_id=str(course_id),
            title=course.get("fullname") or course.get("shortname") or None,
            sis_id=course.get("idnumber") or None,
        )
        hours = self._hours(course)
        users = sorted(self.api.enrolled_users(course_id, page_size=self.config.page_size), key=_id_key)
        certificates = self._certificates(course_id)
        no_criteria = False
        for user in users:
            uid = str(user["id"])
            summary = self._users_courses(uid).get(str(course_id))
            status: RecordStatus
            completion: dict[str, Any] | None = None
            if no_criteria or (summary is not None and summary.get("completionhascriteria") is False):
                status = "no_requirements"
            elif summary is not None and summary.get("completed") is False:
                status = "in_progress"
            else:
                try:
                    completion = self.api.completion_status(course_id, uid)
                except ProviderRequestError as exc:
                    if exc.code == "nocriteriaset":
                        no_criteria = True
                        status = "no_requirements"
                    elif exc.code in {"notenroled", "usernotenroled"}:
                        continue  # left the course between the two calls
                    else:
                        raise
                else:
                    status = "completed" if completion.get("completed") is True else "in_progress"
            issue = certificates.get(uid)
            completed_at = _completion_time(completion, issue) if status == "completed" else None
            raw: dict[str, Any] = {"course_id": course_id, "user_id": user["id"]}
            if summary is not None:
                raw["users_courses"] = {k: summary.get(k) for k in ("completed", "progress", "completionhascriteria")}
            if completion is not None:
                raw["completionstatus"] = completion
            if issue is not None:
                raw["certificate"] = issue
            yield (
                uid,
                CompletionRecord(
                    source=self.source,
                    external_id=f"{course_id}:{uid}",
                    learner=self._learner(user),
                    course=ref,
                    status=status,
                    completed_at=completed_at,
                    hours=hours,
                    raw=raw,
                ),
            )

    def _hours(self, course: Mapping[str, Any]) -> Any:
        if not self.config.hours_field:
            return None
        for field in course.get("customfields") or []:
            if isinstance(field, dict) and field.get("shortname") == self.config.hours_field:
                try:
                    return to_decimal(field.get("valueraw", field.get("value")))
                except ValueError:
                    raise ProviderContractError(
                        f"{self.api.client.provider}: course {course.get('id')} custom field "
                        f"{self.config.hours_field!r} is not a number"
                    ) from None
        return None

    def _learner(self, user: Mapping[str, Any]) -> LearnerRef:
        license_number = None
        if self.config.license_field:
            for field in user.get("customfields") or []:
                if isinstance(field, dict) and field.get("shortname") == self.config.license_field:
                    license_number = str(field.get("value") or "").strip() or None
        return LearnerRef(
            platform_user_id=str(user["id"]),
            email=user.get("email") or None,
            license_number=license_number,
            name=user.get("fullname") or None,
        )

    def _users_courses(self, uid: str) -> dict[str, dict[str, Any]]:
        if uid not in self._user_courses:
            self._user_courses[uid] = {
                str(c["id"]): c for c in self.api.users_courses(uid) if isinstance(c, dict) and "id" in c
            }
        return self._user_courses[uid]

    def _certificates(self, course_id: Any) -> dict[str, dict[str, Any]]:
        """Earliest certificate issue per learner in this course; empty when the site has no customcert."""
        if not self._certificates_available:
            return {}
        try:
            instances = [
                module.get("instance")
                for section in self.api.course_contents(course_id)
                for module in section.get("modules") or []
                if isinstance(module, dict) and module.get("modname") == "customcert"
            ]
            earliest: dict[str, dict[str, Any]] = {}
            for instance in instances:
                for item in self.api.certificate_issues(instance, page_size=min(500, self.config.page_size)):
                    issue, user = item.get("issue") or {}, item.get("user") or {}
                    if user.get("id") is None or issue.get("timecreated") is None:
                        continue
                    uid = str(user["id"])
                    if uid not in earliest or issue["timecreated"] < earliest[uid]["timecreated"]:
                        earliest[uid] = {k: issue.get(k) for k in ("id", "customcertid", "code", "timecreated")}
        except ProviderRequestError as exc:
            logger.warning(
                "%s: certificates unavailable (%s); going on without them", self.api.client.provider, exc.code
            )
            self._certificates_available = False
            return {}
        return earliest


def _id_key(user: Mapping[str, Any]) -> tuple[int, int, str]:
    if user.get("id") is None:
        raise ProviderContractError("an enrolled user without id")
    return user_key(user["id"])


def _completion_time(completion: Mapping[str, Any] | None, issue: Mapping[str, Any] | None) -> datetime | None:
    times: list[datetime] = []
    for criterion in (completion or {}).get("completions") or []:
        if isinstance(criterion, dict) and criterion.get("complete"):
            when = epoch_to_datetime(criterion.get("timecompleted"))
            if when is not None:
                times.append(when)
    if times:
        return max(times)
    if issue is not None:
        return epoch_to_datetime(issue.get("timecreated"))
    return None


class MoodleConnector(Connector):
    """Reads Moodle course completion into CompletionRecords."""

    name: ClassVar[str] = "moodle"
    title: ClassVar[str] = "Moodle"
    config_model: ClassVar[type[ConnectorConfig]] = MoodleConfig

    def __init__(self, config: ConnectorConfig, *, session: requests.Session | None = None) -> None:
        super().__init__(config, session=session)
        assert isinstance(config, MoodleConfig)
        self.cfg = config
        token = config.token.get_secret_value()
        self.client = HttpClient(
            provider=f"Moodle at {host_of(config.base_url)}",
            auth_field="token",
            session=session,
            timeout=config.timeouts(),
            policy=config.retry_policy(),
            secrets=(token,),
            base_url=config.base_url,
        )
        self.api = MoodleApi(self.client, config.base_url, token)

    def default_source(self) -> str:
        return f"moodle:{host_of(self.cfg.base_url)}"

    def streams(self) -> list[Stream]:
        return [CourseCompletionStream(self.api, self.cfg, self.source)]

    def check(self) -> CheckResult:
        """``core_webservice_get_site_info``: the token works, and which needed functions its service lacks."""
        try:
            info = self.api.site_info()
        except CebridgeError as exc:
            return CheckResult(False, exc.user_message)
        names = {f.get("name") for f in info.get("functions") or [] if isinstance(f, dict)}
        where = f"Moodle at {host_of(self.cfg.base_url)} ({info.get('release') or 'unknown release'})"
        missing = [f for f in REQUIRED_FUNCTIONS if f not in names]
        if missing:
            return CheckResult(False, f"{where}: token accepted but its service lacks {', '.join(missing)}")
        note = ""
        if self.cfg.certificates and not all(f in names for f in CERTIFICATE_FUNCTIONS):
            note = "; mod_customcert_list_issues not available (certificates will be skipped)"
        return CheckResult(True, f"{where}: token accepted; all required functions available{note}")

    def close(self) -> None:
        self.client.close()
