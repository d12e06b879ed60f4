"""The personal learning planner (the stable import path; the code lives in :mod:`cebridge.domain.planning`).

``make_plan(licenses, catalog, as_of=..., completions=..., budget=..., hours_per_week=..., goals=...,
goal_budget=...) -> Plan`` closes every renewal gap at the least cost, then the fewest clock hours, then the
most goal topics, then the earliest finish; ``to_ics(plan, dtstamp=...)`` and ``reminders(reports, as_of=...)``
turn it into calendar text and reminder events.
"""

from __future__ import annotations

from cebridge.domain.planning import (
    Closure,
    LicenseOutcome,
    LicenseState,
    Method,
    Plan,
    PlannedCourse,
    PlanOptions,
    Reminder,
    Unmet,
    make_plan,
    reminders,
    to_ics,
)

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
