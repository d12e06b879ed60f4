"""A Canvas-shaped provider on 127.0.0.1 for tests, the demo and the sync benchmark.

Serves the endpoints the Canvas connector reads with the documented shapes only (docs/connectors.md §1:
Course, Enrollment + Grade, User, CourseProgress and its ``error`` form, bulk_user_progress items,
BlueprintSubscription), Canvas-style ``Link`` pagination (absolute, opaque URLs; bookmark tokens on
enrollments; a lower-case ``link`` header on course users; no ``rel="last"`` there), Bearer auth (401 with
``WWW-Authenticate`` for a bad token), ``X-Rate-Limit-Remaining`` and scripted faults (see
:mod:`examples.providers._httpserver`). Enrollment and user lists honour the state filters the way Canvas
does: concluded (``completed``) enrollments only when asked for.

Run it by hand::

    python examples/providers/canvas_server.py --courses 3 --students 20
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

try:  # imported as a package (tests, benchmarks) or run as a script
    from examples.providers._httpserver import LoopbackServer, Request, Response
except ImportError:  # pragma: no cover - script mode
    from _httpserver import LoopbackServer, Request, Response  # type: ignore[no-redef]

__all__ = ["CanvasServer", "CanvasSite", "generate_site"]

NOT_MODULE_BASED = (
    "no progress available because this course is not module based (has modules and module completion "
    "requirements) or the user is not enrolled as a student in this course"
)


#: The fake server's token: not a secret, it only opens this loopback fake.
TEST_TOKEN = "canvas-test-token-0123456789"  # noqa: S105


@dataclass
class CanvasSite:
    """What the fake Canvas knows. Mutate it between syncs to simulate change."""

    token: str = TEST_TOKEN
    courses: dict[int, dict[str, Any]] = field(default_factory=dict)
    enrollments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    progress: dict[int, dict[int, dict[str, Any]]] = field(default_factory=dict)
    users: dict[int, dict[str, Any]] = field(default_factory=dict)
    blueprints: dict[int, dict[str, Any]] = field(default_factory=dict)
    teacher_course_ids: list[int] = field(default_factory=list)
    account_id: int = 1
    bulk_progress_available: bool = True
    bulk_includes_concluded: bool = True
    max_per_page: int = 100
    rate_limit_remaining: float | None = 700.0
    #: Serve each distinct URL's answer from memory after the first time (benchmarks: a site that never changes).
    cache_pages: bool = False

    def course_students(self, course_id: int, states: set[str]) -> list[dict[str, Any]]:
        return [e for e in self.enrollments.get(course_id, []) if e["enrollment_state"] in states]


def generate_site(
    *,
    courses: int = 3,
    students: int = 20,
    first_course_id: int = 101,
    first_user_id: int = 5001,
    no_requirements: tuple[int, ...] | None = None,
    token: str = TEST_TOKEN,
) -> CanvasSite:
    """A deterministic site: every student in every course.

    Student ``j``: ``j % 3 == 0`` completed the course, ``1`` is part-way, ``2`` has not started; every
    tenth student's enrollment is concluded (``completed``). Courses listed in ``no_requirements`` (default:
    the third course when there are three or more) have no module requirements, so their progress is Canvas's
    ``error`` object. Even-numbered courses are associated with blueprint course 900.
    """
    if no_requirements is None:
        no_requirements = (first_course_id + 2,) if courses >= 3 else ()
    site = CanvasSite(token=token)
    base = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
    for j in range(students):
        uid = first_user_id + j
        site.users[uid] = {
            "id": uid,
            "name": f"Clinician {j}",
            "sortable_name": f"{j}, Clinician",
            "short_name": f"Clinician {j}",
            "sis_user_id": f"SIS-{uid}",
            "login_id": f"clinician{j}@example.org",
            "email": f"Clinician{j}@Example.org",
        }
    for i in range(courses):
        cid = first_course_id + i
        site.courses[cid] = {
            "id": cid,
            "sis_course_id": f"CE-{cid}",
            "uuid": f"uuid-{cid}",
            "integration_id": f"INT-{cid}",
            "name": f"Ethics and Law for Clinicians {i + 1}",
            "course_code": f"CE{cid}",
            "workflow_state": "available",
            "account_id": site.account_id,
            "root_account_id": site.account_id,
            "enrollment_term_id": 1,
            "created_at": "2024-01-02T10:00:00Z",
            "start_at": None,
            "end_at": None,
            "time_zone": "America/Chicago",
            "blueprint": False,
        }
        site.teacher_course_ids.append(cid)
        if i % 2 == 1:
            site.blueprints[cid] = {
                "id": 40 + i,
                "template_id": 7,
                "blueprint_course": {
                    "id": 900,
                    "name": "CE Blueprint",
                    "course_code": "CE-BP",
                    "term_name": "Default term",
                },
            }
        site.enrollments[cid] = []
        site.progress[cid] = {}
        requirements = 0 if cid in no_requirements else 4
        for j in range(students):
            uid = first_user_id + j
            concluded = j % 10 == 9
            done = j % 3
            score = 70 + (j * 7 + i) % 31
            site.enrollments[cid].append(
                {
                    "id": cid * 100000 + j,
                    "course_id": cid,
                    "sis_course_id": f"CE-{cid}",
                    "course_integration_id": f"INT-{cid}",
                    "course_section_id": cid * 10,
                    "enrollment_state": "completed" if concluded else "active",
                    "type": "StudentEnrollment",
                    "user_id": uid,
                    "role": "StudentEnrollment",
                    "role_id": 3,
                    "sis_user_id": f"SIS-{uid}",
                    "created_at": "2024-01-05T10:00:00Z",
                    "updated_at": "2024-03-05T10:00:00Z",
                    "last_activity_at": "2024-03-05T10:00:00Z",
                    "total_activity_time": 3600 + j,
                    "html_url": f"https://canvas.example.edu/courses/{cid}/users/{uid}",
                    "grades": {
                        "html_url": f"https://canvas.example.edu/courses/{cid}/grades/{uid}",
                        "current_score": score,
                        "current_grade": None,
                        "final_score": score - 5 if done else None,
                        "final_grade": None,
                    },
                    "user": {k: site.users[uid][k] for k in ("id", "name", "sortable_name", "short_name")},
                }
            )
            if requirements == 0:
                site.progress[cid][uid] = {"error": {"message": NOT_MODULE_BASED}}
            elif done == 0:
                site.progress[cid][uid] = {
                    "requirement_count": requirements,
                    "requirement_completed_count": requirements,
                    "next_requirement_url": None,
                    "completed_at": (base + timedelta(days=i, minutes=j)).isoformat().replace("+00:00", "Z"),
                }
            else:
                completed = 2 if done == 1 else 0
                site.progress[cid][uid] = {
                    "requirement_count": requirements,
                    "requirement_completed_count": completed,
                    "next_requirement_url": f"https://canvas.example.edu/courses/{cid}/modules/items/{completed + 1}",
                    "completed_at": None,
                }
    return site


def _unauthenticated() -> Response:
    return Response(
        401,
        {"status": "unauthenticated", "errors": [{"message": "user authorization required"}]},
        {"WWW-Authenticate": 'Bearer realm="canvas-lms"'},
    )


def _not_found() -> Response:
    return Response(404, {"errors": [{"message": "The specified resource does not exist."}]})


class CanvasServer(LoopbackServer):
    """The fake Canvas; ``site`` may be changed while it runs."""

    def __init__(self, site: CanvasSite | None = None) -> None:
        self.site = site or generate_site()
        self._cache: dict[str, Response] = {}
        super().__init__(self._dispatch)

    # -- plumbing ------------------------------------------------------------------------------------

    def _paginate(
        self, req: Request, items: list[Any], *, bookmark: bool = False, lower: bool = False, last: bool = True
    ) -> Response:
        per_page = min(int(req.one("per_page", "10") or 10), self.site.max_per_page)
        token = req.one("page", "1") or "1"
        if token.startswith("bookmark:"):
            try:
                offset = json.loads(base64.urlsafe_b64decode(token[9:].encode()))[0]
            except (ValueError, IndexError, TypeError):
                return Response(400, {"errors": [{"message": "invalid bookmark"}]})
            page_no = offset // per_page + 1
        else:
            page_no = max(1, int(token))
            offset = (page_no - 1) * per_page
        chunk = items[offset : offset + per_page]
        keep = [(k, v) for k, vs in req.query.items() if k not in {"page", "per_page", "access_token"} for v in vs]

        def link(n: int) -> str:
            page = (
                "bookmark:" + base64.urlsafe_b64encode(json.dumps([(n - 1) * per_page]).encode()).decode()
                if bookmark
                else str(n)
            )
            query = urlencode([*keep, ("page", page), ("per_page", per_page)])
            return f"<{self.url}{req.path}?{query}>"

        pages = max(1, -(-len(items) // per_page))
        rels = [f'{link(page_no)}; rel="current"']
        if page_no < pages:
            rels.append(f'{link(page_no + 1)}; rel="next"')
        if page_no > 1:
            rels.append(f'{link(page_no - 1)}; rel="prev"')
        rels.append(f'{link(1)}; rel="first"')
        if last:
            rels.append(f'{link(pages)}; rel="last"')
        return Response(200, chunk, {"link" if lower else "Link": ",".join(rels)})

    def _dispatch(self, req: Request, _server: LoopbackServer) -> Response:
        site = self.site
        auth = req.headers.get("Authorization") or req.headers.get("authorization") or ""
        if auth != f"Bearer {site.token}":
            return _unauthenticated()
        if site.cache_pages and req.raw_path in self._cache:
            return self._cache[req.raw_path]
        resp = self._route(req)
        if site.cache_pages and resp.status == 200:
            resp = self._cache.setdefault(req.raw_path, Response(resp.status, resp.encoded(), resp.headers))
        if site.rate_limit_remaining is not None and resp.status < 400:
            resp.headers.setdefault("X-Rate-Limit-Remaining", f"{site.rate_limit_remaining:.1f}")
            resp.headers.setdefault("X-Request-Cost", "0.01")
        return resp

    def _route(self, req: Request) -> Response:
        site = self.site
        path = req.path
        if path == "/api/v1/users/self":
            return Response(200, {"id": 1, "name": "CE Admin", "sortable_name": "Admin, CE", "short_name": "CE Admin"})
        if path == "/api/v1/courses":
            return self._paginate(req, [site.courses[c] for c in site.teacher_course_ids])
        m = re.fullmatch(r"/api/v1/accounts/(\d+)/courses", path)
        if m:
            if int(m.group(1)) != site.account_id:
                return _not_found()
            return self._paginate(req, list(site.courses.values()))
        m = re.fullmatch(r"/api/v1/courses/([^/]+)(/.*)?", path)
        if m:
            return self._course_route(req, m.group(1), m.group(2) or "")
        m = re.fullmatch(r"/api/v1/users/(\d+)/courses", path)
        if m:
            return self._learner_courses(req, int(m.group(1)))
        return _not_found()

    def _find_course(self, ref: str) -> dict[str, Any] | None:
        if ref.startswith("sis_course_id:"):
            sis = ref.split(":", 1)[1]
            return next((c for c in self.site.courses.values() if c.get("sis_course_id") == sis), None)
        return self.site.courses.get(int(ref)) if ref.isdigit() else None

    def _course_route(self, req: Request, ref: str, rest: str) -> Response:
        site = self.site
        course = self._find_course(ref)
        if course is None:
            return _not_found()
        cid = course["id"]
        if rest == "":
            return Response(200, course)
        if rest == "/enrollments":
            states = set(req.query.get("state[]", [])) or {"active", "invited"}
            types = set(req.query.get("type[]", [])) or {"StudentEnrollment"}
            items = [e for e in site.course_students(cid, states) if e["type"] in types]
            return self._paginate(req, items, bookmark=True)
        if rest == "/users":
            states = set(req.query.get("enrollment_state[]", [])) or {"active", "invited"}
            with_email = "email" in req.query.get("include[]", [])
            out = []
            for e in site.course_students(cid, states):
                user = {k: v for k, v in site.users[e["user_id"]].items() if with_email or k != "email"}
                out.append(user)
            return self._paginate(req, out, lower=True, last=False)
        if rest == "/bulk_user_progress":
            if not site.bulk_progress_available:
                return _not_found()
            states = {"active", "completed"} if site.bulk_includes_concluded else {"active"}
            items = []
            for e in site.course_students(cid, states):
                uid = e["user_id"]
                user = site.users[uid]
                items.append(
                    {
                        "id": uid,
                        "display_name": user["name"],
                        "avatar_image_url": "https://canvas.example.edu/images/messages/avatar-50.png",
                        "html_url": f"https://canvas.example.edu/courses/{cid}/users/{uid}",
                        "pronouns": None,
                        "progress": site.progress[cid][uid],
                    }
                )
            return self._paginate(req, items)
        m = re.fullmatch(r"/users/(\d+)/progress", rest)
        if m:
            uid = int(m.group(1))
            prog = site.progress.get(cid, {}).get(uid)
            if prog is None:
                return Response(400, {"error": {"message": NOT_MODULE_BASED}})
            return Response(400 if "error" in prog else 200, prog)
        if rest == "/blueprint_subscriptions":
            sub = site.blueprints.get(cid)
            return Response(200, [sub] if sub else [])
        return _not_found()

    def _learner_courses(self, req: Request, uid: int) -> Response:
        site = self.site
        state = req.one("enrollment_state")
        includes = set(req.query.get("include[]", []))
        out = []
        for cid, course in site.courses.items():
            mine = [e for e in site.enrollments.get(cid, []) if e["user_id"] == uid]
            if not mine:
                continue
            e = mine[0]
            if state == "active" and e["enrollment_state"] != "active":
                continue
            if state == "completed" and e["enrollment_state"] != "completed":
                continue
            item = dict(course)
            enrollment: dict[str, Any] = {
                "type": "student",
                "role": "StudentEnrollment",
                "role_id": 3,
                "user_id": uid,
                "enrollment_state": e["enrollment_state"],
            }
            if "total_scores" in includes:
                enrollment |= {
                    "computed_current_score": e["grades"]["current_score"],
                    "computed_final_score": e["grades"]["final_score"],
                    "computed_current_grade": None,
                    "computed_final_grade": None,
                }
            item["enrollments"] = [enrollment]
            if "course_progress" in includes:
                item["course_progress"] = site.progress[cid][uid]
            out.append(item)
        return self._paginate(req, out)


def main() -> None:  # pragma: no cover - manual use
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--courses", type=int, default=3)
    parser.add_argument("--students", type=int, default=20)
    args = parser.parse_args()
    with CanvasServer(generate_site(courses=args.courses, students=args.students)) as server:
        print(
            json.dumps(
                {
                    "base_url": server.url,
                    "token": server.site.token,
                    "course_ids": [str(c) for c in server.site.courses],
                }
            )
        )
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":  # pragma: no cover
    main()
