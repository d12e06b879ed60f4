"""What the placed course earns for each of the clinician's licenses.

The activity names its catalog offering in the launch's custom parameter ``cebridge_offering`` (Deep Linking puts
the catalog row id there; an administrator may type the catalog's own offering id), or through the placement the
LTI layer recorded for the resource link. For each license the offering is converted by the engine itself: it is
added as a completion on the dashboard's day to the clinician's stored completions and the license evaluated
again, so the hours, the approver check, the caps and the allocation to requirements are exactly the engine's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from cebridge.domain.completion import CreditOffering
from cebridge.domain.cycles import prorated
from cebridge.domain.engine import evaluate
from cebridge.domain.report import CompletionResult, ComplianceReport
from cebridge.domain.rules import Cap, RuleVersion
from cebridge.domain.units import board_hours
from cebridge.errors import CebridgeError
from cebridge.store.catalog_tables import Offering
from cebridge.store.lti_tables import LtiLineItem
from cebridge.store.org_tables import Provider
from cebridge.sync.compliance import Packs
from lti_tool.dashboard.record import Record, Standing, for_board
from lti_tool.launch_session import LaunchContext
from lti_tool.placements import OFFERING_PARAM

#: The id the course under consideration carries in the what-if evaluation (never a stored completion id).
PROBE_ID = "dashboard-this-course"
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class PlacedOffering:
    """The catalog offering a launch's activity is."""

    row_id: int
    offering: CreditOffering
    provider: str


@dataclass(frozen=True)
class Placement:
    """What the launch says about its offering: the offering, or why it could not be found (or nothing)."""

    offering: PlacedOffering | None
    named: str | None
    problem: str | None


def _by_reference(session: Session, ref: str) -> tuple[Offering | None, str | None]:
    if ref.isdigit():
        row = session.get(Offering, int(ref))
        if row is not None:
            return row, None
    rows = session.scalars(select(Offering).where(Offering.offering_id == ref).limit(2)).all()
    if len(rows) > 1:
        return None, f"the CE offering {ref!r} of this activity is in the catalogs of several providers"
    if not rows:
        return None, f"the CE offering {ref!r} of this activity is not in the catalog"
    return rows[0], None


def resolve_placement(session: Session, launch: LaunchContext) -> Placement:
    """The launch's catalog offering: by custom parameter, else by the recorded placement of its resource link."""
    ref = launch.custom.get(OFFERING_PARAM, "").strip() or None
    if ref is None and launch.resource_link_id:
        ref = session.scalar(
            select(LtiLineItem.offering_id).where(
                LtiLineItem.platform_id == launch.platform_id,
                LtiLineItem.deployment_id == launch.deployment_id,
                LtiLineItem.resource_link_id == launch.resource_link_id,
            )
        )
    if not ref:
        return Placement(None, None, None)
    row, problem = _by_reference(session, ref)
    if row is None:
        return Placement(None, ref, problem)
    provider = session.get(Provider, row.provider_id)
    offering = CreditOffering.model_validate(row.data)
    name = offering.provider or (provider.title or provider.name if provider is not None else "")
    return Placement(PlacedOffering(row.id, offering, name), ref, None)


@dataclass(frozen=True)
class ApprovalCheck:
    body: str
    accepted: bool


@dataclass(frozen=True)
class CapRoom:
    """A cap of the board that limits this course: its limit, hours already under it and the room left."""

    title: str
    limit: Decimal
    used: Decimal
    room: Decimal


@dataclass
class CourseCredit:
    """What the course earns under one license."""

    standing: Standing
    error: str | None = None
    board_hours: Decimal | None = None
    result: CompletionResult | None = None
    completed_on: date | None = None
    toward: list[tuple[str, Decimal]] = field(default_factory=list)
    closes: list[str] = field(default_factory=list)
    approvals: list[ApprovalCheck] = field(default_factory=list)
    caps: list[CapRoom] = field(default_factory=list)

    @property
    def status_text(self) -> str:
        if self.result is None:
            return "Not known"
        return {
            "accepted": "Counts in full",
            "partially_accepted": "Counts in part",
            "rejected": "Does not count",
        }[self.result.status]


def _approvals(offering: CreditOffering, version: RuleVersion, on: date) -> list[ApprovalCheck]:
    return [
        ApprovalCheck(body, any(rule.accepts(body, on, offering.format) for rule in version.approvers))
        for body in offering.approvals
    ]


def _cap_matches(cap: Cap, offering: CreditOffering, on: date) -> bool:
    m = cap.match
    if cap.applies_from and on < cap.applies_from:
        return False
    if m.formats is not None and offering.format not in m.formats:
        return False
    if m.activities is not None and offering.activity not in m.activities:
        return False
    if m.categories is not None and not set(offering.categories) & set(m.categories):
        return False
    if m.flag_true is not None and not offering.flags.get(m.flag_true):
        return False
    return not (m.flag_false is not None and offering.flags.get(m.flag_false))


def _caps(offering: CreditOffering, version: RuleVersion, report: ComplianceReport, on: date) -> list[CapRoom]:
    out = []
    for cap in version.caps:
        if not _cap_matches(cap, offering, on):
            continue
        if cap.max_hours is not None:
            limit = prorated(cap.max_hours, report.cycle, version.cycle) if cap.prorate else cap.max_hours
        else:
            base = report.total.required if report.total.required > 0 else version.total.hours
            limit = (base * (cap.max_fraction or Decimal(0))).quantize(_CENT)
        used = report.caps.get(cap.id, Decimal(0))
        out.append(CapRoom(cap.title, limit, used, max(Decimal(0), limit - used)))
    return out


def _closes(before: ComplianceReport, after: ComplianceReport) -> list[str]:
    """Titles of requirements (and the total) whose shortfall the course reduces."""
    was = {r.id: r for r in before.requirements}
    out = [
        r.title
        for r in after.requirements
        if r.id in was
        and (r.short < was[r.id].short or r.completions_counted > was[r.id].completions_counted)
        and not was[r.id].satisfied
    ]
    if after.total.short < before.total.short:
        out.append("Total hours")
    return out


def course_credit(
    standing: Standing, placed: PlacedOffering, record: Record, packs: Packs, as_of: date
) -> CourseCredit:
    """What ``placed`` earns (or earned, when already completed) under one license."""
    credit = CourseCredit(standing)
    report, version, lic, pack = standing.report, standing.version(), standing.license, standing.pack
    if report is None or version is None or lic is None or pack is None:
        credit.error = standing.error or "this license's standing could not be computed"
        return credit
    offering = placed.offering
    credit.board_hours = board_hours(offering.credits, version.units)
    titles = {r.id: r.title for r in report.requirements}
    done = record.completion_of(placed.row_id)
    if done is not None:
        result = next((c for c in report.completions if c.id == done.completion.id), None)
        credit.completed_on = done.completion.completed_on
        on = done.completion.completed_on
        after = report
    else:
        on = as_of
        probe = for_board(offering.completed(on, id=PROBE_ID), packs.known_categories(pack.id))
        try:
            after = evaluate(lic, [*standing.completions, probe], pack, as_of=as_of)
        except CebridgeError as exc:
            credit.error = exc.user_message
            return credit
        result = next((c for c in after.completions if c.id == PROBE_ID), None)
        credit.closes = _closes(report, after)
    credit.result = result
    if result is not None:
        credit.toward = [(titles.get(k, k), v) for k, v in result.allocation.items() if v > 0]
    credit.approvals = _approvals(offering, version, on)
    credit.caps = _caps(offering, version, report if done is None else after, on)
    return credit
