"""Fixtures: an app on a fresh SQLite store with the dashboard's clock fixed, a registered platform, the seed."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from cebridge.config import Settings
from lti_tool import create_app
from lti_tool.db import engine_of
from tests.unit.dashboard import seed
from tests.unit.dashboard.dom import Node, parse

BASE_URL = "http://127.0.0.1:9"


@dataclass
class Site:
    app: Flask
    client: FlaskClient
    platform_id: int

    def launch(self, user_id: str = "learner-1", **kwargs: Any) -> str:
        """A launch token for a stored launch of ``user_id``."""
        return seed.make_launch(self.app, self.platform_id, user_id, **kwargs)

    def get(self, path: str, token: str | None, **params: str) -> TestResponse:
        query = dict(params)
        if token is not None:
            query["lt"] = token
        return self.client.get(path, query_string=query)

    def page(self, path: str, token: str | None, status: int = 200, **params: str) -> Node:
        resp = self.get(path, token, **params)
        assert resp.status_code == status, resp.get_data(as_text=True)[:2000]
        return parse(resp.get_data(as_text=True))


def make_site(home: Path) -> Site:
    app = create_app(Settings(home=home, base_url=BASE_URL), DASHBOARD_AS_OF=seed.AS_OF)
    seed.create_schema(app)
    return Site(app, app.test_client(), seed.add_platform(app))


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    s = make_site(tmp_path / "home")
    yield s
    engine_of(s.app).dispose()


@pytest.fixture
def seeded(site: Site) -> Site:
    """The seeded record without certificates (rendering them takes a while); see ``with_certificates``."""
    seed.seed_store(site.app, certificates=False)
    return site


@pytest.fixture
def with_certificates(site: Site) -> Site:
    seed.seed_store(site.app, certificates=True)
    return site
