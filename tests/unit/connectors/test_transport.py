"""connectors.transport sends what ``Session.request`` would send: same URL, headers, auth, cookies, hooks and
transport settings, with and without the environment."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from connectors import transport


class Recorder(BaseAdapter):
    """An adapter that records what it was asked to send and answers 200 (or a redirect, once)."""

    def __init__(self, *, redirect_to: str | None = None, set_cookie: str | None = None) -> None:
        super().__init__()
        self.sent: list[tuple[requests.PreparedRequest, dict[str, Any]]] = []
        self.redirect_to = redirect_to
        self.set_cookie = set_cookie

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        self.sent.append((request, kwargs))
        response = requests.Response()
        response.request = request
        response.url = str(request.url)
        response.headers = CaseInsensitiveDict()
        if self.redirect_to is not None:
            response.status_code = 302
            response.headers["Location"] = self.redirect_to
            self.redirect_to = None
        else:
            response.status_code = 200
        response._content = b"[]"
        return response

    def close(self) -> None:
        return None


def session_with(adapter: Recorder, *, trust_env: bool) -> requests.Session:
    session = requests.Session()
    session.trust_env = trust_env
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


PARAMS: list[Any] = [
    [("per_page", 100), ("state[]", "active"), ("state[]", "completed")],
    {"include[]": ["email", "avatar_url"], "search_term": "Ñandú & co", "skip": None},
    [("a", 1.5), ("b", True), ("c", b"raw"), ("d", ("x", None, "y"))],
    [],
]


@pytest.mark.parametrize("params", PARAMS)
def test_the_url_is_the_one_requests_builds(params: Any) -> None:
    url = "https://canvas.example.edu/api/v1/courses/1/enrollments?existing=1"
    expected = requests.Request("GET", url, params=params).prepare().url
    mine = transport.prepare(requests.Session(), "get", url, params=params)
    assert mine.url == expected and mine.method == "GET"


@pytest.mark.parametrize("trust_env", [False, True])
def test_what_reaches_the_adapter_matches_session_request(
    trust_env: bool, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "other.example")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "bundle.pem"))
    netrc = tmp_path / ".netrc"
    netrc.write_text("machine canvas.example.edu login robot password hunter22\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    seen: list[str] = []

    def build(adapter: Recorder) -> requests.Session:
        session = session_with(adapter, trust_env=trust_env)
        session.headers["X-Session"] = "kept"
        session.headers["Accept-Encoding"] = None  # type: ignore[assignment]  # a None header is dropped
        session.cookies.set("canvas_session", "abc", domain="canvas.example.edu")
        session.proxies["http"] = "http://session-proxy.example:8080"
        session.hooks["response"].append(lambda r, *a, **k: seen.append(r.url))
        return session

    url = "https://canvas.example.edu/api/v1/courses"
    headers = {"Authorization": "Bearer t0ken", "X-Session": "overridden"}
    via_requests, direct = Recorder(), Recorder()
    build(via_requests).request("GET", url, params=[("per_page", 5)], headers=headers, timeout=(3.0, 7.0))
    session = build(direct)
    prepared = transport.prepare(session, "GET", url, params=[("per_page", 5)], headers=headers)
    transport.send(session, prepared, timeout=(3.0, 7.0))

    (want, want_kw), (got, got_kw) = via_requests.sent[0], direct.sent[0]
    assert got.url == want.url
    assert dict(got.headers) == dict(want.headers)
    assert "Accept-Encoding" not in got.headers and got.headers["X-Session"] == "overridden"
    assert got.headers["Cookie"] == "canvas_session=abc"
    assert got_kw == want_kw
    assert seen == [want.url, got.url]  # the session's response hooks ran for both
    if trust_env:
        assert got_kw["proxies"].get("https") == "http://proxy.example:3128"
        assert got_kw["verify"] == str(tmp_path / "bundle.pem")
        assert got.headers["Authorization"].startswith("Basic ")  # requests lets .netrc win here too
    else:
        assert got_kw["proxies"] == {"http": "http://session-proxy.example:8080"} and got_kw["verify"] is True
        assert got.headers["Authorization"] == "Bearer t0ken"


def test_netrc_credentials_are_used_only_when_the_session_trusts_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    netrc = tmp_path / ".netrc"
    netrc.write_text("machine lrs.example.org login robot password hunter22\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    url = "https://lrs.example.org/xapi/statements"
    trusting = transport.prepare(requests.Session(), "GET", url)
    assert trusting.headers["Authorization"].startswith("Basic ")
    closed = requests.Session()
    closed.trust_env = False
    assert "Authorization" not in transport.prepare(closed, "GET", url).headers
    explicit = transport.prepare(closed, "GET", url, auth=("key", "secret"))
    assert (
        explicit.headers["Authorization"]
        == requests.Request("GET", url, auth=("key", "secret")).prepare().headers["Authorization"]
    )


def test_redirects_are_followed_and_cookies_stored() -> None:
    adapter = Recorder(redirect_to="https://canvas.example.edu/api/v1/courses?page=2")
    session = session_with(adapter, trust_env=False)
    prepared = transport.prepare(session, "GET", "https://canvas.example.edu/api/v1/courses")
    response = transport.send(session, prepared, timeout=5.0)
    assert response.status_code == 200 and response.url.endswith("page=2")
    assert [r.status_code for r in response.history] == [302]
    assert len(adapter.sent) == 2


def test_a_form_body_is_encoded_like_requests() -> None:
    session = requests.Session()
    data = [("wsfunction", "core_course_get_courses"), ("options[ids][0]", 7)]
    mine = transport.prepare(session, "POST", "https://moodle.example.org/webservice/rest/server.php", data=data)
    want = session.prepare_request(
        requests.Request("POST", "https://moodle.example.org/webservice/rest/server.php", data=data)
    )
    assert mine.body == want.body and mine.headers["Content-Type"] == want.headers["Content-Type"]


def test_a_bad_url_raises_what_requests_raises() -> None:
    with pytest.raises(requests.exceptions.MissingSchema):
        transport.prepare(requests.Session(), "GET", "canvas.example.edu/api/v1")
    with pytest.raises(requests.exceptions.InvalidURL):
        transport.prepare(requests.Session(), "GET", "https://")
