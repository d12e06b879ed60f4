"""A Moodle-shaped provider for the demo: the web-service functions the Moodle connector calls.

``POST /webservice/rest/server.php`` with ``wstoken``, ``wsfunction`` and PHP-style array fields, answering the
documented return structures and Moodle's error shape (HTTP 200 with ``exception``/``errorcode``/``message``).
Course hours are the ``cehours`` custom field; a learner's license number is the ``licensenumber`` profile field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from cebridge.demo.loopback import LoopbackServer, Reply, Request

FUNCTIONS = (
    "core_webservice_get_site_info",
    "core_course_get_courses_by_field",
    "core_enrol_get_enrolled_users",
    "core_enrol_get_users_courses",
    "core_completion_get_course_completion_status",
    "core_course_get_contents",
)


def _error(errorcode: str, message: str) -> Reply:
    return Reply(200, {"exception": "moodle_exception", "errorcode": errorcode, "message": message})


def _epoch(value: str) -> int:
    return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())


def _nested(params: Mapping[str, list[str]]) -> dict[str, Any]:
    """PHP-style ``options[0][name]=limitfrom`` fields as nested dicts."""
    out: dict[str, Any] = {}
    for key, values in params.items():
        parts = re.findall(r"[^\[\]]+", key)
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = values[-1]
    return out


class MoodleSite:
    """Serves one site (``{"courses": [...], "users": [...], "enrolments": [...]}``) behind ``token``."""

    def __init__(self, site: Mapping[str, Any], token: str) -> None:
        self.token = token
        self.courses = {int(c["id"]): dict(c) for c in site["courses"]}
        self.users = {int(u["id"]): dict(u) for u in site["users"]}
        self.enrolments = [dict(e) for e in site["enrolments"]]
        self.server = LoopbackServer(self.answer)

    @property
    def record_count(self) -> int:
        """How many records a full pull yields (one per enrolment)."""
        return len(self.enrolments)

    def answer(self, req: Request) -> Reply:
        if req.method != "POST" or req.path != "/webservice/rest/server.php":
            return Reply(404, {"error": "not found"})
        params = _nested(req.params)
        if params.get("wstoken") != self.token:
            return _error("invalidtoken", "Invalid token - token not found")
        function = str(params.get("wsfunction", ""))
        if function not in FUNCTIONS:
            return _error("invalidrecord", "Can't find data record in database table external_functions.")
        try:
            return Reply(200, getattr(self, "_" + function)(params))
        except (KeyError, ValueError) as exc:
            return _error("invalidparameter", f"Invalid parameter value detected ({type(exc).__name__})")

    def _enrolment(self, course_id: int, user_id: int) -> dict[str, Any] | None:
        return next((e for e in self.enrolments if e["course_id"] == course_id and e["user_id"] == user_id), None)

    def _core_webservice_get_site_info(self, p: dict[str, Any]) -> Any:
        return {
            "sitename": "Pacific Counseling Institute",
            "username": "ws-cebridge",
            "userid": 2,
            "release": "4.4.7 (Build: 20250210)",
            "functions": [{"name": f, "version": "2024042200"} for f in FUNCTIONS],
        }

    def _core_course_get_courses_by_field(self, p: dict[str, Any]) -> Any:
        wanted = [c for c in self.courses.values() if p.get("field") != "id" or str(c["id"]) == p.get("value")]
        courses = [
            {
                "id": c["id"],
                "fullname": c["fullname"],
                "displayname": c["fullname"],
                "shortname": c["shortname"],
                "idnumber": c["idnumber"],
                "format": "topics",
                "enablecompletion": 1,
                "customfields": [
                    {"name": "CE hours", "shortname": "cehours", "type": "text", "valueraw": c["hours"]},
                ],
            }
            for c in wanted
        ]
        return {"courses": courses, "warnings": []}

    def _core_enrol_get_enrolled_users(self, p: dict[str, Any]) -> Any:
        cid = int(p["courseid"])
        options = {o["name"]: o["value"] for o in (p.get("options") or {}).values()}
        start, limit = int(options.get("limitfrom", 0)), int(options.get("limitnumber", 0)) or 10**6
        ids = sorted(e["user_id"] for e in self.enrolments if e["course_id"] == cid)[start : start + limit]
        return [self._user(uid) for uid in ids]

    def _user(self, uid: int) -> dict[str, Any]:
        u = self.users[uid]
        fields = [
            {"shortname": "licensenumber", "name": "License number", "type": "text", "value": u["license_number"]}
        ]
        return {"id": uid, "fullname": u["fullname"], "email": u["email"], "customfields": fields}

    def _core_enrol_get_users_courses(self, p: dict[str, Any]) -> Any:
        uid = int(p["userid"])
        out = []
        for e in self.enrolments:
            if e["user_id"] != uid:
                continue
            course = self.courses[e["course_id"]]
            done = bool(e.get("completed_at"))
            out.append(
                {
                    "id": course["id"],
                    "fullname": course["fullname"],
                    "shortname": course["shortname"],
                    "idnumber": course["idnumber"],
                    "completionhascriteria": True,
                    "completed": done,
                    "progress": 100.0 if done else 50.0,
                }
            )
        return out

    def _core_completion_get_course_completion_status(self, p: dict[str, Any]) -> Any:
        enrolment = self._enrolment(int(p["courseid"]), int(p["userid"]))
        if enrolment is None:
            return _error("notenroled", "User is not enrolled in this course").body
        when = enrolment.get("completed_at")
        criterion = {
            "type": 4,
            "title": "Activity completion",
            "status": "Yes" if when else "No",
            "complete": bool(when),
            "timecompleted": _epoch(when) if when else None,
        }
        return {"completionstatus": {"completed": bool(when), "aggregation": 1, "completions": [criterion]}}

    def _core_course_get_contents(self, p: dict[str, Any]) -> Any:
        return [{"id": 1, "name": "General", "section": 0, "modules": []}]
