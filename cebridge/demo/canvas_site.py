"""A Canvas-shaped provider for the demo: the endpoints the Canvas connector reads in ``course_ids`` mode.

``GET /api/v1/users/self``, ``/courses/:id``, ``/courses/:id/enrollments``, ``/courses/:id/users`` (with
``include[]=email``) and ``/courses/:id/bulk_user_progress``, with the documented shapes (docs/connectors.md),
Bearer authentication (401 with ``WWW-Authenticate`` otherwise) and ``Link`` pagination (absolute URLs,
``rel="next"``). The site comes from a small JSON file of courses, users and enrollments.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from cebridge.demo.loopback import LoopbackServer, Reply, Request

REQUIREMENTS = 4


def _progress(enrollment: Mapping[str, Any]) -> dict[str, Any]:
    """A CourseProgress: all requirements met with ``completed_at``, or some of them."""
    done = REQUIREMENTS if enrollment.get("completed_at") else int(enrollment.get("requirements_done", 0))
    return {
        "requirement_count": REQUIREMENTS,
        "requirement_completed_count": done,
        "next_requirement_url": None if done == REQUIREMENTS else "https://canvas.example/modules/items/1",
        "completed_at": enrollment.get("completed_at"),
    }


class CanvasSite:
    """Serves one site (``{"courses": [...], "users": [...], "enrollments": [...]}``) behind ``token``."""

    def __init__(self, site: Mapping[str, Any], token: str) -> None:
        self.token = token
        self.courses = {int(c["id"]): dict(c) for c in site["courses"]}
        self.users = {int(u["id"]): dict(u) for u in site["users"]}
        self.enrollments = [dict(e) for e in site["enrollments"]]
        self.server = LoopbackServer(self.answer)

    @property
    def record_count(self) -> int:
        """How many records a full pull yields (one per enrollment)."""
        return len(self.enrollments)

    def answer(self, req: Request) -> Reply:
        if req.headers.get("Authorization") != f"Bearer {self.token}":
            return Reply(401, {"errors": [{"message": "Invalid access token."}]}, {"WWW-Authenticate": "Bearer"})
        if req.path == "/api/v1/users/self":
            return Reply(200, {"id": 1, "name": "CE Administrator"})
        match = re.fullmatch(r"/api/v1/courses/(\d+)(/[a-z_]+)?", req.path)
        course = self.courses.get(int(match.group(1))) if match else None
        if match is None or course is None:
            return Reply(404, {"errors": [{"message": "The specified resource does not exist."}]})
        cid = course["id"]
        mine = [e for e in self.enrollments if e["course_id"] == cid]
        what = match.group(2) or ""
        if what == "":
            return Reply(200, {**course, "course_code": course.get("sis_course_id"), "workflow_state": "available"})
        if what == "/enrollments":
            return self._page(req, [self._enrollment(e) for e in mine])
        if what == "/users":
            with_email = "email" in req.many("include[]")
            users = [self.users[e["user_id"]] for e in mine]
            return self._page(req, [{k: v for k, v in u.items() if with_email or k != "email"} for u in users])
        if what == "/bulk_user_progress":
            items = [
                {"id": e["user_id"], "display_name": self.users[e["user_id"]]["name"], "progress": _progress(e)}
                for e in mine
            ]
            return self._page(req, items)
        return Reply(404, {"errors": [{"message": "The specified resource does not exist."}]})

    def _enrollment(self, e: Mapping[str, Any]) -> dict[str, Any]:
        user = self.users[e["user_id"]]
        score = e.get("score")
        return {
            "id": e["course_id"] * 100000 + e["user_id"],
            "course_id": e["course_id"],
            "user_id": e["user_id"],
            "type": "StudentEnrollment",
            "enrollment_state": "active",
            "grades": {"current_score": score, "final_score": score if e.get("completed_at") else None},
            "user": {"id": user["id"], "name": user["name"]},
        }

    def _page(self, req: Request, items: Sequence[Any]) -> Reply:
        per_page = max(1, min(100, int(req.one("per_page", "10") or 10)))
        page = max(1, int(req.one("page", "1") or 1))
        chunk = list(items[(page - 1) * per_page : page * per_page])
        keep = [(k, v) for k, vs in req.params.items() if k not in ("page", "per_page") for v in vs]

        def link(n: int) -> str:
            return f"<{self.server.url}{req.path}?{urlencode([*keep, ('page', n), ('per_page', per_page)])}>"

        links = [f'{link(page)}; rel="current"', f'{link(1)}; rel="first"']
        if page * per_page < len(items):
            links.append(f'{link(page + 1)}; rel="next"')
        return Reply(200, chunk, {"Link": ",".join(links)})
