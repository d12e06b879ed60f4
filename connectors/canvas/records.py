"""Canvas payloads -> CompletionRecord. Pure functions over the documented shapes (docs/connectors.md).

Completion comes from module-requirement progress (**CourseProgress**)::

    {"requirement_count": 10, "requirement_completed_count": 10,
     "next_requirement_url": null, "completed_at": "2021-08-10T16:26:08Z"}

* ``completed_at`` set -> ``completed`` at that instant;
* requirements exist, ``completed_at`` null -> ``in_progress``;
* the ``error`` object (course not module based, or no requirements) or ``requirement_count == 0`` ->
  ``no_requirements``: Canvas has no completion signal for the course, which is not the same as zero.

The score is the enrollment's ``grades.final_score`` (ungraded work counts as zero), else
``grades.current_score``; for a learner-centric pull, ``computed_final_score`` / ``computed_current_score``
of the course's enrollment (``include[]=total_scores``).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from cebridge.domain.records import CompletionRecord, CourseRef, RecordStatus
from connectors.values import parse_datetime, to_decimal

__all__ = ["course_ref", "external_id", "make_record", "progress_status", "score_of"]


def external_id(course_id: Any, user_id: Any) -> str:
    """``<course id>:<user id>``: one record per learner per course, the same in every mode."""
    return f"{course_id}:{user_id}"


def progress_status(progress: Any) -> tuple[RecordStatus, datetime | None]:
    """Status and completion instant from a CourseProgress (or its ``error`` form, or None)."""
    if not isinstance(progress, dict) or "error" in progress:
        return "no_requirements", None
    when = progress.get("completed_at")
    if when is not None:
        completed_at = parse_datetime(when)
        if completed_at is not None:
            return "completed", completed_at
    count = progress.get("requirement_count")
    if not isinstance(count, int) or count == 0:
        return "no_requirements", None
    return "in_progress", None


def score_of(enrollment: dict[str, Any] | None) -> Decimal | None:
    """The enrollment's final score, else its current score, else None."""
    if not enrollment:
        return None
    grades = enrollment.get("grades")
    if isinstance(grades, dict):
        value = to_decimal(grades.get("final_score"))
        if value is None:
            value = to_decimal(grades.get("current_score"))
        if value is not None:
            return value
    value = to_decimal(enrollment.get("computed_final_score"))
    if value is None:
        value = to_decimal(enrollment.get("computed_current_score"))
    return value


def course_ref(course: dict[str, Any], blueprint_id: Any = None) -> CourseRef:
    """The course as the catalog can find it: Canvas id, name, SIS id, integration id, blueprint id."""
    return CourseRef(
        external_id=str(course["id"]),
        title=course.get("name") or None,
        sis_id=_str_or_none(course.get("sis_course_id")),
        integration_id=_str_or_none(course.get("integration_id")),
        blueprint_id=_str_or_none(blueprint_id),
    )


#: The model's own validator, called directly: ``model_validate`` wraps it in a Python call with keyword
#: arguments, a sixth of the validation's cost here.
_RECORD_VALIDATOR = CompletionRecord.__pydantic_validator__


def make_record(
    *,
    source: str,
    course: CourseRef,
    user_id: Any,
    progress: Any,
    enrollment: dict[str, Any] | None,
    user: dict[str, Any] | None,
    name: str | None,
    raw: dict[str, Any],
) -> CompletionRecord:
    """One CompletionRecord from what Canvas said about one learner in one course.

    The record, its learner and its raw payload are validated in one pass of pydantic's validator from a
    plain dict (the learner nested in it), which costs about half of building a validated ``LearnerRef``
    first and then the record around it; the result is the same validated model. ``course`` is a
    ``CourseRef`` validated once per course by :func:`course_ref`.
    """
    status, completed_at = progress_status(progress)
    if user:
        email = user.get("email") or None
        learner_name = name or user.get("name")
    else:
        email = None
        learner_name = name
    if not learner_name and enrollment:
        learner_name = (enrollment.get("user") or {}).get("name")
    record: CompletionRecord = _RECORD_VALIDATOR.validate_python(
        {
            "source": source,
            "external_id": f"{course.external_id}:{user_id}",
            "learner": {"platform_user_id": str(user_id), "email": email, "name": learner_name or None},
            "course": course,
            "status": status,
            "completed_at": completed_at,
            "score": score_of(enrollment),
            "raw": raw,
        }
    )
    return record


def _str_or_none(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return str(value)
