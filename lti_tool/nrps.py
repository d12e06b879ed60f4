"""Names and Role Provisioning: the course roster, every page of it."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from lti_tool.services import ServiceClient, ServiceError

SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
MEDIA_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
#: A roster longer than this many pages is refused rather than followed forever.
MAX_PAGES = 1000


def roster(
    client: ServiceClient, memberships_url: str, *, resource_link_id: str | None = None, limit: int | None = None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(context, members) of a course, following ``Link: rel=next`` until the last page."""
    params = {}
    if resource_link_id:
        params["rlid"] = resource_link_id
    if limit:
        params["limit"] = str(limit)
    url: str | None = memberships_url + (("&" if "?" in memberships_url else "?") + urlencode(params) if params else "")
    members: list[dict[str, Any]] = []
    context: dict[str, Any] = {}
    seen: set[str] = set()
    while url:
        if url in seen or len(seen) >= MAX_PAGES:
            raise ServiceError("the roster's next-page links loop or never end")
        seen.add(url)
        page = client.call("GET", url, [SCOPE], accept=MEDIA_TYPE)
        body = page.body if isinstance(page.body, dict) else {}
        if not context and isinstance(body.get("context"), dict):
            context = body["context"]
        members.extend(m for m in body.get("members") or [] if isinstance(m, dict))
        url = page.next_url
    return context, members
