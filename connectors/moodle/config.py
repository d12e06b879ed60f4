"""Settings of the Moodle connector."""

from __future__ import annotations

from pydantic import Field, SecretStr

from connectors.http import HttpConfig

__all__ = ["MoodleConfig"]


class MoodleConfig(HttpConfig):
    """Where Moodle is, the web-service token and which courses to read.

    The token's service must include the functions listed in docs/connectors.md; ``cebridge connectors
    check moodle`` says which are missing.
    """

    token: SecretStr = Field(description="Moodle web-service token (sent as wstoken in the POST body)")
    course_ids: list[int] = Field(default_factory=list, description="Course ids; empty = every course")
    hours_field: str | None = Field(default="cehours", description="Course custom field holding CE hours")
    license_field: str | None = Field(
        default="licensenumber", description="User profile field holding the learner's license number"
    )
    certificates: bool = Field(default=True, description="Read mod_customcert issues where the site has them")
    page_size: int = Field(default=100, ge=1, le=1000, description="Users per core_enrol_get_enrolled_users call")
    batch_size: int = Field(default=100, ge=1, le=10_000, description="Records per batch handed to the store")
    lookback_hours: int = Field(default=24, ge=0, le=24 * 365, description="Re-read completions this old")
    full_refresh: bool = Field(default=False, description="Ignore the completion high-water marks")
