"""Paginators: Link headers in their real-world variety, offset/limit, xAPI `more`, and loop detection."""

from __future__ import annotations

import pytest
import responses

from cebridge.errors import ProviderContractError
from connectors.http import HttpClient, RetryPolicy
from connectors.pagination import LinkHeaderPaginator, MorePaginator, OffsetPaginator, parse_link_header


def make_client() -> HttpClient:
    return HttpClient(provider="test", auth_field="token", sleep=lambda s: None, policy=RetryPolicy(max_retries=0))


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            '<https://c.example/api/v1/courses?page=2&per_page=10>; rel="next", '
            '<https://c.example/api/v1/courses?page=1&per_page=10>; rel="first"',
            {
                "next": "https://c.example/api/v1/courses?page=2&per_page=10",
                "first": "https://c.example/api/v1/courses?page=1&per_page=10",
            },
        ),
        ("<https://c.example/x?page=3>; rel=next", {"next": "https://c.example/x?page=3"}),
        (
            '<https://c.example/x?page=bookmark:WzEwMF0&Per_Page=10>; rel="next last"',
            {
                "next": "https://c.example/x?page=bookmark:WzEwMF0&Per_Page=10",
                "last": "https://c.example/x?page=bookmark:WzEwMF0&Per_Page=10",
            },
        ),
        (
            '<https://c.example/x?ids=1,2,3&page=2>;rel="NEXT";title="Next page"',
            {"next": "https://c.example/x?ids=1,2,3&page=2"},
        ),
        (
            '<https://c.example/a>; rel="prev", <https://c.example/b>; rel="next"',
            {"prev": "https://c.example/a", "next": "https://c.example/b"},
        ),
        ("", {}),
        ("garbage without brackets", {}),
    ],
)
def test_parse_link_header(header: str, expected: dict[str, str]) -> None:
    assert parse_link_header(header) == expected


@responses.activate
def test_link_pages_follow_opaque_next_urls_from_a_lower_case_header() -> None:
    base = "https://c.example/api/v1/courses/1/enrollments"
    nxt = base + "?page=bookmark:WzEwXQ&per_page=2&state%5B%5D=completed"
    responses.get(base, json=[{"id": 1}, {"id": 2}], headers={"link": f'<{nxt}>; rel="next"'})
    responses.get(nxt, json=[{"id": 3}])
    pages = list(LinkHeaderPaginator(make_client()).pages(base, [("per_page", 2), ("state[]", "completed")]))
    assert [p.items for p in pages] == [[{"id": 1}, {"id": 2}], [{"id": 3}]]
    assert pages[0].next == nxt and pages[1].next is None
    # parameters go on the first request only; the next URL is followed exactly as sent
    assert "state%5B%5D=completed" in responses.calls[0].request.url
    assert responses.calls[1].request.url == nxt


@responses.activate
def test_a_next_url_seen_before_is_a_contract_error() -> None:
    base = "https://c.example/api/v1/x"
    p2 = base + "?page=2"
    responses.get(base, json=[{"id": 1}], headers={"Link": f'<{p2}>; rel="next"'})
    responses.get(p2, json=[{"id": 2}], headers={"Link": f'<{base}>; rel="next"'})
    with pytest.raises(ProviderContractError, match="loops"):
        list(LinkHeaderPaginator(make_client()).pages(base))


@responses.activate
def test_a_page_that_is_not_an_array_is_a_contract_error() -> None:
    responses.get("https://c.example/api/v1/x", json={"errors": []})
    with pytest.raises(ProviderContractError, match="JSON array"):
        list(LinkHeaderPaginator(make_client()).pages("https://c.example/api/v1/x"))


def test_offset_pages_stop_at_a_short_page() -> None:
    data = list(range(7))
    calls: list[tuple[int, int]] = []

    def fetch(offset: int, limit: int) -> list[int]:
        calls.append((offset, limit))
        return data[offset : offset + limit]

    pages = list(OffsetPaginator(fetch, limit=3, provider="moodle").pages())
    assert [p.items for p in pages] == [[0, 1, 2], [3, 4, 5], [6]]
    assert calls == [(0, 3), (3, 3), (6, 3)]


def test_offset_pages_when_the_total_is_a_multiple_of_the_limit() -> None:
    data = list(range(6))
    pages = list(OffsetPaginator(lambda o, n: data[o : o + n], limit=3, provider="m").pages())
    assert [p.items for p in pages] == [[0, 1, 2], [3, 4, 5], []]


def test_a_provider_that_ignores_the_offset_is_caught() -> None:
    with pytest.raises(ProviderContractError, match="loops"):
        list(OffsetPaginator(lambda o, n: [1, 2, 3], limit=3, provider="moodle").pages())


@responses.activate
def test_more_is_resolved_against_the_lrs_root() -> None:
    root = "https://lrs.example/xAPI"
    responses.get(root + "/statements", json={"statements": [{"id": "a"}], "more": "/xAPI/statements?page=Zz9"})
    responses.get(root + "/statements?page=Zz9", json={"statements": [{"id": "b"}], "more": ""})
    pages = list(MorePaginator(make_client(), root=root).pages(root + "/statements", {"limit": 1}))
    assert [p.items for p in pages] == [[{"id": "a"}], [{"id": "b"}]]
    assert responses.calls[1].request.url == "https://lrs.example/xAPI/statements?page=Zz9"


@responses.activate
def test_more_loops_and_bad_bodies_are_contract_errors() -> None:
    root = "https://lrs.example/xAPI"
    responses.get(root + "/statements", json={"statements": [], "more": "/xAPI/statements"})
    with pytest.raises(ProviderContractError, match="loops"):
        list(MorePaginator(make_client(), root=root).pages(root + "/statements"))
    responses.get(root + "/other", json=[{"id": "a"}])
    with pytest.raises(ProviderContractError, match="StatementResult"):
        list(MorePaginator(make_client(), root=root).pages(root + "/other"))
