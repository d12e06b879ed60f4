"""The Canvas REST endpoints the connector reads, each a thin call through the shared HTTP layer.

Only documented endpoints and parameters (docs/connectors.md §1): courses, enrollments with
``state[]=completed`` so concluded CE enrollments are included, course users with ``include[]=email``,
``bulk_user_progress`` (falling back to per-user ``/progress`` where a Canvas lacks it), the learner-centric
``/users/:id/courses?include[]=course_progress``, and ``blueprint_subscriptions``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from cebridge.errors import ProviderContractError
from connectors.errors import PermissionDenied, RemoteNotFound
from connectors.http import HttpClient
from connectors.pagination import LinkHeaderPaginator, Page

__all__ = ["CanvasApi"]

logger = logging.getLogger(__name__)

Params = list[tuple[str, Any]]


class CanvasApi:
    """Canvas endpoints over one :class:`HttpClient` (which carries the Bearer token)."""

    def __init__(self, client: HttpClient, base_url: str, *, per_page: int) -> None:
        self.client = client
        self.base = base_url.rstrip("/") + "/api/v1"
        self.per_page = per_page
        self.pages = LinkHeaderPaginator(client)

    def _url(self, *parts: Any) -> str:
        return self.base + "".join("/" + quote(str(p), safe=":") for p in parts)

    def _all(self, url: str, params: Params) -> Iterator[Any]:
        for page in self.pages.pages(url, [*params, ("per_page", self.per_page)]):
            yield from page.items

    # -- who am I ------------------------------------------------------------------------------------

    def self_user(self) -> dict[str, Any]:
        body, _ = self.client.get_json(self._url("users", "self"))
        if not isinstance(body, dict) or "id" not in body:
            raise ProviderContractError(f"{self.client.provider}: /users/self did not return a user")
        return body

    # -- courses -------------------------------------------------------------------------------------

    def course(self, course_id: str) -> dict[str, Any]:
        body, _ = self.client.get_json(self._url("courses", course_id))
        if not isinstance(body, dict) or "id" not in body:
            raise ProviderContractError(f"{self.client.provider}: course {course_id} is not a Course object")
        return body

    def account_courses(self, account_id: str) -> Iterator[dict[str, Any]]:
        yield from self._all(self._url("accounts", account_id, "courses"), [])

    def teacher_courses(self) -> Iterator[dict[str, Any]]:
        params: Params = [
            ("enrollment_type", "teacher"),
            ("state[]", "available"),
            ("state[]", "completed"),
        ]
        yield from self._all(self._url("courses"), params)

    def blueprint_id(self, course_id: Any) -> str | None:
        """The blueprint (template) course this course is associated with, or None.

        ``GET /courses/:id/blueprint_subscriptions`` -> ``[{"id", "template_id", "blueprint_course": {"id",
        "name", "course_code", "term_name"}}]``. A course that is not associated answers an empty list;
        a token without blueprint rights answers 401/403 — then the catalog falls back to SIS ids.
        """
        try:
            body, _ = self.client.get_json(self._url("courses", course_id, "blueprint_subscriptions"))
        except (PermissionDenied, RemoteNotFound) as exc:
            logger.info("%s: no blueprint information for course %s (%s)", self.client.provider, course_id, exc)
            return None
        if not isinstance(body, list) or not body:
            return None
        first = body[0]
        blueprint = first.get("blueprint_course") if isinstance(first, dict) else None
        if isinstance(blueprint, dict) and blueprint.get("id") is not None:
            return str(blueprint["id"])
        return None

    # -- rosters and progress ------------------------------------------------------------------------

    def enrollments(self, course_id: Any) -> Iterator[dict[str, Any]]:
        params: Params = [
            ("type[]", "StudentEnrollment"),
            ("state[]", "active"),
            ("state[]", "completed"),
        ]
        yield from self._all(self._url("courses", course_id, "enrollments"), params)

    def users(self, course_id: Any) -> Iterator[dict[str, Any]]:
        params: Params = [
            ("enrollment_type[]", "student"),
            ("enrollment_state[]", "active"),
            ("enrollment_state[]", "completed"),
            ("include[]", "email"),
        ]
        yield from self._all(self._url("courses", course_id, "users"), params)

    def bulk_user_progress(self, course_id: Any) -> Iterator[Page] | None:
        """Pages of ``bulk_user_progress``, or None when this Canvas does not have the endpoint (404)."""
        url = self._url("courses", course_id, "bulk_user_progress")
        pages = self.pages.pages(url, [("per_page", self.per_page)])
        try:
            first = next(pages)
        except StopIteration:  # pragma: no cover - a paginator always yields at least one page
            return iter(())
        except RemoteNotFound:
            return None

        def chain() -> Iterator[Page]:
            yield first
            yield from pages

        return chain()

    def user_progress(self, course_id: Any, user_id: Any) -> Any:
        """One learner's CourseProgress, or its ``{"error": ...}`` form (Canvas answers that with a 400)."""
        body, _ = self.client.get_json(self._url("courses", course_id, "users", user_id, "progress"), accept=(400,))
        if not isinstance(body, dict):
            raise ProviderContractError(f"{self.client.provider}: progress of user {user_id} is not an object")
        if "error" not in body and "requirement_count" not in body:
            raise ProviderContractError(
                f"{self.client.provider}: progress of user {user_id} in course {course_id} is neither a "
                "CourseProgress nor an error object"
            )
        return body

    def learner_courses(self, user_id: Any, enrollment_state: str) -> Iterator[dict[str, Any]]:
        params: Params = [
            ("include[]", "course_progress"),
            ("include[]", "total_scores"),
            ("enrollment_state", enrollment_state),
        ]
        yield from self._all(self._url("users", user_id, "courses"), params)
