"""A clinician's record as the dashboard shows it: licenses, completions and each license's standing today.

The standing is computed with the engine from the stored record (the same completions, catalog and mapping the
pipeline's recompute uses), as of the dashboard's day, so a license added a minute ago through onboarding shows
its progress before any worker has recomputed it. The instructor roster, which shows many people, reads the
stored compliance snapshots instead (see :mod:`lti_tool.dashboard.roster_view`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from cebridge.domain.completion import Completion
from cebridge.domain.engine import evaluate
from cebridge.domain.license import License
from cebridge.domain.report import ComplianceReport
from cebridge.domain.rules import RulePack, RuleVersion
from cebridge.errors import CebridgeError
from cebridge.store.people_tables import LicenseRow
from cebridge.store.record_tables import CompletionRow
from cebridge.sync.compliance import LINKED, Offerings, Packs
from cebridge.sync.mapping import to_completion


@dataclass(frozen=True)
class StoredCompletion:
    """One of the clinician's completions that can earn credit, with the catalog offering it maps to."""

    row_id: int
    offering_row_id: int
    completion: Completion


@dataclass
class Standing:
    """One license: the stored row, the License, its pack and the report as of the dashboard's day.

    ``error`` says why there is no report (a fact the board needs is missing, the board's pack is gone).
    """

    row: LicenseRow
    license: License | None
    pack: RulePack | None
    report: ComplianceReport | None
    completions: list[Completion] = field(default_factory=list)
    error: str | None = None

    @property
    def board_title(self) -> str:
        return self.pack.title if self.pack is not None else self.row.board

    def version(self) -> RuleVersion | None:
        """The rule version the report was computed under."""
        if self.pack is None or self.report is None:
            return None
        return next((v for v in self.pack.versions if v.version == self.report.rule_version), None)


@dataclass
class Record:
    """Everything the clinician's pages read, loaded once per request."""

    clinician_id: int
    standings: list[Standing]
    completions: list[StoredCompletion]

    def completion_of(self, offering_row_id: int) -> StoredCompletion | None:
        """The clinician's (latest) completion of this catalog offering, if any."""
        found = [c for c in self.completions if c.offering_row_id == offering_row_id]
        return max(found, key=lambda c: (c.completion.completed_on, c.row_id)) if found else None


def for_board(completion: Completion, known: frozenset[str]) -> Completion:
    """The completion with only the categories this board knows (a course's other categories mean nothing to it)."""
    if all(c in known for c in completion.categories):
        return completion
    return completion.model_copy(update={"categories": [c for c in completion.categories if c in known]})


def stored_completions(session: Session, clinician_id: int) -> list[StoredCompletion]:
    """The clinician's completions that can earn credit (matched or linked, mapped to the catalog, not revoked)."""
    offerings = Offerings(session)
    rows = session.execute(
        select(
            CompletionRow.id,
            CompletionRow.offering_id,
            CompletionRow.status,
            CompletionRow.completed_on,
            CompletionRow.revoked_at,
        ).where(
            CompletionRow.clinician_id == clinician_id,
            CompletionRow.match_status.in_(LINKED),
            CompletionRow.offering_id.is_not(None),
        )
    ).all()
    out: list[StoredCompletion] = []
    for row in rows:
        completion = to_completion(row, offerings.get(row.offering_id))
        if completion is not None:
            out.append(StoredCompletion(row.id, row.offering_id, completion))
    return out


def standing(row: LicenseRow, completions: list[StoredCompletion], packs: Packs, as_of: date) -> Standing:
    """One license's standing as of ``as_of``, or the reason it cannot be computed."""
    try:
        lic = License.model_validate(row.data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "license"
        return Standing(row, None, None, None, error=f"the stored license is not valid ({where}: {first['msg']})")
    try:
        pack = packs.get(lic.board)
    except CebridgeError as exc:
        return Standing(row, lic, None, None, error=exc.user_message)
    known = packs.known_categories(lic.board)
    board_completions = [for_board(c.completion, known) for c in completions]
    try:
        report = evaluate(lic, board_completions, pack, as_of=as_of)
    except CebridgeError as exc:
        return Standing(row, lic, pack, None, board_completions, error=exc.user_message)
    return Standing(row, lic, pack, report, board_completions)


def load_record(session: Session, clinician_id: int, packs: Packs, as_of: date) -> Record:
    """The clinician's licenses (by board) with their standings, and their completions."""
    completions = stored_completions(session, clinician_id)
    rows = session.scalars(
        select(LicenseRow).where(LicenseRow.clinician_id == clinician_id).order_by(LicenseRow.board)
    ).all()
    return Record(clinician_id, [standing(r, completions, packs, as_of) for r in rows], completions)
