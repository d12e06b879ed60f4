"""Canvas payloads built only from the documented shapes (docs/connectors.md §1.2; Canvas's API doc models).

CourseProgress and its error form, bulk_user_progress items, Course (subset), Enrollment with Grade, User
(with ``include[]=email``) and BlueprintSubscription. No field here is invented.
"""

from __future__ import annotations

from typing import Any

BASE = "https://canvas.example.edu"
API = BASE + "/api/v1"
NOT_MODULE_BASED = (
    "no progress available because this course is not module based (has modules and module completion "
    "requirements) or the user is not enrolled as a student in this course"
)


def progress(count: int = 10, done: int = 1, completed_at: str | None = None) -> dict[str, Any]:
    return {
        "requirement_count": count,
        "requirement_completed_count": done,
        "next_requirement_url": None if completed_at else "http://localhost/courses/1/modules/items/2",
        "completed_at": completed_at,
    }


def progress_error() -> dict[str, Any]:
    return {"error": {"message": NOT_MODULE_BASED}}


def bulk_item(user_id: int, prog: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": user_id,
        "display_name": f"Test Student {user_id}",
        "avatar_image_url": "https://<canvas>/images/messages/avatar-50.png",
        "html_url": f"https://<canvas>/courses/1/users/{user_id}",
        "pronouns": None,
        "progress": prog,
    }


def course(course_id: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": course_id,
        "sis_course_id": f"CE-{course_id}",
        "uuid": f"WvAHhY5FINzq5IyRIJybGeiXyFkG3SqHUPb7jZY5-{course_id}",
        "integration_id": f"INT-{course_id}",
        "name": f"Ethics for Counselors {course_id}",
        "course_code": f"ETH{course_id}",
        "workflow_state": "available",
        "account_id": 81259,
        "root_account_id": 81259,
        "enrollment_term_id": 34,
        "start_at": "2012-06-01T00:00:00-06:00",
        "end_at": "2012-09-01T00:00:00-06:00",
        "time_zone": "America/Denver",
        "blueprint": False,
        **extra,
    }


def enrollment(course_id: int, user_id: int, *, state: str = "active", final: float | None = 88.5) -> dict[str, Any]:
    return {
        "id": course_id * 1000 + user_id,
        "course_id": course_id,
        "sis_course_id": f"CE-{course_id}",
        "course_integration_id": f"INT-{course_id}",
        "course_section_id": 1,
        "enrollment_state": state,
        "type": "StudentEnrollment",
        "user_id": user_id,
        "role": "StudentEnrollment",
        "role_id": 1,
        "created_at": "2012-04-18T23:08:51Z",
        "updated_at": "2012-04-18T23:08:51Z",
        "total_activity_time": 260,
        "html_url": f"https://<canvas>/courses/{course_id}/users/{user_id}",
        "grades": {
            "html_url": "https://...",
            "current_score": 35,
            "current_grade": None,
            "final_score": final,
            "final_grade": None,
        },
        "user": {
            "id": user_id,
            "name": f"Student {user_id}",
            "sortable_name": f"{user_id}, Student",
            "short_name": "S",
        },
    }


def user(user_id: int, email: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": user_id,
        "name": f"Student {user_id}",
        "sortable_name": f"{user_id}, Student",
        "short_name": "S",
        "sis_user_id": f"SHEL{user_id}",
        "login_id": f"s{user_id}@example.edu",
    }
    if email is not None:
        out["email"] = email
    return out


def blueprint_subscription(blueprint_id: int) -> dict[str, Any]:
    return {
        "id": 101,
        "template_id": 1,
        "blueprint_course": {
            "id": blueprint_id,
            "name": "Biology 100 Blueprint",
            "course_code": "BIOL 100 BP",
            "term_name": "Default term",
        },
    }
