"""From a stored completion to the engine's :class:`~cebridge.domain.completion.Completion`, through the catalog.

The catalog is the authority on hours, approvals and categories; a provider's record only says who finished
which course and when. A course reference finds its offering by any of its keys (external id, SIS id,
integration id, blueprint id) registered for the provider, or by the offering's own id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cebridge.domain.base import trusted
from cebridge.domain.completion import Completion, CreditOffering
from cebridge.domain.records import EARNING_STATUSES
from cebridge.store.dialect import one_of
from cebridge.store.tables import KEY_KINDS, Offering, OfferingKey


def course_keys(course: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(kind, value)`` pairs of a course reference, in the order they are tried."""
    return [(kind, str(course[kind])) for kind in KEY_KINDS if course.get(kind)]


class OfferingFinder:
    """Finds offerings of one provider for many course references, caching what it found."""

    def __init__(self, session: Session, provider_id: int | None) -> None:
        self._session = session
        self._provider = provider_id
        self._by_key: dict[tuple[str, str], int | None] = {}

    def prefetch(self, courses: Iterable[Mapping[str, Any]]) -> None:
        """Load the offerings of these course references in two queries."""
        if self._provider is None:
            return
        wanted = {k for c in courses for k in course_keys(c)} - set(self._by_key)
        if not wanted:
            return
        by_kind: dict[str, list[str]] = {}
        for kind, value in sorted(wanted):
            by_kind.setdefault(kind, []).append(value)
        for kind, values in by_kind.items():
            for start in range(0, len(values), 1000):
                chunk = values[start : start + 1000]
                keys = OfferingKey.__table__.c
                for value, offering_id in self._session.connection().execute(
                    select(keys.value, keys.offering_id).where(
                        keys.provider_id == self._provider, keys.kind == kind, one_of(self._session, keys.value, chunk)
                    )
                ):
                    self._by_key[(kind, value)] = offering_id
        values = sorted({v for _, v in wanted})
        own: dict[str, int] = {}
        for start in range(0, len(values), 1000):
            offerings = Offering.__table__.c
            stmt = select(offerings.offering_id, offerings.id).where(
                offerings.provider_id == self._provider,
                one_of(self._session, offerings.offering_id, values[start : start + 1000]),
            )
            for offering_key, row_id in self._session.connection().execute(stmt):
                own[offering_key] = row_id
        for key in wanted:
            if self._by_key.get(key) is None:
                self._by_key[key] = own.get(key[1])

    def find(self, course: Mapping[str, Any]) -> int | None:
        """The offering row id for a course reference, or None when the catalog does not know the course."""
        keys = course_keys(course)
        self.prefetch([course])
        for key in keys:
            found = self._by_key.get(key)
            if found is not None:
                return found
        return None


def offering_model(row: Offering) -> CreditOffering:
    """The domain offering stored in a catalog row."""
    return CreditOffering.model_validate(row.data)


def completion_template(offering: CreditOffering) -> dict[str, Any]:
    """What every completion of ``offering`` shares (all but ``id`` and ``completed_on``), validated once.

    Recompute turns thousands of stored rows into engine Completions; validating each again would repeat the
    offering's validation per row. :func:`to_completion` builds them from this template without re-validating.
    """
    return {name: getattr(offering, name) for name in Completion.model_fields if name not in ("id", "completed_on")}


def to_completion(row: Any, offering: CreditOffering | Mapping[str, Any]) -> Completion | None:
    """The engine's Completion for a stored completion, or None when it cannot earn credit.

    It cannot when it is revoked, has a status that earns nothing (failed, in progress), or has no date.
    The completion's id in reports is the stored row id, so a report names exactly one record. ``offering`` is
    the catalog offering, or its :func:`completion_template` (the fast path, same result).
    """
    if row.revoked_at is not None or row.status not in EARNING_STATUSES or row.completed_on is None:
        return None
    if isinstance(offering, CreditOffering):
        return offering.completed(row.completed_on, id=str(row.id))
    data = {name: _copy(value) for name, value in offering.items()}
    data["id"] = str(row.id)
    data["completed_on"] = row.completed_on
    return trusted(Completion, data)


def _copy(value: Any) -> Any:
    """Lists and dicts are copied so completions never share a mutable value."""
    if isinstance(value, list):
        return list(value)
    if isinstance(value, dict):
        return dict(value)
    return value
