"""The classification table: every kind of provider answer lands on the documented action."""

from __future__ import annotations

import json

import pytest
import requests

from connectors.errors import Action, Exchange, classify, redact_text, redact_url


def answer(status: int, body: bytes | str | dict | list = b"", headers: dict[str, str] | None = None) -> Exchange:
    response = requests.Response()
    response.status_code = status
    if isinstance(body, dict | list):
        body = json.dumps(body)
    response._content = body.encode() if isinstance(body, str) else body
    response.headers.update(headers or {})
    response.url = "https://provider.example/api"
    return Exchange(response=response)


@pytest.mark.parametrize(
    ("exchange", "action", "rule"),
    [
        (Exchange(error=requests.ReadTimeout("read timed out")), Action.RETRY, "timeout"),
        (Exchange(error=requests.ConnectTimeout("connect timed out")), Action.RETRY, "timeout"),
        (Exchange(error=requests.ConnectionError("reset by peer")), Action.RETRY, "connection"),
        (Exchange(error=requests.exceptions.ChunkedEncodingError("cut")), Action.RETRY, "connection"),
        (answer(429, "", {"Retry-After": "3"}), Action.THROTTLED, "throttled-429"),
        (
            answer(403, "403 Forbidden (Rate Limit Exceeded)\n", {"Content-Type": "text/plain; charset=utf-8"}),
            Action.THROTTLED,
            "canvas-403-throttle",
        ),
        (
            answer(
                403, {"status": "unauthorized", "errors": [{"message": "user not authorized to perform that action"}]}
            ),
            Action.DENIED,
            "forbidden",
        ),
        (
            answer(
                401,
                {"errors": [{"message": "Invalid access token."}]},
                {"WWW-Authenticate": 'Bearer realm="canvas-lms"'},
            ),
            Action.AUTH,
            "unauthorized",
        ),
        (
            answer(
                401, {"status": "unauthorized", "errors": [{"message": "user not authorized to perform that action"}]}
            ),
            Action.DENIED,
            "canvas-401-not-permitted",
        ),
        (
            answer(200, {"exception": "moodle_exception", "errorcode": "invalidtoken", "message": "Invalid token"}),
            Action.AUTH,
            "moodle-invalidtoken",
        ),
        (
            answer(200, {"exception": "webservice_access_exception", "errorcode": "accessexception", "message": "x"}),
            Action.DENIED,
            "moodle-accessexception",
        ),
        (
            answer(200, {"exception": "moodle_exception", "errorcode": "nocriteriaset", "message": "No criteria"}),
            Action.REMOTE_ERROR,
            "moodle-exception",
        ),
        (answer(500, "oops"), Action.RETRY, "server-error"),
        (answer(503, "", {"Retry-After": "1"}), Action.RETRY, "server-error"),
        (answer(408, ""), Action.RETRY, "request-timeout"),
        (
            answer(404, {"errors": [{"message": "The specified resource does not exist."}]}),
            Action.NOT_FOUND,
            "not-found",
        ),
        (answer(422, {"errors": {"name": ["is required"]}}), Action.REJECTED, "client-error"),
        (answer(200, [{"id": 1}]), Action.OK, "success"),
        # A JSON object that merely mentions "errorcode" deeper down is not Moodle's error shape.
        (answer(200, {"statements": [{"result": {"extensions": {"errorcode": 1}}}]}), Action.OK, "success"),
        (answer(302, ""), Action.REJECTED, "unexpected"),
    ],
)
def test_every_answer_is_classified_by_the_table(exchange: Exchange, action: Action, rule: str) -> None:
    verdict = classify(exchange)
    assert (verdict.action, verdict.rule.name) == (action, rule)


def test_moodle_error_details_travel_with_the_verdict() -> None:
    verdict = classify(answer(200, {"exception": "moodle_exception", "errorcode": "nocriteriaset", "message": "m"}))
    assert verdict.moodle == ("moodle_exception", "nocriteriaset", "m")


def test_redact_url_hides_credentials_and_keeps_the_rest() -> None:
    url = "https://moodle.example/webservice/rest/server.php?wstoken=abc123&wsfunction=core_x&courseids[0]=3"
    out = redact_url(url)
    assert "abc123" not in out
    assert "wstoken=***" in out and "wsfunction=core_x" in out and "courseids[0]=3" in out
    assert "abc" not in redact_url("https://canvas.example/api/v1/courses?access_token=abcdef&page=2")
    assert redact_url("https://canvas.example/api/v1/courses") == "https://canvas.example/api/v1/courses"


def test_redact_text_removes_tokens_headers_and_known_secrets() -> None:
    text = (
        "HTTPSConnectionPool: Max retries exceeded with url: /server.php?wstoken=s3cr3t-token&x=1 "
        "headers={'Authorization': 'Bearer tok-9999'} password=hunter22 and also tok-9999 alone"
    )
    out = redact_text(text, ["tok-9999"])
    for secret in ("s3cr3t-token", "tok-9999", "hunter22"):
        assert secret not in out
    assert "Max retries exceeded" in out
