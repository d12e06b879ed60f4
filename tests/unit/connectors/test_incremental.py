"""Roster passes (connectors.incremental): batches, high-water marks, lookback and resuming mid-course."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cebridge.domain.records import CompletionRecord, CourseRef, LearnerRef
from connectors.base import Batch, RecordProblem, Stream
from connectors.incremental import read_roster_pass, sorted_user_ids, user_key

JAN = datetime(2024, 1, 1, tzinfo=UTC)


def record(course: str, user: str, status: str, days: int | None = None) -> CompletionRecord:
    return CompletionRecord(
        source="t",
        external_id=f"{course}:{user}",
        learner=LearnerRef(platform_user_id=user),
        course=CourseRef(external_id=course),
        status=status,  # type: ignore[arg-type]
        completed_at=None if days is None else JAN + timedelta(days=days),
    )


ROSTERS: dict[str, list[CompletionRecord]] = {
    "1": [
        record("1", "2", "completed", 1),
        record("1", "3", "in_progress"),
        record("1", "10", "completed", 10),
        record("1", "11", "completed", 5),
        record("1", "12", "no_requirements"),
    ],
    "2": [record("2", "7", "completed", 20)],
}


class Fake(Stream):
    name = "roster"
    cursor_field = "completed_at"

    def __init__(self, *, batch_size: int = 2, lookback: timedelta = timedelta(0), full_refresh: bool = False) -> None:
        self.batch_size = batch_size
        self.lookback = lookback
        self.full_refresh = full_refresh

    def courses(self, done: list[str]) -> Iterator[tuple[str, Mapping[str, Any] | RecordProblem]]:
        for key in ("1", "2"):
            if key not in done:
                yield key, {"id": key}

    def roster(self, course: Mapping[str, Any]) -> Iterator[tuple[str, CompletionRecord]]:
        for rec in ROSTERS[str(course["id"])]:
            yield rec.learner.platform_user_id or "", rec

    def read(self, state: Mapping[str, Any]) -> Iterator[Batch]:
        return read_roster_pass(
            self,
            state,
            courses=self.courses,
            roster=self.roster,
            batch_size=self.batch_size,
            lookback=self.lookback,
            full_refresh=self.full_refresh,
        )


def ids(batches: list[Batch]) -> list[list[str]]:
    return [[r.external_id for r in b.records] for b in batches]


def own(batch: Batch) -> Any:
    return batch.state["streams"]["roster"]


def test_a_first_pass_batches_in_user_order_and_sets_the_marks() -> None:
    batches = list(Fake().read({}))
    assert ids(batches) == [["1:2", "1:3"], ["1:10", "1:11"], ["1:12"], ["2:7"], []]
    assert own(batches[0])["pass"] == {
        "done": [],
        "course": "1",
        "after_user": "3",
        "max_completed_at": "2024-01-02T00:00:00Z",
    }
    assert own(batches[1])["pass"]["max_completed_at"] == "2024-01-11T00:00:00Z"
    assert own(batches[2]) == {"hwm": {"1": "2024-01-11T00:00:00Z"}, "pass": {"done": ["1"]}}
    assert own(batches[-1]) == {"hwm": {"1": "2024-01-11T00:00:00Z", "2": "2024-01-21T00:00:00Z"}}


def test_the_next_pass_skips_completions_older_than_the_mark_minus_the_lookback() -> None:
    state = {"streams": {"roster": {"hwm": {"1": "2024-01-11T00:00:00Z", "2": "2024-01-21T00:00:00Z"}}}}
    # course 1: the mark is day 10, a 6-day lookback keeps completions from day 4 on (day 5 and day 10)
    batches = list(Fake(lookback=timedelta(days=6)).read(state))
    assert ids(batches) == [["1:3", "1:10"], ["1:11", "1:12"], [], ["2:7"], []]
    assert own(batches[0])["pass"]["after_user"] == "10"
    # skipped completions do not lower the marks
    assert own(batches[-1])["hwm"] == {"1": "2024-01-11T00:00:00Z", "2": "2024-01-21T00:00:00Z"}
    assert ids(list(Fake().read(state))) == [["1:3", "1:10"], ["1:12"], ["2:7"], []]
    assert ids(list(Fake(full_refresh=True).read(state))) == ids(list(Fake().read({})))


def test_a_pass_resumes_after_the_last_user_handed_over_and_keeps_its_running_maximum() -> None:
    first = list(Fake().read({}))
    resumed = list(Fake().read(first[0].state))
    assert ids(resumed) == [["1:10", "1:11"], ["1:12"], ["2:7"], []]
    assert own(resumed[-1]) == own(first[-1])
    # a resumed pass whose bookmark is later than anything left keeps the bookmark
    bookmark = {"done": [], "course": "1", "after_user": "10", "max_completed_at": "2024-02-01T00:00:00Z"}
    rest = list(Fake().read({"streams": {"roster": {"pass": bookmark}}}))
    assert ids(rest) == [["1:11", "1:12"], [], ["2:7"], []]
    assert own(rest[-1])["hwm"]["1"] == "2024-02-01T00:00:00Z"


def test_every_batch_state_is_plain_json_and_shares_nothing_with_the_next() -> None:
    batches = list(Fake(batch_size=1).read({"streams": {"other": {"cursor": 3}}}))
    for batch in batches:
        assert json.loads(json.dumps(batch.state)) == batch.state
        assert batch.state["streams"]["other"] == {"cursor": 3}  # other streams' entries are carried over
    before = [json.dumps(b.state, sort_keys=True) for b in batches]
    own(batches[0])["pass"]["done"].append("mutated")  # a caller that mutates one state (it should not)...
    own(batches[3]).setdefault("hwm", {})["9"] = "x"
    assert [json.dumps(b.state, sort_keys=True) for b in batches][4:] == before[4:]  # ...changes no later one


class Plain(Stream):
    name = "plain"
    cursor_field = "x"

    def read(self, state: Mapping[str, Any]) -> Iterator[Batch]:
        yield from ()


def test_a_batch_copies_its_entry_through_json_unless_it_is_fresh() -> None:
    entry: dict[str, Any] = {"cursor": [1, 2]}
    copied = Plain().batch([], {}, entry)
    assert copied.state == {"streams": {"plain": {"cursor": [1, 2]}}}
    entry["cursor"].append(3)
    assert copied.state["streams"]["plain"] == {"cursor": [1, 2]}
    fresh = Plain().batch([], {"streams": {"a": {"b": 1}}}, {"cursor": "9"}, fresh=True)
    assert fresh.state == {"streams": {"a": {"b": 1}, "plain": {"cursor": "9"}}}
    with pytest.raises(TypeError, match="not JSON-serialisable"):
        Plain().batch([], {}, {"when": JAN})


@pytest.mark.parametrize(
    "ids",
    [
        ["10", "9", "100", "1", "0010"],
        ["b", "10", "a", "9", "B"],
        [],
    ],
)
def test_user_ids_sort_numbers_first_numerically_then_text(ids: list[str]) -> None:
    assert sorted_user_ids(ids) == sorted(ids, key=user_key)
    assert sorted_user_ids(set(ids)) == sorted(set(ids), key=user_key)
