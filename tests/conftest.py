"""Fixtures shared by every test: a private CEBRIDGE_HOME per test and no stray environment."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    for key in list(__import__("os").environ):
        if key.startswith("CEBRIDGE_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("CEBRIDGE_HOME", str(tmp_path / "home"))
    yield
