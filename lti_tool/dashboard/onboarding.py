"""First-launch onboarding: the license form, what each board needs, and server-side validation.

Which facts a board needs is read from its rule pack (latest version): how the cycle is anchored (a fixed
calendar needs nothing; an issue-date or registration-period anchor needs the issue date unless the cycle is
given; a birth-month anchor needs the birth date), whether the first renewal or every n-th renewal differs
(renewal number), hours by degree (degree level) and the license attributes requirements depend on. The same
analysis drives the form (which fields a board shows) and the checks (which answers are required), and the
engine evaluates the result once more before anything is stored, so a fact the analysis missed is still caught.

The form is protected by a token derived from the launch id with the app's secret (HMAC), carried in the
form: it is bound to the launch, not to a cookie, so it works in a cookie-less iframe.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import current_app

from cebridge.domain.engine import evaluate
from cebridge.domain.license import License
from cebridge.domain.rules import RulePack, RuleVersion
from cebridge.errors import CebridgeError
from cebridge.rulepacks import PackRegistry
from lti_tool.dashboard.formatting import long_date

CSRF_FIELD = "csrf"
_CSRF_SALT = b"cebridge.dashboard.onboarding"

#: The question asked for each license attribute a requirement may depend on.
ATTRIBUTE_QUESTIONS = {
    "supervisor": "Do you supervise other clinicians toward licensure (as a board-approved supervisor)?",
    "provides_telehealth": "Do you provide services by telehealth?",
    "treats_couples_or_families": "Do you treat couples or families?",
    "serves_adults": "Do you serve adults?",
}
#: How an error names the attribute it asks about.
ATTRIBUTE_SHORT = {
    "supervisor": "whether you supervise other clinicians",
    "provides_telehealth": "whether you provide telehealth",
    "treats_couples_or_families": "whether you treat couples or families",
    "serves_adults": "whether you serve adults",
}
DEGREE_LEVELS = (("bachelors", "Bachelor's"), ("masters", "Master's"), ("doctorate", "Doctorate"))
_LICENSE_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 .\-/#]{0,99}$")
OLDEST_BIRTH_YEAR = 1900


def csrf_token(launch_id: str) -> str:
    """The onboarding form's token for this launch."""
    key = hashlib.sha256(_CSRF_SALT + str(current_app.secret_key).encode()).digest()
    return hmac.new(key, launch_id.encode(), hashlib.sha256).hexdigest()


def csrf_ok(launch_id: str, presented: str | None) -> bool:
    return bool(presented) and hmac.compare_digest(csrf_token(launch_id), str(presented))


@dataclass(frozen=True)
class BoardNeeds:
    """What a board's rules need to know about a license (beyond its number)."""

    id: str
    title: str
    anchor: str
    attributes: tuple[str, ...]
    renewal_number: bool
    renewal_or_issue: bool
    degree_level: bool

    @property
    def cycle_fact(self) -> str | None:
        """``issued_on`` or ``birth_date`` when the board derives the cycle from it; None for a fixed calendar."""
        if self.anchor in ("issue_date", "registration_period"):
            return "issued_on"
        if self.anchor == "birth_month":
            return "birth_date"
        return None

    @property
    def cycle_hint(self) -> str:
        fact = self.cycle_fact
        if fact == "issued_on":
            return "counts renewal cycles from the license's issue date: give the issue date, or the cycle's dates"
        if fact == "birth_date":
            return "ends renewal cycles in the holder's birth month: give your date of birth, or the cycle's dates"
        return "sets the renewal cycle by its own calendar: the cycle's dates are optional"


def _needs(pack: RulePack) -> BoardNeeds:
    version: RuleVersion = pack.versions[-1]
    attributes = sorted({k for r in version.requirements for k in r.when if k != "degree_level"})
    first_differs = version.total.first_renewal != "same" or any(r.skip_first_renewal for r in version.requirements)
    every_n = any(r.scope == "every_n_renewals" for r in version.requirements)
    degree = bool(version.total.by_degree) or any("degree_level" in r.when for r in version.requirements)
    return BoardNeeds(
        id=pack.id,
        title=pack.title,
        anchor=version.cycle.anchor,
        attributes=tuple(attributes),
        renewal_number=every_n,
        renewal_or_issue=first_differs and not every_n,
        degree_level=degree,
    )


def board_needs(registry: PackRegistry) -> dict[str, BoardNeeds]:
    """Every known board's needs, by pack id (sorted by id)."""
    return {pack.id: _needs(pack) for pack in registry}


def field_boards(needs: Mapping[str, BoardNeeds]) -> dict[str, list[str]]:
    """For each optional form field, the boards that need it (the form shows it for those boards only)."""
    out: dict[str, list[str]] = {"issued_on": [], "birth_date": [], "renewal_number": [], "degree_level": []}
    for board, need in needs.items():
        if need.cycle_fact == "issued_on" or need.renewal_or_issue:
            out["issued_on"].append(board)
        if need.cycle_fact == "birth_date":
            out["birth_date"].append(board)
        if need.renewal_number or need.renewal_or_issue:
            out["renewal_number"].append(board)
        if need.degree_level:
            out["degree_level"].append(board)
        for name in need.attributes:
            out.setdefault(f"attr_{name}", []).append(board)
    return out


@dataclass
class LicenseForm:
    """The submitted form: raw values (to show again) and the errors found, by field name."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    problem: str | None = None
    license: dict[str, Any] | None = None

    @property
    def valid(self) -> bool:
        return not self.errors and self.problem is None


FIELDS = (
    "board",
    "license_number",
    "cycle_start",
    "cycle_end",
    "issued_on",
    "birth_date",
    "renewal_number",
    "degree_level",
)


_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_day(raw: str) -> date | None:
    """A date written ``2025-06-30`` or, as in the US, ``06/30/2025``; None when it is neither or not a real day."""
    try:
        if _ISO_DATE.match(raw):
            return date.fromisoformat(raw)
        us = _US_DATE.match(raw)
        if us:
            return date(int(us.group(3)), int(us.group(1)), int(us.group(2)))
    except ValueError:
        return None
    return None


def _date(form: LicenseForm, name: str) -> date | None:
    raw = form.values.get(name, "")
    if not raw:
        return None
    day = parse_day(raw)
    if day is None:
        form.errors[name] = f"{raw!r} is not a date; write it like 2025-06-30 or 06/30/2025"
    return day


def _fact_field(message: str) -> str | None:
    """The form field a MissingFact message names (the engine names the License field it needs)."""
    for name in ("birth_date", "issued_on", "renewal_number", "degree_level"):
        if name in message:
            return name
    found = re.search(r"attributes\.([a-z_]+)", message)
    if found:
        return f"attr_{found.group(1)}"
    return "cycle_start" if "cycle" in message else None


def validate(
    data: Mapping[str, str], needs: Mapping[str, BoardNeeds], registry: PackRegistry, as_of: date, *, holder: str | None
) -> LicenseForm:
    """Check a submitted license form; on success ``form.license`` is the License JSON to store."""
    form = LicenseForm(values={k: str(data.get(k, "")).strip() for k in FIELDS})
    for key, value in data.items():
        if key.startswith("attr_"):
            form.values[key] = str(value).strip()
    board = form.values["board"].lower()
    need = needs.get(board)
    if not board:
        form.errors["board"] = "Choose your licensing board from the list"
    elif need is None:
        form.errors["board"] = f"There is no board {board!r}; choose one from the list"

    number = form.values["license_number"]
    if not number:
        form.errors["license_number"] = "Enter your license number, as it appears on your license"
    elif not _LICENSE_NUMBER.match(number):
        form.errors["license_number"] = (
            "A license number is letters, digits, spaces and . - / # (at most 100 characters)"
        )

    start = _date(form, "cycle_start")
    end = _date(form, "cycle_end")
    issued = _date(form, "issued_on")
    birth = _date(form, "birth_date")
    if start and not end and "cycle_end" not in form.errors:
        form.errors["cycle_end"] = "Give the cycle's end date too (or leave both cycle dates empty)"
    if end and not start and "cycle_start" not in form.errors:
        form.errors["cycle_start"] = "Give the cycle's start date too (or leave both cycle dates empty)"
    if start and end:
        if end < start:
            form.errors["cycle_end"] = f"The cycle ends ({long_date(end)}) before it starts ({long_date(start)})"
        elif end < as_of:
            form.errors["cycle_end"] = (
                f"That cycle ended on {long_date(end)}; enter the cycle you are in now (it ends after today)"
            )
        elif (end - start).days > 10 * 366:
            form.errors["cycle_end"] = "A renewal cycle is at most 10 years long; check the dates"
    if issued and issued > as_of:
        form.errors["issued_on"] = f"The issue date ({long_date(issued)}) is in the future"
    if birth and (birth > as_of or birth.year < OLDEST_BIRTH_YEAR or (as_of - birth).days < 16 * 365):
        form.errors["birth_date"] = f"{long_date(birth)} cannot be your date of birth; check the year"

    renewal: int | None = None
    raw_renewal = form.values["renewal_number"]
    if raw_renewal:
        if not raw_renewal.isdigit() or int(raw_renewal) < 1 or int(raw_renewal) > 100:
            form.errors["renewal_number"] = "The renewal number is a whole number: 1 for your first renewal"
        else:
            renewal = int(raw_renewal)

    attributes: dict[str, bool | str] = {}
    if need is not None:
        cycle_fact = need.cycle_fact
        given_cycle = bool(start and end)
        if cycle_fact == "issued_on" and not given_cycle and not issued and "issued_on" not in form.errors:
            form.errors["issued_on"] = f"{need.title} {need.cycle_hint}"
        if cycle_fact == "birth_date" and not given_cycle and not birth and "birth_date" not in form.errors:
            form.errors["birth_date"] = f"{need.title} {need.cycle_hint}"
        if need.renewal_number and renewal is None and "renewal_number" not in form.errors:
            form.errors["renewal_number"] = (
                f"{need.title} has requirements that come back every few renewals: give your renewal number"
            )
        if need.renewal_or_issue and renewal is None and not issued and "renewal_number" not in form.errors:
            form.errors["renewal_number"] = (
                f"{need.title} treats the first renewal differently: give your renewal number or the issue date"
            )
        if need.degree_level:
            level = form.values["degree_level"]
            if level not in {k for k, _ in DEGREE_LEVELS}:
                form.errors["degree_level"] = "Choose your highest degree: the board's hours depend on it"
            else:
                attributes["degree_level"] = level
        for name in need.attributes:
            answer = form.values.get(f"attr_{name}", "")
            if answer not in ("yes", "no"):
                what = ATTRIBUTE_SHORT.get(name, f"whether {name.replace('_', ' ')} applies to you")
                form.errors[f"attr_{name}"] = f"Answer {what}: {need.title} has a requirement that depends on it"
            else:
                attributes[name] = answer == "yes"
    if form.errors or need is None:
        return form

    data_out: dict[str, Any] = {"board": board, "license_number": number, "attributes": attributes}
    if holder:
        data_out["holder"] = holder
    if start and end:
        data_out["cycle"] = {"start": start.isoformat(), "end": end.isoformat()}
    if issued:
        data_out["issued_on"] = issued.isoformat()
    if birth:
        data_out["birth_date"] = birth.isoformat()
    if renewal is not None:
        data_out["renewal_number"] = renewal
    try:
        lic = License.model_validate(data_out)
        evaluate(lic, [], registry.get(board), as_of=as_of)
    except CebridgeError as exc:
        target = _fact_field(exc.user_message)
        if target is not None:
            form.errors[target] = exc.user_message[0].upper() + exc.user_message[1:]
        else:
            form.problem = exc.user_message
        return form
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        form.problem = f"the license is not valid: {exc}"
        return form
    form.license = data_out
    return form
