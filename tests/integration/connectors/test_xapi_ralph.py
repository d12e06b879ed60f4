"""The xAPI connector against a real LRS (Ralph) on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cebridge.domain.records import CompletionRecord
from cebridge.errors import AuthenticationError
from connectors.xapi import XapiConfig, XapiConnector
from tests.integration.connectors.lrs_fixture import Lrs, running_lrs, statement, voiding


@pytest.fixture(scope="module")
def lrs_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lrs]:
    with running_lrs(tmp_path_factory.mktemp("ralph")) as lrs:
        yield lrs


def make(lrs: Lrs, **kw: Any) -> XapiConnector:
    cfg: dict[str, Any] = {"base_url": lrs.url, "username": lrs.username, "password": lrs.password, "page_size": 3}
    cfg.update(kw)
    return XapiConnector(XapiConfig(**cfg))


def read(
    connector: XapiConnector, state: dict[str, Any] | None = None
) -> tuple[list[CompletionRecord], dict[str, Any]]:
    try:
        batches = list(connector.read(state))
    finally:
        connector.close()
    return [r for b in batches for r in b.records], json.loads(json.dumps(batches[-1].state))


@pytest.mark.slow
def test_completion_statements_incremental_pulls_and_voiding(lrs_root: Lrs) -> None:
    # The LRS is shared by the module; this test owns the statements it posts from here on.
    first_batch = [
        statement("completed", 1, 101),
        statement("passed", 2, 101, result={"score": {"scaled": 0.9}, "success": True}),
        statement("failed", 3, 101, result={"success": False}),
        statement("launched", 4, 101),
        statement("completed", 5, 102),
    ]
    ids = lrs_root.post(first_batch)
    records, state = read(make(lrs_root))
    by_id = {r.external_id: r for r in records}
    assert set(by_id) == {ids[0], ids[1], ids[2], ids[4]}  # `launched` is not a completion
    assert by_id[ids[1]].status == "passed" and str(by_id[ids[1]].score) == "90.0"
    assert by_id[ids[2]].status == "failed" and not by_id[ids[2]].earns_credit
    assert by_id[ids[0]].learner.email == "clinician1@example.org"
    assert by_id[ids[0]].course.external_id == "https://ce.example.org/courses/101"

    # nothing new: nothing emitted
    again, state = read(make(lrs_root), state)
    assert again == []

    # a new completion and a voiding of an earlier one
    later = lrs_root.post([statement("completed", 6, 103), voiding(ids[0])])
    more, state = read(make(lrs_root), state)
    assert {(r.external_id, r.status) for r in more} == {(later[0], "completed"), (ids[0], "revoked")}
    revoked = next(r for r in more if r.status == "revoked")
    assert revoked.learner.email == "clinician1@example.org" and not revoked.earns_credit
    assert ids[0] in state["streams"]["statements"]["voided"]


@pytest.mark.slow
def test_resuming_a_pull_from_a_mid_pull_state(tmp_path: Path) -> None:
    with running_lrs(tmp_path / "lrs") as lrs:
        posted = lrs.post([statement("completed", i, 200 + i % 3) for i in range(8)])
        batches = list(make(lrs, page_size=3).read({}))
        assert len(batches) >= 3
        everything = [r.external_id for b in batches for r in b.records]
        assert sorted(everything) == sorted(posted)
        mid = json.loads(json.dumps(batches[0].state))
        assert mid["streams"]["statements"]["more"]
        rest = [r.external_id for b in make(lrs, page_size=3).read(mid) for r in b.records]
        first = [r.external_id for r in batches[0].records]
        assert sorted(first + rest) == sorted(posted)


@pytest.mark.slow
def test_bad_credentials(lrs_root: Lrs) -> None:
    result = make(lrs_root, password="not-the-password").check()
    assert not result.ok and "'password'" in result.message and "not-the-password" not in result.message
    with pytest.raises(AuthenticationError):
        read(make(lrs_root, password="not-the-password"))
    assert make(lrs_root).check().ok
