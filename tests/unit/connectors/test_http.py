"""The HTTP layer: retries, backoff, Retry-After, throttling, fail-fast on credentials, no secrets in errors."""

from __future__ import annotations

import email.utils

import pytest
import requests
import responses

from cebridge.errors import AuthenticationError, ProviderContractError, ProviderUnavailable, RateLimited
from connectors.errors import PermissionDenied, ProviderRequestError, RemoteNotFound
from connectors.http import HttpClient, RetryPolicy, parse_retry_after

URL = "https://canvas.example.edu/api/v1/courses/1/enrollments"
TOKEN = "tok-0123456789-secret"


class Clock:
    """A fake clock whose sleep just records and advances."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def time(self) -> float:
        return self.now


def client(clock: Clock, **kw: object) -> HttpClient:
    policy = kw.pop("policy", RetryPolicy(max_retries=3, backoff_base=0.5, backoff_cap=4.0))
    return HttpClient(
        provider="Canvas at canvas.example.edu",
        auth_field="token",
        headers={"Authorization": f"Bearer {TOKEN}"},
        secrets=(TOKEN,),
        sleep=clock.sleep,
        rand=lambda: 0.5,
        clock=clock.time,
        policy=policy,  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )


@responses.activate
def test_server_errors_are_retried_with_growing_jittered_backoff_then_succeed() -> None:
    clock = Clock()
    responses.get(URL, status=502)
    responses.get(URL, status=500)
    responses.get(URL, json=[{"id": 1}])
    body, _ = client(clock).get_json(URL)
    assert body == [{"id": 1}]
    # equal jitter with rand=0.5: 3/4 of min(cap, base * 2**n)
    assert clock.sleeps == [0.375, 0.75]


@responses.activate
def test_retries_are_bounded_and_the_error_says_how_many_attempts() -> None:
    clock = Clock()
    for _ in range(4):
        responses.get(URL, status=503)
    with pytest.raises(ProviderUnavailable) as err:
        client(clock).get_json(URL)
    assert "after 4 attempts" in str(err.value)
    assert len(responses.calls) == 4 and len(clock.sleeps) == 3


@responses.activate
def test_429_honours_retry_after_seconds() -> None:
    clock = Clock()
    responses.get(URL, status=429, headers={"Retry-After": "7"})
    responses.get(URL, json=[])
    client(clock).get_json(URL)
    assert clock.sleeps == [7.0]


@responses.activate
def test_retry_after_as_an_http_date_is_honoured() -> None:
    clock = Clock()
    when = email.utils.formatdate(clock.now + 12, usegmt=True)
    responses.get(URL, status=503, headers={"Retry-After": when})
    responses.get(URL, json=[])
    client(clock).get_json(URL)
    assert 11.0 <= clock.sleeps[0] <= 12.0


@responses.activate
def test_a_retry_after_longer_than_the_policy_allows_stops_at_once() -> None:
    clock = Clock()
    responses.get(URL, status=429, headers={"Retry-After": "3600"})
    with pytest.raises(RateLimited) as err:
        client(clock).get_json(URL)
    assert "3600s" in str(err.value) and clock.sleeps == []


@responses.activate
def test_canvas_403_rate_limit_is_throttling_not_a_permission_error() -> None:
    clock = Clock()
    responses.get(
        URL,
        status=403,
        body="403 Forbidden (Rate Limit Exceeded)\n",
        headers={"X-Rate-Limit-Remaining": "0.0"},
        content_type="text/plain; charset=utf-8",
    )
    responses.get(URL, json=[{"id": 2}])
    body, _ = client(clock).get_json(URL)
    assert body == [{"id": 2}] and len(clock.sleeps) == 1


@responses.activate
def test_throttling_that_never_ends_is_rate_limited() -> None:
    clock = Clock()
    for _ in range(4):
        responses.get(URL, status=429)
    with pytest.raises(RateLimited, match="kept throttling"):
        client(clock).get_json(URL)


@responses.activate
def test_401_fails_fast_naming_the_config_field_and_never_the_token() -> None:
    clock = Clock()
    responses.get(
        URL + "?access_token=" + TOKEN,
        status=401,
        json={"errors": [{"message": "Invalid access token."}]},
        headers={"WWW-Authenticate": 'Bearer realm="canvas-lms"'},
    )
    with pytest.raises(AuthenticationError) as err:
        client(clock).get_json(URL + "?access_token=" + TOKEN)
    assert len(responses.calls) == 1 and clock.sleeps == []
    assert "'token'" in err.value.user_message
    assert TOKEN not in str(err.value) and TOKEN not in err.value.user_message
    assert "Invalid access token." in str(err.value)


@responses.activate
def test_moodle_invalidtoken_in_a_200_body_is_an_authentication_error() -> None:
    clock = Clock()
    url = "https://moodle.example/webservice/rest/server.php"
    responses.post(url, json={"exception": "moodle_exception", "errorcode": "invalidtoken", "message": "Invalid token"})
    with pytest.raises(AuthenticationError, match="'token'"):
        client(clock).request("POST", url, data={"wstoken": TOKEN})


@responses.activate
def test_moodle_exceptions_carry_their_errorcode() -> None:
    clock = Clock()
    url = "https://moodle.example/webservice/rest/server.php"
    responses.post(url, json={"exception": "moodle_exception", "errorcode": "nocriteriaset", "message": "No criteria"})
    with pytest.raises(ProviderRequestError) as err:
        client(clock).request("POST", url)
    assert err.value.code == "nocriteriaset" and "No criteria" in str(err.value)


@responses.activate
def test_403_without_throttle_text_is_a_permission_error_and_404_not_found() -> None:
    clock = Clock()
    responses.get(URL, status=403, json={"status": "unauthorized", "errors": [{"message": "user not authorized"}]})
    with pytest.raises(PermissionDenied, match="lack a permission"):
        client(clock).get_json(URL)
    responses.get(URL + "/9", status=404, json={"errors": [{"message": "The specified resource does not exist."}]})
    with pytest.raises(RemoteNotFound):
        client(clock).get_json(URL + "/9")
    assert clock.sleeps == []


@responses.activate
def test_connection_errors_and_timeouts_are_retried() -> None:
    clock = Clock()
    responses.get(URL, body=requests.ConnectionError("connection reset"))
    responses.get(URL, body=requests.ReadTimeout("read timed out"))
    responses.get(URL, json=[])
    client(clock).get_json(URL)
    assert len(clock.sleeps) == 2


@responses.activate
def test_every_request_carries_the_timeout() -> None:
    responses.get(URL, json=[])
    client(Clock(), timeout=(3.0, 9.0)).get_json(URL)
    assert responses.calls[0].request.req_kwargs["timeout"] == (3.0, 9.0)


@responses.activate
def test_transport_errors_are_redacted() -> None:
    clock = Clock()
    url = f"https://moodle.example/webservice/rest/server.php?wstoken={TOKEN}&wsfunction=x"
    for _ in range(4):
        responses.get(url, body=requests.ConnectionError(f"Max retries exceeded with url: /server.php?wstoken={TOKEN}"))
    with pytest.raises(ProviderUnavailable) as err:
        client(clock).get_json(url)
    assert TOKEN not in str(err.value) and "wstoken=***" in str(err.value)
    assert err.value.__cause__ is None and err.value.__context__ is None


@responses.activate
def test_a_body_that_is_not_json_is_a_contract_error() -> None:
    responses.get(URL, body="<html>maintenance</html>", content_type="text/html")
    with pytest.raises(ProviderContractError, match="not JSON"):
        client(Clock()).get_json(URL)


@responses.activate
def test_low_rate_limit_remaining_slows_the_next_request() -> None:
    clock = Clock()
    responses.get(URL, json=[], headers={"X-Rate-Limit-Remaining": "25.0"})
    responses.get(URL, json=[], headers={"X-Rate-Limit-Remaining": "600.0"})
    responses.get(URL, json=[])
    c = client(clock, policy=RetryPolicy(low_remaining=100.0, slow_down=2.0))
    c.get_json(URL)
    assert clock.sleeps == []  # nothing to wait for before the first request
    c.get_json(URL)
    assert clock.sleeps == [1.5]  # 2.0 * (1 - 25/100)
    c.get_json(URL)
    assert clock.sleeps == [1.5]  # plenty left: no pause


@responses.activate
def test_accepted_statuses_are_returned_for_the_caller_to_read() -> None:
    responses.get(URL, status=400, json={"error": {"message": "no progress available"}})
    body, response = client(Clock()).get_json(URL, accept=(400,))
    assert response.status_code == 400 and "error" in body


def test_parse_retry_after() -> None:
    assert parse_retry_after("5", now=0) == 5.0
    assert parse_retry_after("  ", now=0) is None
    assert parse_retry_after("soon", now=0) is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412490.0) == 0.0
