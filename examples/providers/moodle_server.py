"""A Moodle-shaped web-service provider on 127.0.0.1 for tests and the demo.

``POST /webservice/rest/server.php`` with ``wstoken``, ``wsfunction``, ``moodlewsrestformat=json`` and
PHP-style array fields, answering the documented return structures (docs/connectors.md §2) and Moodle's error
shape: HTTP 200 with ``{"exception", "errorcode", "message"}`` (``invalidtoken``, ``nocriteriaset``,
``invalidrecord`` for a function the site does not have, ``invalidparameter`` for missing parameters).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

try:
    from examples.providers._httpserver import LoopbackServer, Request, Response
except ImportError:  # pragma: no cover - script mode
    from _httpserver import LoopbackServer, Request, Response  # type: ignore[no-redef]

__all__ = ["MoodleServer", "MoodleSite", "generate_site", "unflatten"]

#: The fake server's token: not a secret, it only opens this loopback fake.
TEST_TOKEN = "moodle-test-token-abcdef012345"  # noqa: S105

BASE_FUNCTIONS = [
    "core_webservice_get_site_info",
    "core_course_get_courses_by_field",
    "core_enrol_get_enrolled_users",
    "core_enrol_get_users_courses",
    "core_completion_get_course_completion_status",
    "core_course_get_contents",
]


def unflatten(pairs: dict[str, list[str]]) -> dict[str, Any]:
    """PHP-style ``a[0][name]=x`` form fields back into nested dicts (lists stay dicts keyed by index)."""
    out: dict[str, Any] = {}
    for key, values in pairs.items():
        parts = re.findall(r"[^\[\]]+", key)
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = values[-1]
    return out


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [value[k] for k in sorted(value, key=int)]
    return []


@dataclass
class MoodleSite:
    token: str = TEST_TOKEN
    release: str = "4.4.7 (Build: 20250210)"
    courses: dict[int, dict[str, Any]] = field(default_factory=dict)
    users: dict[int, dict[str, Any]] = field(default_factory=dict)
    enrolments: dict[int, list[int]] = field(default_factory=dict)
    completion: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    no_criteria: set[int] = field(default_factory=set)
    customcert: bool = True
    certificates: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # course -> issues
    certificate_activity: dict[int, int] = field(default_factory=dict)  # course -> customcertid


def _ts(day: int, minute: int = 0) -> int:
    return int(datetime(2024, 4, day, 12, minute, tzinfo=UTC).timestamp())


def generate_site(*, courses: int = 2, students: int = 12, token: str = TEST_TOKEN) -> MoodleSite:
    """Student ``j``: ``j % 3 == 0`` completed (criteria with ``timecompleted``), ``1`` part-way, ``2`` not
    started; every fourth completer's criteria carry no time, so the date comes from their certificate. The
    second course (when there are two or more) has no completion criteria."""
    site = MoodleSite(token=token)
    for j in range(students):
        uid = 200 + j
        site.users[uid] = {
            "id": uid,
            "username": f"clin{j}",
            "fullname": f"Clinician {j}",
            "email": f"clin{j}@example.org",
            "idnumber": f"EMP{j:03d}",
            "customfields": [
                {"type": "text", "value": f"LPC {70000 + j}", "name": "License number", "shortname": "licensenumber"}
            ],
        }
    for i in range(courses):
        cid = 10 + i
        site.courses[cid] = {
            "id": cid,
            "fullname": f"Suicide Prevention for Counselors {i + 1}",
            "displayname": f"Suicide Prevention for Counselors {i + 1}",
            "shortname": f"SP{i + 1}",
            "categoryid": 1,
            "idnumber": f"CE-MDL-{cid}",
            "format": "topics",
            "enablecompletion": 1,
            "customfields": [
                {
                    "name": "CE hours",
                    "shortname": "cehours",
                    "type": "text",
                    "valueraw": f"{i + 2}.5",
                    "value": f"{i + 2}.5",
                }
            ],
        }
        site.enrolments[cid] = [200 + j for j in range(students)]
        site.certificate_activity[cid] = 70 + i
        site.certificates[cid] = []
        if i == 1:
            site.no_criteria.add(cid)
            continue
        for j in range(students):
            uid = 200 + j
            done = j % 3 == 0
            timed = not (done and j % 4 == 0)
            site.completion[(cid, uid)] = {
                "completed": done,
                "aggregation": 1,
                "completions": [
                    {
                        "type": 4,
                        "title": "Activity completion",
                        "status": "Yes" if done else "No",
                        "complete": done or j % 3 == 1,
                        "timecompleted": (_ts(3 + i, j) if timed else None) if done or j % 3 == 1 else None,
                        "details": {
                            "type": "Activity completion",
                            "criteria": "Quiz",
                            "requirement": "Pass",
                            "status": "",
                        },
                    },
                    {
                        "type": 6,
                        "title": "Course grade",
                        "status": "Yes" if done else "No",
                        "complete": done,
                        "timecompleted": (_ts(5 + i, j) if timed else None) if done else None,
                        "details": {"type": "Course grade", "criteria": "Grade", "requirement": "70%", "status": ""},
                    },
                ],
            }
            if done:
                site.certificates[cid].append(
                    {
                        "issue": {
                            "id": cid * 1000 + j,
                            "customcertid": 70 + i,
                            "code": f"C{cid}X{j:04d}",
                            "emailed": False,
                            "timecreated": _ts(6 + i, j),
                        },
                        "user": {
                            "id": uid,
                            "fullname": f"Clinician {j}",
                            "username": f"clin{j}",
                            "email": f"clin{j}@example.org",
                        },
                        "template": {"id": 7, "name": "CE certificate", "contextid": 99},
                        "pdf": {"name": "ce_certificate_certificate.pdf", "content": None, "haspdf": False},
                    }
                )
    return site


def _error(exception: str, errorcode: str, message: str) -> Response:
    return Response(200, {"exception": exception, "errorcode": errorcode, "message": message})


class _Raise(Exception):
    """Raised by a function handler to answer a Moodle error instead of a result."""

    def __init__(self, response: Response) -> None:
        super().__init__("moodle error")
        self.response = response


class MoodleServer(LoopbackServer):
    """The fake Moodle; ``site`` may be changed while it runs."""

    def __init__(self, site: MoodleSite | None = None) -> None:
        self.site = site or generate_site()
        super().__init__(self._dispatch)

    def functions(self) -> list[str]:
        return BASE_FUNCTIONS + (["mod_customcert_list_issues"] if self.site.customcert else [])

    def _dispatch(self, req: Request, _server: LoopbackServer) -> Response:
        if req.path != "/webservice/rest/server.php":
            return Response(404, b"Not found", {"Content-Type": "text/html"})
        params = unflatten(req.query)
        if params.get("wstoken") != self.site.token:
            return _error("moodle_exception", "invalidtoken", "Invalid token - token not found")
        function = str(params.get("wsfunction", ""))
        if function not in self.functions():
            return _error(
                "dml_missing_record_exception",
                "invalidrecord",
                "Can't find data record in database table external_functions.",
            )
        handler = getattr(self, "_" + function, None)
        if handler is None:  # pragma: no cover
            return _error("moodle_exception", "invalidrecord", "not implemented")
        try:
            return Response(200, handler(params))
        except _Raise as exc:
            return exc.response
        except KeyError as exc:
            return _error(
                "invalid_parameter_exception", "invalidparameter", f"Invalid parameter value detected ({exc})"
            )

    # -- functions -----------------------------------------------------------------------------------

    def _core_webservice_get_site_info(self, p: dict[str, Any]) -> Any:
        return {
            "sitename": "CE Moodle",
            "username": "wsuser",
            "userid": 2,
            "siteurl": self.url,
            "release": self.site.release,
            "version": "2024042207",
            "functions": [{"name": f, "version": "2024042200"} for f in self.functions()],
        }

    def _core_course_get_courses_by_field(self, p: dict[str, Any]) -> Any:
        field_name, value = p.get("field", ""), p.get("value", "")
        courses = list(self.site.courses.values())
        if field_name == "id":
            courses = [c for c in courses if str(c["id"]) == value]
        site_course = {"id": 1, "fullname": "CE Moodle", "shortname": "ce", "format": "site", "customfields": []}
        return {"courses": ([site_course] if not field_name else []) + courses, "warnings": []}

    def _core_enrol_get_enrolled_users(self, p: dict[str, Any]) -> Any:
        cid = int(p["courseid"])
        options = {o["name"]: o["value"] for o in _as_list(p.get("options"))}
        start = int(options.get("limitfrom", 0))
        limit = int(options.get("limitnumber", 0)) or 10**9
        ids = sorted(self.site.enrolments.get(cid, []))[start : start + limit]
        return [
            dict(self.site.users[u], roles=[{"roleid": 5, "name": "", "shortname": "student", "sortorder": 0}])
            for u in ids
        ]

    def _core_enrol_get_users_courses(self, p: dict[str, Any]) -> Any:
        uid = int(p["userid"])
        out = []
        for cid, course in self.site.courses.items():
            if uid not in self.site.enrolments.get(cid, []):
                continue
            comp = self.site.completion.get((cid, uid))
            has_criteria = cid not in self.site.no_criteria
            done_count = sum(1 for c in (comp or {}).get("completions", []) if c["complete"])
            out.append(
                {
                    "id": cid,
                    "shortname": course["shortname"],
                    "fullname": course["fullname"],
                    "displayname": course["displayname"],
                    "idnumber": course["idnumber"],
                    "visible": 1,
                    "format": course["format"],
                    "enablecompletion": True,
                    "completionhascriteria": has_criteria,
                    "completionusertracked": True,
                    "category": 1,
                    "progress": (100.0 * done_count / 2) if has_criteria else None,
                    "completed": bool(comp and comp["completed"]) if has_criteria else False,
                    "startdate": 0,
                    "enddate": 0,
                    "lastaccess": None,
                    "hidden": False,
                }
            )
        return out

    def _core_completion_get_course_completion_status(self, p: dict[str, Any]) -> Any:
        cid, uid = int(p["courseid"]), int(p["userid"])
        if cid in self.site.no_criteria:
            raise _Raise(_error("moodle_exception", "nocriteriaset", "No criteria set for this course"))
        if uid not in self.site.enrolments.get(cid, []):
            raise _Raise(_error("moodle_exception", "notenroled", "User is not enrolled in this course"))
        return {"completionstatus": self.site.completion[(cid, uid)], "warnings": []}

    def _core_course_get_contents(self, p: dict[str, Any]) -> Any:
        cid = int(p["courseid"])
        modules = []
        if self.site.customcert and cid in self.site.certificate_activity:
            modules.append(
                {
                    "id": 900 + cid,
                    "name": "Certificate",
                    "instance": self.site.certificate_activity[cid],
                    "modname": "customcert",
                }
            )
        modules.append({"id": 800 + cid, "name": "Post-test", "instance": 5, "modname": "quiz"})
        return [{"id": 1, "name": "General", "section": 0, "modules": modules}]

    def _mod_customcert_list_issues(self, p: dict[str, Any]) -> Any:
        certid = int(p["customcertid"])
        offset, limit = int(p.get("offset", 0)), min(int(p.get("limit", 100)), 500)
        issues = [i for items in self.site.certificates.values() for i in items if i["issue"]["customcertid"] == certid]
        issues.sort(key=lambda i: i["issue"]["timecreated"], reverse=True)
        return issues[offset : offset + limit]
