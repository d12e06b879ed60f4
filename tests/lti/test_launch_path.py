"""The launch's write: checks first, without a lock; then one transaction that claims the state only once."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import event, select, update

from cebridge.store.db import transaction
from cebridge.store.lti_tables import LtiLineItem, LtiLoginState
from lti_tool.db import engine_of, sessions_of
from lti_tool.validation import CebridgeMessageLaunch
from tests.lti.conftest import Tool, begin, launch, launch_count
from tests.lti.platform import TestPlatform


def test_a_second_post_during_validation_wins_and_the_first_is_refused(
    tool: Tool, platform: TestPlatform, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two POSTs of one id_token overlap: the one that claims the state first is the only launch stored.

    The second POST runs while the first is between its checks and its write; it must not wait for a lock
    (the first holds none yet), and the first must then find its state claimed."""
    id_token, state = begin(tool, platform)
    validate = CebridgeMessageLaunch.validate
    inner: dict[str, Any] = {}

    def validate_then_race(self: CebridgeMessageLaunch) -> CebridgeMessageLaunch:
        result = validate(self)
        if not inner:
            inner["started"] = time.monotonic()
            inner["response"] = tool.client.post(tool.url + "/lti/launch", data={"id_token": id_token, "state": state})
            inner["seconds"] = time.monotonic() - inner["started"]
        return result

    monkeypatch.setattr(CebridgeMessageLaunch, "validate", validate_then_race)
    outer = tool.client.post(
        tool.url + "/lti/launch", data={"id_token": id_token, "state": state}, headers={"Accept": "application/json"}
    )
    assert inner["response"].status_code == 303
    assert inner["seconds"] < 5  # no write lock was held by the first POST while it validated
    assert outer.status_code == 400
    assert outer.get_json()["error"] == "replayed"
    assert launch_count(tool) == 1


def test_a_state_that_expires_between_its_read_and_its_claim_is_not_claimed(
    tool: Tool, platform: TestPlatform, monkeypatch: pytest.MonkeyPatch
) -> None:
    id_token, state = begin(tool, platform)
    validate = CebridgeMessageLaunch.validate

    def validate_then_expire(self: CebridgeMessageLaunch) -> CebridgeMessageLaunch:
        result = validate(self)
        with transaction(sessions_of(tool.app)) as session:
            session.execute(update(LtiLoginState).where(LtiLoginState.state == state).values(expires_at=1))
        return result

    monkeypatch.setattr(CebridgeMessageLaunch, "validate", validate_then_expire)
    resp = tool.client.post(
        tool.url + "/lti/launch", data={"id_token": id_token, "state": state}, headers={"Accept": "application/json"}
    )
    assert resp.status_code == 400
    assert resp.get_json()["error"] == "replayed"
    assert launch_count(tool) == 0


def test_a_warm_launch_runs_only_its_own_statements(tool: Tool, platform: TestPlatform) -> None:
    """Registration, deployment and platform key lookups come from the caches: after a first launch, a launch
    is one insert at login, one read and one write transaction (claim, nonce, record) at launch."""
    first = launch(tool, platform)
    assert first.response.status_code == 303
    engine = engine_of(tool.app)
    engine.dispose()  # new connections, each traced from its first statement
    statements: list[str] = []

    @event.listens_for(engine, "connect")
    def trace(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.set_trace_callback(lambda sql: statements.append(" ".join(sql.split()[:3]).upper()))

    second = launch(tool, platform)
    assert second.response.status_code == 303
    work = [s for s in statements if not s.startswith("PRAGMA")]
    assert work == [
        "INSERT INTO LTI_LOGIN_STATE",
        "SELECT LTI_LOGIN_STATE.STATE, LTI_LOGIN_STATE.NONCE,",
        "BEGIN IMMEDIATE",
        "DELETE FROM LTI_LOGIN_STATE",
        "INSERT INTO LTI_NONCE",
        "INSERT INTO LTI_LAUNCH",
        "COMMIT",
    ]


def test_launches_of_a_placed_link_record_then_refresh_its_placement(tool: Tool, platform: TestPlatform) -> None:
    check_placement_refresh(tool, platform)


def check_placement_refresh(tool: Tool, platform: TestPlatform) -> None:
    """The placement is written in the launch's own transaction; a later launch updates what it sends and
    keeps what it leaves out (no AGS claim, no context)."""
    ags = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
    link = {"resource_link_id": "rl-7", "custom": {"cebridge_offering": "42"}}
    assert launch(tool, platform, **link).response.status_code == 303
    first = _placements(tool)
    assert [(r.offering_id, r.lineitems_url, r.lineitem_url) for r in first] == [
        ("42", platform.url + "/lineitems", None)
    ]
    assert first[0].context_id == platform.context_id and first[0].score_maximum == "1"

    platform.mutate = lambda m: m[ags].update({"lineitem": platform.url + "/lineitems/9"})
    assert launch(tool, platform, **{**link, "custom": {"cebridge_offering": "43"}}).response.status_code == 303
    platform.mutate = lambda m: [m.pop(k) for k in (ags, "https://purl.imsglobal.org/spec/lti/claim/context")]
    assert launch(tool, platform, **{**link, "custom": {"cebridge_offering": "43"}}).response.status_code == 303
    rows = _placements(tool)
    assert [(r.id, r.offering_id, r.lineitems_url, r.lineitem_url, r.context_id) for r in rows] == [
        (first[0].id, "43", platform.url + "/lineitems", platform.url + "/lineitems/9", platform.context_id)
    ]
    assert launch_count(tool) == 3


def _placements(tool: Tool) -> list[LtiLineItem]:
    with sessions_of(tool.app)() as session:
        return list(session.scalars(select(LtiLineItem)).all())
