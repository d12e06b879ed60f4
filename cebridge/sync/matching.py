"""Match a completion's learner to a clinician by stable keys only, never by name.

Keys: the platform user id within the record's source, the e-mail address, the license number. Every key the
record carries is looked up; one clinician found -> matched; none -> unmatched; more than one -> ambiguous. The
last two wait for a person (``cebridge completions link``) or for a later identity that settles them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from cebridge.store.dialect import rows_with
from cebridge.store.tables import Identity


def normalize_license_number(value: str) -> str:
    """License numbers compare without case or spaces (``lpc 70000`` is ``LPC70000``)."""
    return "".join(value.split()).upper()


def learner_keys(source: str, learner: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """The ``(kind, source, value)`` identity keys a learner reference carries."""
    keys: list[tuple[str, str, str]] = []
    if learner.get("platform_user_id"):
        keys.append(("platform_user", source, str(learner["platform_user_id"])))
    if learner.get("email"):
        keys.append(("email", "", str(learner["email"]).strip().lower()))
    if learner.get("license_number"):
        keys.append(("license_number", "", normalize_license_number(str(learner["license_number"]))))
    return keys


@dataclass(frozen=True)
class Match:
    """Outcome of matching one learner."""

    status: str  # matched | unmatched | ambiguous
    clinician_id: int | None = None


class Matcher:
    """Looks up many learners' keys in few queries (one per batch), within one organization."""

    def __init__(self, session: Session, organization_id: int) -> None:
        self._session = session
        self._org = organization_id

    def lookup(self, keys: Iterable[tuple[str, str, str]]) -> dict[tuple[str, str, str], int]:
        """Which clinician each known key belongs to (one query per kind and source, per 1,000 values)."""
        groups: dict[tuple[str, str], set[str]] = {}
        for kind, source, value in keys:
            groups.setdefault((kind, source), set()).add(value)
        found: dict[tuple[str, str, str], int] = {}
        ids = Identity.__table__
        for (kind, source), values in sorted(groups.items()):
            wanted = sorted(values)
            for start in range(0, len(wanted), 1000):
                stmt = rows_with(
                    self._session,
                    (ids.c.value, ids.c.clinician_id),
                    ids.c.value,
                    wanted[start : start + 1000],
                    ids.c.organization_id == self._org,
                    ids.c.kind == kind,
                    ids.c.source == source,
                )
                rows = self._session.connection().execute(stmt)
                for value, clinician_id in rows:
                    found[(kind, source, value)] = clinician_id
        return found

    @staticmethod
    def decide(keys: Iterable[tuple[str, str, str]], known: Mapping[tuple[str, str, str], int]) -> Match:
        """Matched only when every key that is known points at the same one clinician."""
        clinicians = {known[k] for k in keys if k in known}
        if len(clinicians) == 1:
            return Match("matched", clinicians.pop())
        return Match("ambiguous" if clinicians else "unmatched")

    def match(self, source: str, learner: Mapping[str, Any]) -> Match:
        """Match one learner (for single records; batches use :meth:`lookup` then :meth:`decide`)."""
        keys = learner_keys(source, learner)
        return self.decide(keys, self.lookup(keys))
