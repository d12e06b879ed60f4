"""The xAPI LRS connector: completion-verb statements, polled with ``since`` + ``ascending`` + ``more``.

State of the ``statements`` stream::

    {"since": "<bookmark: latest `stored` read, never past X-Experience-API-Consistent-Through>",
     "recent": {"<statement id>": "<stored>", ...},   # ids stored within `overlap_seconds` of the bookmark
     "voided": ["<statement id>", ...],                # statements voided so far
     "more": "<next page of the pull in flight>", "pull_since": "...", "pull_max": "..."}

Each pull asks for statements stored since ``since - overlap_seconds`` (the overlap catches statements that
became visible late) and skips ids in ``recent``, so nothing is emitted twice and nothing stored late is lost.
Mid-pull, ``more`` (valid for at least 24 hours per the spec) lets a crashed pull resume after the last page
handed over. Statements are handled in ``stored`` order within a page, whatever order the LRS sends them in.

A voiding statement re-emits the voided statement's record with status ``revoked``. The voided statement is
taken from this pull if it was seen, else fetched with ``voidedStatementId`` (what the spec says), else with
``statementId`` (LRSs that do not hide voided statements); if none answers, the voiding is reported as a
problem on the batch.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import requests
from pydantic import Field, SecretStr

from cebridge.domain.records import CompletionRecord, RecordStatus
from cebridge.errors import CebridgeError
from connectors.base import Batch, CheckResult, Connector, ConnectorConfig, RecordProblem, Stream
from connectors.errors import ProviderRequestError
from connectors.http import HttpClient, HttpConfig
from connectors.pagination import MorePaginator
from connectors.values import host_of, iso_utc, parse_datetime
from connectors.xapi.statements import COMPLETION_VERBS, is_voiding, to_record, verb_of, voided_target

__all__ = ["XapiConfig", "XapiConnector"]

logger = logging.getLogger(__name__)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class XapiConfig(HttpConfig):
    """Where the LRS is (its xAPI root, e.g. ``https://lrs.example.org/xAPI``) and its Basic credentials."""

    username: str = Field(min_length=1, description="LRS key (HTTP Basic user name)")
    password: SecretStr = Field(description="LRS secret (HTTP Basic password)")
    version: str = Field(default="1.0.3", description="Sent as X-Experience-API-Version")
    page_size: int = Field(default=500, ge=1, le=10_000, description="limit= per statements page")
    overlap_seconds: int = Field(default=300, ge=0, le=86_400, description="Re-read window before the bookmark")


class StatementsStream(Stream):
    """Completion-verb statements as records; voidings as ``revoked`` records."""

    name = "statements"
    primary_key = ("source", "external_id")
    cursor_field = "stored"

    def __init__(self, client: HttpClient, config: XapiConfig, source: str) -> None:
        self.client = client
        self.config = config
        self.source = source
        self.statements_url = config.base_url + "/statements"
        self.pages = MorePaginator(client, root=config.base_url)
        self.overlap = timedelta(seconds=config.overlap_seconds)

    def read(self, state: Mapping[str, Any]) -> Iterator[Batch]:
        own = self.own_state(state)
        since = parse_datetime(own.get("since"))
        recent: dict[str, str] = {str(k): str(v) for k, v in (own.get("recent") or {}).items()}
        voided: set[str] = {str(v) for v in own.get("voided") or []}
        more = own.get("more")
        pull_max = parse_datetime(own.get("pull_max"))
        if more:
            pull_since = own.get("pull_since")
            pages = self.pages.pages(str(more))
        else:
            query_since = since - self.overlap if since is not None else None
            pull_since = iso_utc(query_since) if query_since is not None else None
            params: list[tuple[str, Any]] = [("ascending", "true"), ("limit", self.config.page_size)]
            if pull_since is not None:
                params.insert(0, ("since", pull_since))
            pages = self.pages.pages(self.statements_url, params)
        seen: dict[str, dict[str, Any]] = {}
        consistent: datetime | None = None
        whole = dict(state)
        for page in pages:
            consistent = _consistent_through(page.headers) or consistent
            records: dict[str, CompletionRecord] = {}
            problems: list[RecordProblem] = []
            for statement in sorted(page.items, key=_stored_key):
                sid = statement.get("id") if isinstance(statement, dict) else None
                if not sid:
                    problems.append(RecordProblem(where="statement without id", reason="skipped"))
                    continue
                sid = str(sid)
                stored = _stored(statement) or pull_max or EPOCH
                if sid in recent:
                    continue
                recent[sid] = iso_utc(stored)
                pull_max = stored if pull_max is None or stored > pull_max else pull_max
                self._handle(statement, sid, seen, voided, records, problems)
            floor = max(d for d in (pull_max, since) if d is not None) if (pull_max or since) else None
            if floor is not None:
                recent = _prune(recent, floor - self.overlap)
            own_state = {
                "since": iso_utc(since) if since else None,
                "recent": recent,
                "voided": sorted(voided),
                "more": page.next,
                "pull_since": pull_since,
                "pull_max": iso_utc(pull_max) if pull_max else None,
            }
            batch = self.batch(list(records.values()), whole, own_state, tuple(problems))
            whole = batch.state
            yield batch
        bookmark = pull_max
        if bookmark is not None and consistent is not None and consistent < bookmark:
            bookmark = consistent
        if bookmark is None or (since is not None and bookmark < since):
            bookmark = since
        if bookmark is not None:
            recent = _prune(recent, bookmark - self.overlap)
        final = {"since": iso_utc(bookmark) if bookmark else None, "recent": recent, "voided": sorted(voided)}
        yield self.batch([], whole, final)

    def _handle(
        self,
        statement: dict[str, Any],
        sid: str,
        seen: dict[str, dict[str, Any]],
        voided: set[str],
        records: dict[str, CompletionRecord],
        problems: list[RecordProblem],
    ) -> None:
        try:
            if is_voiding(statement):
                target = voided_target(statement)
                if not target:
                    raise ValueError("the voiding statement names no statement")
                voided.add(target)
                original = seen.get(target) or self._fetch_voided(target)
                if original is None:
                    problems.append(
                        RecordProblem(where=f"statement {sid}", reason=f"voids {target}, which the LRS cannot show")
                    )
                elif verb_of(original) in COMPLETION_VERBS:
                    records[target] = to_record(original, source=self.source, status="revoked")
                return
            if verb_of(statement) not in COMPLETION_VERBS:
                return
            seen[sid] = statement
            status: RecordStatus | None = "revoked" if sid in voided else None
            records[sid] = to_record(statement, source=self.source, status=status)
        except ValueError as exc:
            problems.append(RecordProblem(where=f"statement {sid}", reason=str(exc)))

    def _fetch_voided(self, target: str) -> dict[str, Any] | None:
        for param in ("voidedStatementId", "statementId"):
            try:
                response = self.client.request("GET", self.statements_url, params={param: target}, accept=(404,))
            except ProviderRequestError as exc:
                logger.info("%s: %s=%s not answered (%s)", self.client.provider, param, target, exc.status)
                continue
            if response.status_code == 404:
                continue
            body = self.client.parse_json(response)
            if isinstance(body, dict) and str(body.get("id")) == target:
                return body
            if isinstance(body, dict) and isinstance(body.get("statements"), list):
                for item in body["statements"]:
                    if isinstance(item, dict) and str(item.get("id")) == target:
                        return item
        return None


def _stored(statement: dict[str, Any]) -> datetime | None:
    """The statement's ``stored`` instant; None when missing or without a time zone (the LRS's fault)."""
    try:
        return parse_datetime(statement.get("stored"))
    except ValueError:
        return None


def _stored_key(statement: Any) -> tuple[str, str]:
    if not isinstance(statement, dict):
        return ("", "")
    stored = _stored(statement)
    return (iso_utc(stored) if stored else "", str(statement.get("id") or ""))


def _prune(recent: dict[str, str], floor: datetime) -> dict[str, str]:
    return {k: v for k, v in recent.items() if (parse_datetime(v) or EPOCH) >= floor}


def _consistent_through(headers: Mapping[str, str]) -> datetime | None:
    try:
        return parse_datetime(headers.get("X-Experience-API-Consistent-Through"))
    except ValueError:
        return None


class XapiConnector(Connector):
    """Reads an LRS's completion statements into CompletionRecords."""

    name: ClassVar[str] = "xapi"
    title: ClassVar[str] = "xAPI Learning Record Store"
    config_model: ClassVar[type[ConnectorConfig]] = XapiConfig

    def __init__(self, config: ConnectorConfig, *, session: requests.Session | None = None) -> None:
        super().__init__(config, session=session)
        assert isinstance(config, XapiConfig)
        self.cfg = config
        secret = config.password.get_secret_value()
        self.client = HttpClient(
            provider=f"LRS at {host_of(config.base_url)}",
            auth_field="password",
            session=session,
            headers={"X-Experience-API-Version": config.version},
            auth=(config.username, secret),
            timeout=config.timeouts(),
            policy=config.retry_policy(),
            secrets=(secret,),
            base_url=config.base_url,
        )

    def default_source(self) -> str:
        return f"xapi:{host_of(self.cfg.base_url)}"

    def streams(self) -> list[Stream]:
        return [StatementsStream(self.client, self.cfg, self.source)]

    def check(self) -> CheckResult:
        """``GET /statements?limit=1`` with the credentials."""
        where = f"LRS at {host_of(self.cfg.base_url)}"
        try:
            body, _ = self.client.get_json(self.cfg.base_url + "/statements", params={"limit": 1})
        except CebridgeError as exc:
            return CheckResult(False, exc.user_message)
        if not isinstance(body, dict) or not isinstance(body.get("statements"), list):
            return CheckResult(False, f"{where}: /statements did not answer a StatementResult")
        return CheckResult(True, f"{where}: credentials accepted; statements readable")

    def close(self) -> None:
        self.client.close()
