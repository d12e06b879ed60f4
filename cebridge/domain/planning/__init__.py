"""The learning planner: which catalog courses close a clinician's renewal gaps, cheapest first.

Public API: :func:`make_plan` (-> :class:`Plan`, with ``.to_json()``), :class:`LicenseState`, :func:`to_ics`
and :func:`reminders`. Pure domain code: no I/O, and "today" is the ``as_of`` argument. See docs/planner.md.
"""

from __future__ import annotations

from .core import Method, make_plan
from .ics import to_ics
from .inputs import LicenseState, PlanOptions
from .reminders import Reminder, reminders
from .result import Closure, LicenseOutcome, Plan, PlannedCourse, Unmet

__all__ = [
    "Closure",
    "LicenseOutcome",
    "LicenseState",
    "Method",
    "Plan",
    "PlanOptions",
    "PlannedCourse",
    "Reminder",
    "Unmet",
    "make_plan",
    "reminders",
    "to_ics",
]
