"""Sinks: the signed webhook against a real receiver on 127.0.0.1, the CE Broker roster, JSON lines."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest

from cebridge.errors import ConfigError, SinkRejected, SinkUnavailable
from cebridge.sinks.jsonl import JsonLinesSink
from cebridge.sinks.roster import RosterSink
from cebridge.sinks.signing import MemoryReplayGuard, WebhookVerificationError, sign, verify_webhook
from cebridge.sinks.webhook import WebhookSink

SECRET = "whsec-test-0123456789"


class Receiver:
    """A webhook receiver that checks every delivery with the shipped helper."""

    def __init__(self) -> None:
        self.accepted: list[dict[str, Any]] = []
        self.refused: list[str] = []
        self.answers: list[int] = []  # statuses to answer before accepting normally
        self.delay = 0.0
        self.guard = MemoryReplayGuard()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if receiver.delay:
                    time.sleep(receiver.delay)
                if receiver.answers:
                    self.send_response(receiver.answers.pop(0))
                    if self.path == "/redirect":
                        self.send_header("Location", "https://elsewhere.example/")
                    self.end_headers()
                    return
                try:
                    data = verify_webhook(SECRET, body, dict(self.headers.items()), guard=receiver.guard)
                except WebhookVerificationError as exc:
                    receiver.refused.append(str(exc))
                    self.send_response(400)
                    self.end_headers()
                    return
                receiver.accepted.append(data)
                self.send_response(204)
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r


EVENT = {
    "certificate_id": "CE-AAAA-BBBB-CCCC-DDDD",
    "status": "issued",
    "completion_id": "41",
    "board": "fl-lmhc",
    "state": "FL",
    "profession": "LMHC",
    "license_number": "MH 12345",
    "holder": "Maria de la Cruz",
    "course_title": "Florida Laws and Rules",
    "course_code": "FLR-2",
    "completed_on": "2024-03-05",
    "hours": 2,
    "hours_earned": 2,
}


def test_webhook_delivery_is_signed_and_verified_by_the_receiver(receiver: Receiver) -> None:
    sink = WebhookSink({"url": receiver.url, "secret": SECRET})
    sink.deliver("certificate.issued", EVENT, "hook:certificate.issued:CE-1:issued")
    (got,) = receiver.accepted
    assert got["id"] == "hook:certificate.issued:CE-1:issued"
    assert got["kind"] == "certificate.issued" and got["data"]["license_number"] == "MH 12345"
    assert receiver.refused == []


def test_receiver_rejects_replays_old_timestamps_and_bad_signatures(receiver: Receiver) -> None:
    sink = WebhookSink({"url": receiver.url, "secret": SECRET})
    sink.deliver("certificate.issued", EVENT, "key-1")
    # the same delivery id again (a replay) is refused by the receiver: the sink sees a 4xx
    with pytest.raises(SinkRejected, match="400"):
        sink.deliver("certificate.issued", EVENT, "key-1")
    assert "already received" in receiver.refused[-1]
    stale = WebhookSink({"url": receiver.url, "secret": SECRET}, clock=lambda: time.time() - 3600)
    with pytest.raises(SinkRejected):
        stale.deliver("certificate.issued", EVENT, "key-2")
    assert "timestamp" in receiver.refused[-1]
    wrong = WebhookSink({"url": receiver.url, "secret": "another-secret"})
    with pytest.raises(SinkRejected):
        wrong.deliver("certificate.issued", EVENT, "key-3")
    assert "does not match" in receiver.refused[-1]
    assert len(receiver.accepted) == 1


def test_verify_helper_edge_cases() -> None:
    body = json.dumps({"id": "d1", "data": {}}).encode()
    now = 1_700_000_000
    header = sign(SECRET, body, now)
    assert verify_webhook(SECRET, body, {"cebridge-signature": header}, now=now)["id"] == "d1"
    rotated = f"{header},v1={'0' * 64}"
    assert verify_webhook(SECRET, body, {"Cebridge-Signature": rotated}, now=now)
    with pytest.raises(WebhookVerificationError, match="missing"):
        verify_webhook(SECRET, body, {}, now=now)
    with pytest.raises(WebhookVerificationError, match="t=<seconds>"):
        verify_webhook(SECRET, body, {"Cebridge-Signature": "v1=abc"}, now=now)
    with pytest.raises(WebhookVerificationError, match="does not match"):
        verify_webhook(SECRET, body + b" ", {"Cebridge-Signature": header}, now=now)
    with pytest.raises(WebhookVerificationError, match="delivery header"):
        verify_webhook(SECRET, body, {"Cebridge-Signature": header, "Cebridge-Delivery": "d2"}, now=now)
    guard = MemoryReplayGuard(ttl=10)
    assert guard.first_time("x", 0) and not guard.first_time("x", 5) and guard.first_time("x", 11)


def test_webhook_faults_are_classified_for_the_outbox(receiver: Receiver) -> None:
    sink = WebhookSink({"url": receiver.url, "secret": SECRET, "timeout": 0.3})
    for status in (500, 502, 503, 429, 408):
        receiver.answers = [status]
        with pytest.raises(SinkUnavailable, match=str(status)):
            sink.deliver("k", EVENT, f"k-{status}")
    for status in (400, 401, 404, 410):
        receiver.answers = [status]
        with pytest.raises(SinkRejected, match=str(status)):
            sink.deliver("k", EVENT, f"k-{status}")
    receiver.delay = 1.0
    with pytest.raises(SinkUnavailable, match="timed out"):
        sink.deliver("k", EVENT, "k-slow")
    receiver.delay = 0
    redirect = WebhookSink({"url": receiver.url.replace("/hook", "/redirect"), "secret": SECRET})
    receiver.answers = [302]
    with pytest.raises(SinkRejected, match="302"):
        redirect.deliver("k", EVENT, "k-redirect")


def test_unreachable_receiver_is_retriable_and_messages_hide_secrets() -> None:
    with Receiver() as r:
        url = r.url
    sink = WebhookSink({"url": url + "?token=abc123", "secret": SECRET, "timeout": 1})
    with pytest.raises(SinkUnavailable) as info:
        sink.deliver("k", EVENT, "k1")
    message = str(info.value) + repr(sink)
    assert SECRET not in message and "abc123" not in message and "127.0.0.1" in message


def test_webhook_config_is_checked() -> None:
    with pytest.raises(ConfigError, match="https"):
        WebhookSink({"url": "http://hooks.example.org/x", "secret": SECRET})
    with pytest.raises(ConfigError, match="secret"):
        WebhookSink({"url": "https://hooks.example.org/x"})
    with pytest.raises(ConfigError) as info:
        WebhookSink({"url": "https://hooks.example.org/x", "secret": SECRET, "timeout": -1})
    assert SECRET not in str(info.value)


def _roster(tmp_path: Path) -> RosterSink:
    return RosterSink(
        {
            "directory": str(tmp_path / "roster"),
            "provider_id": "50-1234",
            "upload_secret": "UPLOAD-SECRET",
            "courses": {"FLR-2": "20-5678"},
            "professions": {"fl-lmhc": "MHC"},
        }
    )


def test_roster_csv_and_xml_have_ce_broker_fields(tmp_path: Path) -> None:
    sink = _roster(tmp_path)
    sink.deliver("certificate.issued", EVENT, "r1")
    partial = {**EVENT, "certificate_id": "CE-P", "license_number": "MH 999", "hours_earned": 1.5, "holder": "Al"}
    sink.deliver("certificate.issued", partial, "r2")
    sink.deliver("certificate.issued", EVENT, "r1")  # repeated delivery: no duplicate
    lines = (tmp_path / "roster" / "roster.csv").read_text().splitlines()
    assert lines[0].split(",")[:8] == [
        "provider_id", "course_id", "provider_course_code", "publishing_id",
        "license_number", "completion_date", "state", "profession",
    ]  # fmt: skip
    assert len(lines) == 3
    assert lines[1].startswith("1234,5678,,,MH 12345,2024-03-05,FL,MHC,2.0,N,Maria de la,Cruz,")
    assert ",MH 999,2024-03-05,FL,MHC,1.5,Y," in lines[2]
    assert "UPLOAD-SECRET" not in (tmp_path / "roster" / "roster.csv").read_text()
    root = ET.fromstring((tmp_path / "roster" / "roster.xml").read_bytes())  # noqa: S314 (our own output)
    assert (
        root.tag == "rosters" and root.get("id_parent_provider") == "1234" and root.get("upload_key") == "UPLOAD-SECRET"
    )
    roster = root.find("roster")
    assert roster is not None and roster.findtext("id_course") == "5678" and roster.findtext("end_date") == "03/05/2024"
    attendees = roster.findall("attendees/attendee")
    assert [(a.findtext("licensee_number"), a.findtext("ce_credit_hours")) for a in attendees] == [
        ("MH 12345", "2.0"),
        ("MH 999", "1.5"),
    ]
    assert attendees[0].findtext("date_completed") == "03/05/2024"
    assert attendees[0].findtext("cebroker_state") == "FL" and attendees[0].findtext("licensee_profession") == "MHC"
    assert (tmp_path / "roster" / "roster.xml").stat().st_mode & 0o077 == 0


def test_roster_follows_reissue_and_revocation(tmp_path: Path) -> None:
    sink = _roster(tmp_path)
    sink.deliver("certificate.issued", EVENT, "a")
    sink.deliver(
        "certificate.reissued",
        {**EVENT, "certificate_id": "CE-NEW", "hours": 3, "hours_earned": 3, "replaces": EVENT["certificate_id"]},
        "b",
    )
    rows = (tmp_path / "roster" / "roster.csv").read_text().splitlines()[1:]
    assert len(rows) == 1 and rows[0].endswith(",CE-NEW") and ",3.0,N," in rows[0]
    sink.deliver("certificate.revoked", {"certificate_id": "CE-NEW"}, "c")
    assert (tmp_path / "roster" / "roster.csv").read_text().splitlines()[1:] == []
    with pytest.raises(SinkRejected, match="needs"):
        sink.deliver("certificate.issued", {"certificate_id": "x"}, "d")
    with pytest.raises(SinkRejected, match="handles"):
        sink.deliver("compliance.updated", {}, "e")


def test_roster_disk_fault_is_retriable(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    sink = RosterSink({"directory": str(blocker / "roster"), "provider_id": "1"})
    with pytest.raises(SinkUnavailable):
        sink.deliver("certificate.issued", EVENT, "x")


def test_jsonl_appends_once_per_key_and_survives_a_torn_line(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    sink = JsonLinesSink({"path": str(path)})
    sink.deliver("certificate.issued", EVENT, "k1")
    sink.deliver("certificate.issued", EVENT, "k1")
    with path.open("a") as fh:
        fh.write('{"id": "torn", "kind"')  # a crash midway through a line
    other = JsonLinesSink({"path": str(path)})  # another process
    other.deliver("certificate.revoked", {"certificate_id": "x"}, "k2")
    sink.deliver("certificate.revoked", {"certificate_id": "x"}, "k2")
    lines = path.read_text().splitlines()
    parsed = [json.loads(line) for line in lines if line.startswith('{"id":"')]
    assert [p["id"] for p in parsed] == ["k1", "k2"]
    assert parsed[0]["data"]["license_number"] == "MH 12345"
    with pytest.raises(ConfigError):
        JsonLinesSink({})
