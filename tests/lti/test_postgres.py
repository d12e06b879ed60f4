"""The launch path, deep linking and the AGS sink on PostgreSQL (tables from the migrations)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lti_tool.db import engine_of
from lti_tool.services import TOKENS
from tests.integration.conftest import pg_url  # noqa: F401  (the per-test PostgreSQL database)
from tests.lti.conftest import Tool, launch, launch_count, make_tool, new_platform, register
from tests.lti.platform import TestPlatform
from tests.lti.test_advantage import _enqueue, _sink, place, seed_catalog
from tests.lti.test_launch_path import check_placement_refresh

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_tool(tmp_path: Path, pg_url: str) -> Iterator[Tool]:  # noqa: F811
    TOKENS.clear()
    tool = make_tool(tmp_path / "home", database_url=pg_url)
    yield tool
    tool.served.stop()
    engine_of(tool.app).dispose()


@pytest.fixture
def pg_platform(pg_tool: Tool) -> Iterator[TestPlatform]:
    platform = new_platform(pg_tool)
    register(pg_tool, platform)
    yield platform
    platform.stop()


def test_launch_replay_deep_link_and_score_on_postgresql(pg_tool: Tool, pg_platform: TestPlatform) -> None:
    first = launch(pg_tool, pg_platform)
    assert first.response.status_code == 303
    replay = pg_tool.client.post(pg_tool.url + "/lti/launch", data={"id_token": first.id_token, "state": first.state})
    assert replay.status_code == 400
    assert launch_count(pg_tool) == 1
    ids = seed_catalog(pg_tool)
    item = place(pg_tool, pg_platform, ids["eth-3"])
    placed = launch(pg_tool, pg_platform, resource_link_id=item["_resource_link_id"], custom=item["custom"])
    assert placed.response.status_code == 303
    outbox = _enqueue(pg_tool, pg_platform, ids["eth-3"], "c1")
    sink = _sink(pg_tool)
    sink.deliver(outbox[0].kind, outbox[0].payload, outbox[0].idempotency_key)
    sink.deliver(outbox[0].kind, outbox[0].payload, outbox[0].idempotency_key)
    assert [s["activityProgress"] for s in pg_platform.scores] == ["Completed"]


def test_placements_are_recorded_and_refreshed_on_postgresql(pg_tool: Tool, pg_platform: TestPlatform) -> None:
    check_placement_refresh(pg_tool, pg_platform)
