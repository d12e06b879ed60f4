"""Fixtures: the tool served on 127.0.0.1 (its own database and keys) and a test platform registered with it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

import cebridge.store.tables  # noqa: F401  (every table on the metadata)
from cebridge.config import Settings
from cebridge.store.base import Base
from lti_tool import create_app
from lti_tool.db import engine_of
from lti_tool.registry import Registrations
from lti_tool.runtime import runtime
from lti_tool.services import TOKENS
from tests.lti.platform import INSTRUCTOR, LEARNER, TestPlatform
from tests.lti.servers import Served


@dataclass
class Tool:
    app: Flask
    url: str
    client: FlaskClient
    served: Served

    @property
    def registrations(self) -> Registrations:
        return runtime(self.app).registrations


@dataclass
class Launch:
    """One browser launch: what the platform posted and what the tool answered."""

    id_token: str
    state: str
    response: TestResponse
    extra: dict[str, Any] = field(default_factory=dict)


def make_tool(home: Path, host: str = "127.0.0.1", database_url: str | None = None) -> Tool:
    """The tool served on ``host``; tables by ``create_all`` on SQLite, by the migrations on another database."""
    served = Served(host)
    app = create_app(Settings(home=home, base_url=served.url, database_url=database_url))
    if database_url is None:
        Base.metadata.create_all(engine_of(app))
    else:
        from cebridge.store.migrate import upgrade

        upgrade(engine_of(app))
    served.app.target = app
    return Tool(app=app, url=served.url, client=app.test_client(), served=served)


@pytest.fixture
def tool(tmp_path: Path) -> Iterator[Tool]:
    TOKENS.clear()
    t = make_tool(tmp_path / "home")
    yield t
    t.served.stop()
    engine_of(t.app).dispose()


def register(tool: Tool, platform: TestPlatform, *deployments: str) -> None:
    tool.registrations.add(
        issuer=platform.issuer,
        client_id=platform.client_id,
        auth_login_url=platform.url + "/auth",
        auth_token_url=platform.url + "/token",
        key_set_url=platform.url + "/jwks",
        deployment_ids=deployments or (platform.deployment_id,),
        name="Test platform",
    )


def new_platform(tool: Tool, **kwargs: Any) -> TestPlatform:
    p = TestPlatform(tool.url, **kwargs)
    p.add_user("learner-1", roles=[LEARNER], name="Jordan Lee", email="jordan@example.org")
    p.add_user("teacher-1", roles=[INSTRUCTOR], name="Sam Rivera", email="sam@example.org")
    return p


@pytest.fixture
def platform(tool: Tool) -> Iterator[TestPlatform]:
    p = new_platform(tool)
    register(tool, p)
    yield p
    p.stop()


def local(url: str) -> str:
    """Path and query of a URL (for a test client)."""
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def auto_form(html: str) -> tuple[str, dict[str, str]]:
    """(action, fields) of the auto-submitted form in a page."""
    action = unescape(re.search(r'<form[^>]*action="([^"]*)"', html).group(1))  # type: ignore[union-attr]
    fields = {
        unescape(m.group(1)): unescape(m.group(2))
        for m in re.finditer(r'<input type="hidden" name="([^"]*)" (?:id="[^"]*" )?value="([^"]*)"', html)
    }
    return action, fields


def platform_auth(platform: TestPlatform, auth_url: str) -> tuple[str, str]:
    """The platform's answer to the authentication request: (id_token, state); fails on a platform error."""
    resp = platform.client.get(local(auth_url))
    assert resp.status_code == 200, resp.get_data(as_text=True)
    _, fields = auto_form(resp.get_data(as_text=True))
    return fields["id_token"], fields["state"]


def launch(tool: Tool, platform: TestPlatform, user: str = "learner-1", **kwargs: Any) -> Launch:
    """A whole launch as a browser does it: platform login URL, tool login, platform auth, tool launch."""
    platform.login_as(user)
    login = tool.client.get(platform.login_url(user, **kwargs))
    assert login.status_code == 302, login.get_data(as_text=True)
    id_token, state = platform_auth(platform, login.headers["Location"])
    resp = tool.client.post(tool.url + "/lti/launch", data={"id_token": id_token, "state": state})
    return Launch(id_token=id_token, state=state, response=resp)


def begin(tool: Tool, platform: TestPlatform, user: str = "learner-1", **kwargs: Any) -> tuple[str, str]:
    """Tool login and platform authentication, stopping before the launch POST: (id_token, state)."""
    platform.login_as(user)
    login = tool.client.get(platform.login_url(user, **kwargs))
    assert login.status_code == 302, login.get_data(as_text=True)
    return platform_auth(platform, login.headers["Location"])


def launch_count(tool: Tool) -> int:
    """How many launch records the tool holds."""
    from sqlalchemy import func, select

    from cebridge.store.lti_tables import LtiLaunch
    from lti_tool.db import sessions_of

    with sessions_of(tool.app)() as session:
        return int(session.scalar(select(func.count()).select_from(LtiLaunch)) or 0)
