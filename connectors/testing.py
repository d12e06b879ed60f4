"""The connector contract kit: checks every connector — first-party or yours — must pass.

Run it against your connector and a small, stable provider (a fixture server, recorded responses, a file)::

    from connectors.testing import assert_contract

    def test_my_connector_honours_the_contract(my_server):
        assert_contract(lambda: MyConnector(MyConfig(base_url=my_server.url, token="...")),
                        bad_credentials=lambda: MyConnector(MyConfig(base_url=my_server.url, token="wrong")))

or, with pytest, subclass :class:`ConnectorContract` (no pytest import needed here) and give it
``make_connector`` (and optionally ``make_bad_connector``); each check becomes its own test.

What is checked (each check reads from scratch with a fresh connector from the factory):

``check_works``        ``check()`` returns ``CheckResult(ok=True)`` with a message that holds no secret
``check_fails``        with bad credentials ``check()`` returns ``ok=False`` (never raises) with a clear message
``records_valid``      ``read()`` yields :class:`Batch` es of valid CompletionRecords of its own ``source``,
                       from a declared stream, with aware ``completed_at``
``ids_unique``         no external id twice in a batch; across a read only as an update (the record changed)
``state_json``         every batch's state is a dict that survives a JSON round trip unchanged
``resume``             resuming from the state of batch *k* (any but the last) emits exactly what batches
                       after *k* emitted: nothing from before *k* (unless updated later), nothing lost
``idempotent``         reading again gives the same records; reading from the final state (the next sync of
                       an unchanged provider) emits nothing new or changed — it may repeat records unchanged
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, SecretStr

from cebridge.domain.records import CompletionRecord
from connectors.base import Batch, CheckResult, Connector

__all__ = ["ConnectorContract", "ContractReport", "ContractViolation", "assert_contract", "run_contract"]

Factory = Callable[[], Connector]


class ContractViolation(AssertionError):
    """A connector broke the contract; the message says which check and how."""


@dataclass
class ContractReport:
    """Outcome of each check: ``{name: None}`` when it passed, ``{name: "why"}`` when it failed."""

    results: dict[str, str | None] = field(default_factory=dict)
    batches: int = 0
    records: int = 0

    @property
    def ok(self) -> bool:
        return all(v is None for v in self.results.values())

    def failures(self) -> dict[str, str]:
        return {k: v for k, v in self.results.items() if v is not None}


@dataclass
class _Read:
    batches: list[Batch]

    @property
    def records(self) -> list[CompletionRecord]:
        return [r for b in self.batches for r in b.records]


def _read(factory: Factory, state: dict[str, Any] | None = None, *, limit: int) -> _Read:
    connector = factory()
    try:
        batches = []
        for batch in connector.read(state):
            batches.append(batch)
            if len(batches) > limit:
                raise ContractViolation(f"read() yielded more than {limit} batches; use a smaller fixture")
        return _Read(batches)
    finally:
        connector.close()


def _secrets(connector: Connector) -> list[str]:
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, SecretStr):
            secret = value.get_secret_value()
            if len(secret) >= 4:
                found.append(secret)
        elif isinstance(value, BaseModel):
            for name in type(value).model_fields:
                walk(getattr(value, name))
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item)

    walk(connector.config)
    return found


def _fact(record: CompletionRecord) -> str:
    """A record without its raw payload, as comparable text."""
    return record.model_dump_json(exclude={"raw"})


def check_works(factory: Factory) -> None:
    connector = factory()
    try:
        result = connector.check()
        secrets = _secrets(connector)
    finally:
        connector.close()
    _check_result_shape(result, secrets)
    if not result.ok:
        raise ContractViolation(f"check() failed against a working provider: {result.message}")


def check_fails(bad_factory: Factory) -> None:
    connector = bad_factory()
    try:
        try:
            result = connector.check()
        except Exception as exc:  # the contract says check() reports, it does not raise
            raise ContractViolation(f"check() raised {type(exc).__name__} instead of returning ok=False") from exc
        secrets = _secrets(connector)
    finally:
        connector.close()
    _check_result_shape(result, secrets)
    if result.ok:
        raise ContractViolation("check() said ok with bad credentials")
    if len(result.message.strip()) < 10:
        raise ContractViolation(f"check() failed without saying why: {result.message!r}")


def _check_result_shape(result: Any, secrets: Iterable[str]) -> None:
    if not isinstance(result, CheckResult):
        raise ContractViolation(f"check() returned {type(result).__name__}, not CheckResult")
    if not isinstance(result.message, str) or not result.message.strip():
        raise ContractViolation("check() returned an empty message")
    for secret in secrets:
        if secret in result.message:
            raise ContractViolation("check()'s message contains a secret from the config")


def check_records_valid(factory: Factory, first: _Read) -> None:
    connector = factory()
    try:
        streams = {s.name for s in connector.streams()}
        source = connector.source
    finally:
        connector.close()
    if not first.batches:
        raise ContractViolation("read() yielded no batch at all (a read ends with a batch carrying the state)")
    for i, batch in enumerate(first.batches):
        if not isinstance(batch, Batch):
            raise ContractViolation(f"batch {i} is a {type(batch).__name__}, not a Batch")
        if batch.stream not in streams:
            raise ContractViolation(f"batch {i} names stream {batch.stream!r}, not one of {sorted(streams)}")
        for record in batch.records:
            if not isinstance(record, CompletionRecord):
                raise ContractViolation(f"batch {i} holds a {type(record).__name__}, not a CompletionRecord")
            CompletionRecord.model_validate(record.model_dump())
            if record.source != source:
                raise ContractViolation(f"record {record.external_id}: source {record.source!r} is not {source!r}")
            if record.completed_at is not None and record.completed_at.utcoffset() is None:
                raise ContractViolation(f"record {record.external_id}: completed_at has no time zone")


def check_ids_unique(first: _Read) -> None:
    last: dict[str, str] = {}
    for i, batch in enumerate(first.batches):
        ids = [r.external_id for r in batch.records]
        if len(ids) != len(set(ids)):
            dup = next(x for x in ids if ids.count(x) > 1)
            raise ContractViolation(f"batch {i} holds external id {dup!r} twice")
        for record in batch.records:
            fact = _fact(record)
            if last.get(record.external_id) == fact:
                raise ContractViolation(f"external id {record.external_id!r} emitted twice unchanged")
            last[record.external_id] = fact


def check_state_json(first: _Read) -> None:
    for i, batch in enumerate(first.batches):
        if not isinstance(batch.state, dict):
            raise ContractViolation(f"batch {i}: state is a {type(batch.state).__name__}, not a dict")
        try:
            text = json.dumps(batch.state)
        except (TypeError, ValueError) as exc:
            raise ContractViolation(f"batch {i}: state is not JSON-serialisable: {exc}") from None
        if json.loads(text) != batch.state:
            raise ContractViolation(f"batch {i}: state changes in a JSON round trip (tuples, non-str keys?)")


def _sample(n: int, most: int) -> list[int]:
    if n <= most:
        return list(range(n))
    step = (n - 1) / (most - 1)
    return sorted({round(i * step) for i in range(most)})


def check_resume(factory: Factory, first: _Read, *, limit: int, samples: int) -> None:
    # The last batch's state ends the read: reading from it is a new sync, checked by check_idempotent.
    n = len(first.batches) - 1
    for k in _sample(n, samples):
        resumed = _read(factory, json.loads(json.dumps(first.batches[k].state)), limit=limit).records
        before = {r.external_id for b in first.batches[: k + 1] for r in b.records}
        after = [r for b in first.batches[k + 1 :] for r in b.records]
        after_ids = {r.external_id for r in after}
        again = [r.external_id for r in resumed if r.external_id in before and r.external_id not in after_ids]
        if again:
            raise ContractViolation(
                f"resuming from batch {k} re-emitted {len(again)} record(s) from before it, e.g. {again[0]!r}"
            )
        want = sorted(_fact(r) for r in after)
        got = sorted(_fact(r) for r in resumed)
        if want != got:
            lost = {r.external_id for r in after} - {r.external_id for r in resumed}
            extra = {r.external_id for r in resumed} - {r.external_id for r in after}
            raise ContractViolation(
                f"resuming from batch {k} did not give what the first read gave after it: "
                f"{len(lost)} missing (e.g. {sorted(lost)[:1]}), {len(extra)} extra (e.g. {sorted(extra)[:1]})"
            )


def check_idempotent(factory: Factory, first: _Read, *, limit: int) -> None:
    second = _read(factory, None, limit=limit)
    if sorted(_fact(r) for r in first.records) != sorted(_fact(r) for r in second.records):
        raise ContractViolation("reading twice from the start gave different records from an unchanged provider")
    final = json.loads(json.dumps(first.batches[-1].state))
    known = {_fact(r) for r in first.records}
    fresh = [r.external_id for r in _read(factory, final, limit=limit).records if _fact(r) not in known]
    if fresh:
        raise ContractViolation(
            f"reading from the final state emitted {len(fresh)} new or changed record(s), e.g. {fresh[0]!r}"
        )


def run_contract(
    factory: Factory,
    *,
    bad_credentials: Factory | None = None,
    min_records: int = 1,
    max_batches: int = 10_000,
    resume_samples: int = 8,
) -> ContractReport:
    """Run every check; a check that fails is recorded and the others still run."""
    report = ContractReport()

    def run(name: str, fn: Callable[[], None]) -> None:
        try:
            fn()
        except ContractViolation as exc:
            report.results[name] = str(exc)
        except Exception as exc:
            report.results[name] = f"raised {type(exc).__name__}: {exc}"
        else:
            report.results[name] = None

    run("check_works", lambda: check_works(factory))
    if bad_credentials is not None:
        run("check_fails", lambda: check_fails(bad_credentials))
    try:
        first = _read(factory, None, limit=max_batches)
    except Exception as exc:
        report.results["read"] = f"read() raised {type(exc).__name__}: {exc}"
        return report
    report.batches, report.records = len(first.batches), len(first.records)
    if report.records < min_records:
        report.results["read"] = f"read() gave {report.records} record(s); the fixture should give >= {min_records}"
    run("records_valid", lambda: check_records_valid(factory, first))
    run("ids_unique", lambda: check_ids_unique(first))
    run("state_json", lambda: check_state_json(first))
    run("resume", lambda: check_resume(factory, first, limit=max_batches, samples=resume_samples))
    run("idempotent", lambda: check_idempotent(factory, first, limit=max_batches))
    return report


def assert_contract(factory: Factory, **kwargs: Any) -> ContractReport:
    """:func:`run_contract`, raising :class:`ContractViolation` listing every failed check."""
    report = run_contract(factory, **kwargs)
    if not report.ok:
        lines = "\n".join(f"  {name}: {why}" for name, why in report.failures().items())
        raise ContractViolation(f"connector breaks the contract:\n{lines}")
    return report


class ConnectorContract:
    """Mixin for pytest: subclass as ``TestMyConnector(ConnectorContract)`` and define ``make_connector``.

    Define ``make_bad_connector`` (bad credentials) to also check that ``check()`` fails clearly.
    """

    min_records = 1
    max_batches = 10_000

    def make_connector(self) -> Connector:
        raise NotImplementedError("define make_connector() to return a fresh connector")

    def make_bad_connector(self) -> Connector | None:
        return None

    def _first(self) -> _Read:
        return _read(self.make_connector, None, limit=self.max_batches)

    def test_check_works(self) -> None:
        check_works(self.make_connector)

    def test_check_fails_clearly(self) -> None:
        if type(self).make_bad_connector is ConnectorContract.make_bad_connector:
            return  # no bad-credentials variant given

        def bad() -> Connector:
            connector = self.make_bad_connector()
            if connector is None:
                raise ContractViolation("make_bad_connector() returned None")
            return connector

        check_fails(bad)

    def test_records_valid(self) -> None:
        first = self._first()
        if len(first.records) < self.min_records:
            raise ContractViolation(f"the fixture gave {len(first.records)} record(s); want >= {self.min_records}")
        check_records_valid(self.make_connector, first)

    def test_ids_unique(self) -> None:
        check_ids_unique(self._first())

    def test_state_json(self) -> None:
        check_state_json(self._first())

    def test_resume(self) -> None:
        check_resume(self.make_connector, self._first(), limit=self.max_batches, samples=8)

    def test_idempotent(self) -> None:
        check_idempotent(self.make_connector, self._first(), limit=self.max_batches)
