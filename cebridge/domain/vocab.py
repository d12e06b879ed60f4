"""The stable identifiers of DESIGN.md: units, formats, activities, categories, approval bodies, degrees."""

from __future__ import annotations

import re
from typing import Literal, get_args

Unit = Literal["hours", "ce_credits", "ceu", "minutes", "semester_hours", "quarter_hours", "days"]
Format = Literal["live_in_person", "live_interactive_webinar", "self_study"]
Activity = Literal[
    "course",
    "conference_attendance",
    "presenting",
    "authoring",
    "self_study_reading",
    "graduate_course",
    "jurisprudence_exam",
    "carryover_in",
    "state_mandated_training",
]
DegreeLevel = Literal["bachelors", "masters", "doctorate"]

UNITS: frozenset[str] = frozenset(get_args(Unit))
FORMATS: frozenset[str] = frozenset(get_args(Format))
ACTIVITIES: frozenset[str] = frozenset(get_args(Activity))

#: Categories every pack understands; a pack may declare more in ``extra_categories``.
CATEGORIES: frozenset[str] = frozenset(
    {
        "general",
        "clinical",
        "ethics",
        "law",
        "law_ethics",
        "laws_and_rules",
        "cultural_diversity",
        "suicide_prevention",
        "supervision",
        "telehealth",
        "domestic_violence",
        "medical_errors",
        "hiv_aids",
        "human_trafficking",
        "jurisprudence_exam",
        "boundaries",
        "child_abuse",
        "implicit_bias",
        "sexual_harassment",
        "dementia",
        "substance_use",
        "crisis_management",
        "non_clinical",
    }
)

#: National approval bodies; state approvals are ``<ST>-<AGENCY>`` and packs may add more.
APPROVAL_BODIES: frozenset[str] = frozenset(
    {
        "APA",
        "ASWB-ACE",
        "NBCC",
        "NAADAC",
        "CAMFT",
        "AAMFT",
        "NASW",
        "ACA",
        "CPA",
        "NASP",
        "IACET",
        "ACCREDITED-UNIVERSITY",
        "ANCC",
        "ICF",
    }
)

APPROVAL_BODY_PATTERN = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$")
PACK_ID_PATTERN = re.compile(r"^[a-z]{2}-[a-z][a-z0-9]*$")
CATEGORY_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")

#: License attributes that DESIGN.md names; packs condition requirements on these.
ATTRIBUTES: frozenset[str] = frozenset(
    {"supervisor", "provides_telehealth", "treats_couples_or_families", "serves_adults", "degree_level"}
)
