"""Settings of the Canvas connector."""

from __future__ import annotations

from pydantic import Field, SecretStr, model_validator

from connectors.http import HttpConfig

__all__ = ["CanvasConfig"]


class CanvasConfig(HttpConfig):
    """Where Canvas is, the token to use and which courses or learners to read.

    Modes (exactly one):

    * ``course_ids`` — read these courses' rosters (the usual case for a CE provider);
    * ``account_id`` — read every course of this account (``GET /api/v1/accounts/:id/courses``);
    * neither — read the courses the token's user teaches (``GET /api/v1/courses?enrollment_type=teacher``);
    * ``user_ids`` — learner-centric: read these learners' courses with ``include[]=course_progress``.
    """

    token: SecretStr = Field(description="Canvas access token (sent as Authorization: Bearer)")
    course_ids: list[str] = Field(default_factory=list, description="Canvas course ids (or sis_course_id:...)")
    account_id: str | None = Field(default=None, description="Read every course of this account")
    user_ids: list[str] = Field(default_factory=list, description="Learner-centric mode: Canvas user ids")
    per_page: int = Field(default=100, ge=1, le=100, description="Page size asked of Canvas (max 100)")
    batch_size: int = Field(default=100, ge=1, le=10_000, description="Records per batch handed to the store")
    include_email: bool = Field(default=True, description="Fetch learners' e-mail (GET /courses/:id/users)")
    resolve_blueprints: bool = Field(default=True, description="Look up each course's blueprint (template)")
    lookback_hours: int = Field(default=24, ge=0, le=24 * 365, description="Re-read completions this old")
    full_refresh: bool = Field(default=False, description="Ignore the completion high-water marks")

    @model_validator(mode="after")
    def _one_mode(self) -> CanvasConfig:
        if self.user_ids and (self.course_ids or self.account_id):
            raise ValueError("give either user_ids (learner-centric) or course_ids/account_id, not both")
        if self.course_ids and self.account_id:
            raise ValueError("give either course_ids or account_id, not both")
        for cid in (*self.course_ids, *self.user_ids):
            if not cid.strip() or "/" in cid or "?" in cid:
                raise ValueError(f"{cid!r} is not a Canvas id")
        return self
