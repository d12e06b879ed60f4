"""The plan page: the planner's cheapest set of catalog courses that closes the clinician's gaps.

Inputs are the clinician's licenses with their reports (computed here from the stored record), the stored
completions, and the whole stored catalog. The planner and the engine see the same completions: categories
some board of the clinician does not know are dropped (the engine refuses them), offerings in a currency other
than the catalog's main one and carry-in entries are left out, and the page says so. Offerings get ids of their
own (``o<row id>``) so two providers' offerings with the same catalog id stay apart and none collides with a
completion id (stored completions are named by their row id).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from cebridge.domain.completion import CreditOffering
from cebridge.domain.engine import evaluate
from cebridge.domain.planner import LicenseState, Plan, make_plan
from cebridge.errors import CebridgeError
from cebridge.store.catalog_tables import Offering
from cebridge.sync.compliance import Packs
from lti_tool.dashboard.record import Record, for_board

#: Seconds each solver call may take before the best plan found so far is shown (marked not proven optimal).
SOLVER_SECONDS = 10.0
MAX_BUDGET = Decimal(1_000_000)
FORMAT_NAMES = {
    "live_in_person": "In person",
    "live_interactive_webinar": "Live webinar",
    "self_study": "On demand (self-study)",
}


@dataclass
class PlanInputs:
    """The plan form: raw values, errors by field, and the parsed limits."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    budget: Decimal | None = None
    hours_per_week: Decimal | None = None

    @property
    def query(self) -> dict[str, str]:
        """The non-empty inputs, to carry into the calendar link."""
        return {k: v for k, v in self.values.items() if v}


def _amount(inputs: PlanInputs, name: str, label: str, *, zero_ok: bool) -> Decimal | None:
    raw = inputs.values.get(name, "")
    if not raw:
        return None
    try:
        value = Decimal(raw.replace(",", "").lstrip("$"))
    except InvalidOperation:
        inputs.errors[name] = f"{label}: {raw!r} is not a number"
        return None
    if not value.is_finite() or value < 0 or (value == 0 and not zero_ok):
        inputs.errors[name] = f"{label} must be {'zero or more' if zero_ok else 'more than zero'}"
        return None
    if value > MAX_BUDGET:
        inputs.errors[name] = f"{label} is too large"
        return None
    return value


def parse_inputs(args: Mapping[str, str]) -> PlanInputs:
    """Read ``budget`` and ``hours_per_week`` from the query string."""
    inputs = PlanInputs(values={k: str(args.get(k, "")).strip() for k in ("budget", "hours_per_week")})
    inputs.budget = _amount(inputs, "budget", "Budget", zero_ok=True)
    hours = _amount(inputs, "hours_per_week", "Hours per week", zero_ok=False)
    if hours is not None and hours > 168:
        inputs.errors["hours_per_week"] = "Hours per week: a week has 168 hours"
        hours = None
    inputs.hours_per_week = hours
    return inputs


@dataclass(frozen=True)
class CatalogEntry:
    """A stored offering as the plan shows it."""

    row_id: int
    offering: CreditOffering


@dataclass
class PlanResult:
    """The plan (or why there is none) and how to show its courses."""

    plan: Plan | None
    entries: dict[str, CatalogEntry]
    board_titles: dict[str, str]
    error: str | None = None
    notes: list[str] = field(default_factory=list)

    def title(self, course_id: str) -> str:
        entry = self.entries.get(course_id)
        return entry.offering.title or entry.offering.id if entry else course_id

    def requirement_title(self, board: str, requirement: str) -> str:
        if self.plan is None:
            return requirement
        if requirement == "total":
            name = "Total hours"
        else:
            lic = next((x for x in self.plan.licenses if x.board == board), None)
            reqs = {r.id: r.title for r in lic.report_after.requirements} if lic else {}
            name = reqs.get(requirement, requirement)
        return name if len(self.plan.licenses) == 1 else f"{self.board_titles.get(board, board)}: {name}"


def catalog(session: Session, known: frozenset[str]) -> tuple[list[CatalogEntry], list[str]]:
    """The stored catalog for planning, and notes on what was left out."""
    entries: list[CatalogEntry] = []
    for row in session.scalars(select(Offering).order_by(Offering.id)):
        offering = CreditOffering.model_validate(row.data)
        cats = [c for c in offering.categories if c in known]
        entries.append(CatalogEntry(row.id, offering.model_copy(update={"id": f"o{row.id}", "categories": cats})))
    notes = []
    currencies = Counter(e.offering.price.currency.upper() for e in entries)
    if len(currencies) > 1:
        main, _ = currencies.most_common(1)[0]
        left = sum(n for c, n in currencies.items() if c != main)
        entries = [e for e in entries if e.offering.price.currency.upper() == main]
        notes.append(f"{left} offerings priced in other currencies than {main} are not considered.")
    entries = [e for e in entries if e.offering.activity != "carryover_in"]
    return entries, notes


def build_plan(session: Session, record: Record, packs: Packs, as_of: date, inputs: PlanInputs) -> PlanResult:
    """The plan for every license whose standing could be computed."""
    usable = [s for s in record.standings if s.license is not None and s.pack is not None and s.report is not None]
    titles = {s.row.board: s.board_title for s in record.standings}
    notes = [f"{s.board_title}: {s.error}" for s in record.standings if s.report is None and s.error]
    if not usable:
        return PlanResult(None, {}, titles, error="No license has a standing to plan for.", notes=notes)
    known = frozenset.intersection(*(packs.known_categories(s.row.board) for s in usable))
    completions = [for_board(c.completion, known) for c in record.completions]
    entries, more = catalog(session, known)
    notes += more
    by_id = {e.offering.id: e for e in entries}
    try:
        states = []
        for s in usable:
            assert s.license is not None and s.pack is not None
            report = evaluate(s.license, completions, s.pack, as_of=as_of)
            states.append(LicenseState(s.license, s.pack, report))
        plan = make_plan(
            states,
            [e.offering for e in entries],
            as_of=as_of,
            completions=completions,
            budget=inputs.budget,
            hours_per_week=inputs.hours_per_week,
            time_limit=SOLVER_SECONDS,
        )
    except CebridgeError as exc:
        return PlanResult(None, by_id, titles, error=f"No plan could be made: {exc.user_message}", notes=notes)
    return PlanResult(plan, by_id, titles, notes=notes)


def course_when(starts_at: datetime | None) -> str:
    """``Jan 10, 2026, 17:00 UTC`` for a live session."""
    if starts_at is None:
        return ""
    return f"{starts_at:%b} {starts_at.day}, {starts_at.year}, {starts_at:%H:%M} UTC"
