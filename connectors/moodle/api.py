"""Moodle web services over REST (``/webservice/rest/server.php``) through the shared HTTP layer.

Parameters are PHP-style form fields: lists and mappings flatten to ``courseids[0]=3``,
``options[0][name]=onlyactive&options[0][value]=1``, ``options[ids][0]=3``; booleans become ``1``/``0``.
The token travels in the POST body (``wstoken``), never in a URL, so it cannot leak through logs of URLs.
Moodle reports errors as HTTP 200 with ``{"exception", "errorcode", "message"}``; the classification table in
:mod:`connectors.errors` turns that into an error (``invalidtoken`` -> AuthenticationError).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from cebridge.errors import ProviderContractError
from connectors.http import HttpClient
from connectors.pagination import OffsetPaginator

__all__ = ["MoodleApi", "flatten_params"]

SERVER_PATH = "/webservice/rest/server.php"


def flatten_params(params: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """PHP-style form fields from nested lists and mappings (order kept; None values left out)."""
    out: list[tuple[str, str]] = []
    for key, value in params.items():
        name = f"{prefix}[{key}]" if prefix else str(key)
        out.extend(_flatten_value(name, value))
    return out


def _flatten_value(name: str, value: Any) -> list[tuple[str, str]]:
    if value is None:
        return []
    if isinstance(value, bool):
        return [(name, "1" if value else "0")]
    if isinstance(value, Mapping):
        return flatten_params(value, name)
    if isinstance(value, list | tuple):
        out: list[tuple[str, str]] = []
        for i, item in enumerate(value):
            out.extend(_flatten_value(f"{name}[{i}]", item))
        return out
    return [(name, str(value))]


class MoodleApi:
    """The Moodle functions the connector calls."""

    def __init__(self, client: HttpClient, base_url: str, token: str) -> None:
        self.client = client
        self.url = base_url.rstrip("/") + SERVER_PATH
        self._token = token

    def call(self, function: str, **params: Any) -> Any:
        """Call ``function`` and return its decoded JSON answer (errors raised by the HTTP layer)."""
        data = [
            ("wstoken", self._token),
            ("wsfunction", function),
            ("moodlewsrestformat", "json"),
            *flatten_params(params),
        ]
        response = self.client.request("POST", self.url, data=data)
        return self.client.parse_json(response)

    # -- site ----------------------------------------------------------------------------------------

    def site_info(self) -> dict[str, Any]:
        info = self.call("core_webservice_get_site_info")
        if not isinstance(info, dict):
            raise ProviderContractError(f"{self.client.provider}: site info is not an object")
        return info

    # -- courses -------------------------------------------------------------------------------------

    def courses_by_field(self, field: str = "", value: str = "") -> list[dict[str, Any]]:
        body = self.call("core_course_get_courses_by_field", field=field, value=value)
        courses = body.get("courses") if isinstance(body, dict) else None
        if not isinstance(courses, list):
            raise ProviderContractError(f"{self.client.provider}: core_course_get_courses_by_field has no courses")
        return courses

    def course_contents(self, course_id: Any) -> list[dict[str, Any]]:
        body = self.call("core_course_get_contents", courseid=course_id)
        if not isinstance(body, list):
            raise ProviderContractError(f"{self.client.provider}: core_course_get_contents is not a list")
        return body

    # -- people --------------------------------------------------------------------------------------

    def enrolled_users(self, course_id: Any, *, page_size: int) -> Iterator[dict[str, Any]]:
        """Every user enrolled in the course who is tracked by completion, ``page_size`` at a time."""

        def fetch(offset: int, limit: int) -> list[Any]:
            options = [
                {"name": "withcapability", "value": "moodle/course:isincompletionreports"},
                {"name": "userfields", "value": "id,fullname,email,idnumber,customfields"},
                {"name": "limitfrom", "value": offset},
                {"name": "limitnumber", "value": limit},
                {"name": "sortby", "value": "id"},
            ]
            body = self.call("core_enrol_get_enrolled_users", courseid=course_id, options=options)
            if not isinstance(body, list):
                raise ProviderContractError(f"{self.client.provider}: enrolled users of {course_id} is not a list")
            return body

        for page in OffsetPaginator(fetch, limit=page_size, provider=self.client.provider).pages():
            yield from page.items

    def users_courses(self, user_id: Any) -> list[dict[str, Any]]:
        body = self.call("core_enrol_get_users_courses", userid=user_id)
        if not isinstance(body, list):
            raise ProviderContractError(f"{self.client.provider}: courses of user {user_id} is not a list")
        return body

    # -- completion ----------------------------------------------------------------------------------

    def completion_status(self, course_id: Any, user_id: Any) -> dict[str, Any]:
        body = self.call("core_completion_get_course_completion_status", courseid=course_id, userid=user_id)
        status = body.get("completionstatus") if isinstance(body, dict) else None
        if not isinstance(status, dict) or "completed" not in status:
            raise ProviderContractError(
                f"{self.client.provider}: completion status of user {user_id} in course {course_id} "
                "has no completionstatus.completed"
            )
        return status

    def certificate_issues(self, customcert_id: Any, *, page_size: int) -> Iterator[dict[str, Any]]:
        """Issues of one mod_customcert activity (``mod_customcert_list_issues``, newest first)."""

        def fetch(offset: int, limit: int) -> list[Any]:
            body = self.call(
                "mod_customcert_list_issues",
                customcertid=customcert_id,
                includepdf=False,
                limit=limit,
                offset=offset,
            )
            if not isinstance(body, list):
                raise ProviderContractError(f"{self.client.provider}: mod_customcert_list_issues is not a list")
            return body

        for page in OffsetPaginator(fetch, limit=page_size, provider=self.client.provider).pages():
            yield from page.items
