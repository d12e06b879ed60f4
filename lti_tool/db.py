"""The app's database engine and sessions, shared by every module of the tool.

One engine per app, built on first use from the app's settings through :func:`cebridge.store.db.make_engine`
and kept in ``app.extensions["cebridge"]`` under ``"engine"`` and ``"sessions"``; tests may put their own
there before the first request.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from cebridge.store.db import SessionFactory, make_engine, session_factory, transaction
from lti_tool import settings_of


def engine_of(app: Flask) -> Engine:
    """The app's engine (built on first use)."""
    ext = app.extensions["cebridge"]
    engine: Engine | None = ext.get("engine")
    if engine is None:
        engine = make_engine(settings_of(app))
        ext["engine"] = engine
    return engine


def sessions_of(app: Flask) -> SessionFactory:
    """The app's session factory (built on first use)."""
    ext = app.extensions["cebridge"]
    factory: SessionFactory | None = ext.get("sessions")
    if factory is None:
        factory = session_factory(engine_of(app))
        ext["sessions"] = factory
    return factory


@contextmanager
def unit_of_work(*, write: bool = True, app: Flask | None = None) -> Iterator[Session]:
    """A transaction on the current app's database (commit on success, roll back on error)."""
    with transaction(sessions_of(app or current_app._get_current_object()), write=write) as session:  # type: ignore[attr-defined]
        yield session
