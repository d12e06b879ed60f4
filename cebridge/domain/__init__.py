"""The pure core of cebridge: models, rule packs as data, units, cycles, allocation, compliance, planning.

See README.md in this folder: nothing here does I/O or reads the clock or the environment.
"""

from __future__ import annotations

from cebridge.domain.completion import Completion, CreditOffering, Credits, Money, Session
from cebridge.domain.license import Cycle, History, License
from cebridge.domain.records import CompletionRecord, CourseRef, LearnerRef
from cebridge.domain.report import (
    CompletionResult,
    ComplianceReport,
    CreditAward,
    Reason,
    RequirementResult,
    Totals,
)
from cebridge.domain.rules import RulePack, RuleVersion

__all__ = [
    "Completion",
    "CompletionRecord",
    "CompletionResult",
    "ComplianceReport",
    "CourseRef",
    "CreditAward",
    "CreditOffering",
    "Credits",
    "Cycle",
    "History",
    "LearnerRef",
    "License",
    "Money",
    "Reason",
    "RequirementResult",
    "RulePack",
    "RuleVersion",
    "Session",
    "Totals",
]
