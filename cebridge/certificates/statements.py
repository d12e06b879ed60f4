"""Approval statements and credit wording, per approval body (domain.md §4).

Why a module of its own: these sentences are what an auditor reads first. APA's sentence must appear verbatim
with the provider's name; NBCC credit is stated in CE clock hours (CEUs only in addition); ASWB ACE prints the
provider number and the delivery format. Pure: text in, text out.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from cebridge.certificates.errors import CertificateInputError
from cebridge.certificates.model import ProviderApproval
from cebridge.domain.completion import Credits

FORMAT_LABELS: dict[str, str] = {
    "live_in_person": "Live, in person",
    "live_interactive_webinar": "Live interactive webinar",
    "self_study": "Self-study (home study)",
}

#: The unit each approval body states its credit in.
UNIT_LABELS: dict[str, str] = {
    "APA": "CE credits",
    "NBCC": "CE clock hours",
    "ASWB-ACE": "continuing education credits",
    "NAADAC": "CE hours",
}
DEFAULT_UNIT_LABEL = "CE hours"

_HOURS_PER_UNIT: dict[str, Decimal] = {
    "hours": Decimal(1),
    "ce_credits": Decimal(1),  # APA, ACE, NBCC and NAADAC credits are hour-based: 1 credit = 1 hour
    "ceu": Decimal(10),  # 1 CEU = 10 contact hours
    "semester_hours": Decimal(15),
    "quarter_hours": Decimal(10),
}


def apa_statement(provider: str) -> str:
    """APA's required sponsor statement, verbatim, with the provider's name."""
    return (
        f"{provider} is approved by the American Psychological Association to sponsor continuing education "
        f"for psychologists. {provider} maintains responsibility for this program and its content."
    )


def nbcc_statement(provider: str, acep_number: str) -> str:
    """NBCC's ACEP statement with the provider number."""
    return (
        f"{provider} has been approved by NBCC as an Approved Continuing Education Provider, "
        f"ACEP No. {acep_number}. Programs that do not qualify for NBCC credit are clearly identified. "
        f"{provider} is solely responsible for all aspects of the programs."
    )


def aswb_statement(
    provider: str, ace_number: str, credits: str, format_label: str, period: tuple[date, date] | None
) -> str:
    """The ASWB ACE statement: provider number, approval period when known, credits and delivery format."""
    text = (
        f"{provider}, provider #{ace_number}, is approved to offer social work continuing education by the "
        f"Association of Social Work Boards (ASWB) Approved Continuing Education (ACE) program. Regulatory "
        f"boards are the final authority on courses accepted for continuing education credit."
    )
    if period is not None:
        text += f" ACE provider approval period: {period[0].isoformat()} to {period[1].isoformat()}."
    text += f" Social workers completing this course receive {credits}. Delivery format: {format_label}."
    return text


def generic_statement(provider: str, body: str, approval_id: str | None) -> str:
    """A plain statement for bodies without a required wording; providers should give their body's own."""
    number = f" (approval {approval_id})" if approval_id else ""
    return f"{provider} is approved by {body}{number} to offer continuing education for this program."


def _number(raw: str | None, prefixes: tuple[str, ...]) -> str | None:
    """The bare provider number from ``"ACEP No. 6000"``, ``"ACE Provider #1046"`` or ``"1046"``."""
    if raw is None:
        return None
    text = raw.strip()
    for prefix in prefixes:
        text = re.sub(rf"^{prefix}\s*", "", text, flags=re.IGNORECASE)
    text = text.lstrip("#").strip()
    return text or None


def _normalise(text: str) -> str:
    return " ".join(text.split())


def statement_for(approval: ProviderApproval, provider: str, credits: str, format_label: str) -> str:
    """The approval statement to print for one body, checked against that body's required wording."""
    body = approval.body
    if body == "APA":
        required = apa_statement(provider)
        if approval.statement and _normalise(approval.statement) != _normalise(required):
            raise CertificateInputError(
                f"the APA statement must be APA's sentence verbatim with the provider name: {required!r}"
            )
        return required
    if body == "NBCC":
        number = _number(approval.id, (r"ACEP\s*No\.?", r"ACEP"))
        if number is None:
            raise CertificateInputError("an NBCC approval needs its ACEP number in 'id' (e.g. 'ACEP No. 6000')")
        if approval.statement:
            if number not in approval.statement:
                raise CertificateInputError(f"the NBCC statement must state the ACEP number {number}")
            return _normalise(approval.statement)
        return nbcc_statement(provider, number)
    if body == "ASWB-ACE":
        number = _number(approval.id, (r"ACE\s*Provider\s*No\.?", r"ACE\s*Provider", r"ACE"))
        if number is None:
            raise CertificateInputError(
                "an ASWB-ACE approval needs its ACE provider number in 'id' (e.g. 'ACE Provider #1046')"
            )
        if approval.statement:
            text = _normalise(approval.statement)
            if number not in text:
                raise CertificateInputError(f"the ASWB ACE statement must state the provider number {number}")
            if format_label.lower() not in text.lower():
                text += f" Delivery format: {format_label}."
            return text
        period = (approval.period.start, approval.period.end) if approval.period else None
        return aswb_statement(provider, number, credits, format_label, period)
    if approval.statement:
        return _normalise(approval.statement)
    return generic_statement(provider, body, approval.id)


def clock_hours(credits: Credits) -> Decimal:
    """The activity's length in 60-minute clock hours, from the unit its approver declared."""
    if credits.unit == "minutes":
        return credits.amount / Decimal(60)
    factor = _HOURS_PER_UNIT.get(credits.unit)
    if factor is None:
        raise CertificateInputError(
            f"credits in {credits.unit!r} cannot be printed as hours; declare them in hours or ce_credits"
        )
    return credits.amount * factor


def fmt_number(value: Decimal) -> str:
    """``6`` not ``6.00``, ``1.5`` not ``1.50``, rounded half up to 2 places."""
    rounded = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    text = format(rounded.normalize(), "f")
    return text


def credit_display(body: str, hours: Decimal) -> tuple[str, str]:
    """(unit label, display text) of ``hours`` as ``body`` states credit; NBCC adds CEUs in parentheses."""
    unit = UNIT_LABELS.get(body, DEFAULT_UNIT_LABEL)
    text = f"{fmt_number(hours)} {unit}"
    if body == "NBCC":
        text += f" ({fmt_number(hours / Decimal(10))} CEU)"
    return unit, text


def category_label(category: str) -> str:
    """A category id as a person reads it: ``suicide_prevention`` -> ``Suicide prevention``."""
    special = {"hiv_aids": "HIV/AIDS", "law_ethics": "Law and ethics", "laws_and_rules": "Laws and rules"}
    return special.get(category, category.replace("_", " ").capitalize())
