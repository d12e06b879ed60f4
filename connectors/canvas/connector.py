"""The Canvas LMS connector: completion from module-requirement progress, scores from enrollments."""

from __future__ import annotations

from typing import ClassVar

import requests

from cebridge.errors import CebridgeError
from connectors.base import CheckResult, Connector, ConnectorConfig, Stream
from connectors.canvas.api import CanvasApi
from connectors.canvas.config import CanvasConfig
from connectors.canvas.streams import CourseProgressStream, LearnerCoursesStream
from connectors.http import HttpClient
from connectors.values import host_of

__all__ = ["CanvasConnector"]


class CanvasConnector(Connector):
    """Reads Canvas course rosters (or learners' course lists) into CompletionRecords."""

    name: ClassVar[str] = "canvas"
    title: ClassVar[str] = "Canvas LMS"
    config_model: ClassVar[type[ConnectorConfig]] = CanvasConfig

    def __init__(self, config: ConnectorConfig, *, session: requests.Session | None = None) -> None:
        super().__init__(config, session=session)
        assert isinstance(config, CanvasConfig)
        self.cfg = config
        token = config.token.get_secret_value()
        self.client = HttpClient(
            provider=f"Canvas at {host_of(config.base_url)}",
            auth_field="token",
            session=session,
            headers={"Authorization": f"Bearer {token}"},
            timeout=config.timeouts(),
            policy=config.retry_policy(),
            secrets=(token,),
            base_url=config.base_url,
        )
        self.api = CanvasApi(self.client, config.base_url, per_page=config.per_page)

    def default_source(self) -> str:
        return f"canvas:{host_of(self.cfg.base_url)}"

    def streams(self) -> list[Stream]:
        if self.cfg.user_ids:
            return [LearnerCoursesStream(self.api, self.cfg, self.source)]
        return [CourseProgressStream(self.api, self.cfg, self.source)]

    def check(self) -> CheckResult:
        """``GET /users/self`` with the token, then the first configured course (permission to read it)."""
        where = f"Canvas at {host_of(self.cfg.base_url)}"
        try:
            me = self.api.self_user()
            detail = f"{where}: token accepted (user id {me['id']})"
            if self.cfg.course_ids:
                course = self.api.course(self.cfg.course_ids[0])
                detail += f"; course {course['id']} readable"
        except CebridgeError as exc:
            return CheckResult(False, exc.user_message)
        return CheckResult(True, detail)

    def close(self) -> None:
        self.client.close()
