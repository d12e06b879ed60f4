"""Scale-out: Celery workers on Redis run the same pipeline functions as ``cebridge sync``.

Tasks: ``cebridge.sync_connector`` (one connector, guarded by the same per-connector lock),
``cebridge.recompute`` (drain the recompute queue), ``cebridge.deliver_outbox`` (certificate issuing and every
other sink delivery go through the outbox) and ``cebridge.tick`` (the schedule: queue the syncs that are due and
an outbox pass). Beat runs ``tick`` every ``TICK_SECONDS``. Nothing here runs at import: :func:`make_celery`
builds the app from settings.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from celery import Celery
from sqlalchemy import func, select

from cebridge.config import Settings
from cebridge.errors import ConfigError
from cebridge.store.db import SessionFactory, make_engine, session_factory, transaction
from cebridge.store.tables import ConnectorConfig, SyncRun
from cebridge.store.types import utcnow

TICK_SECONDS = 30.0


def make_celery(settings: Settings, *, key_prefix: str | None = None) -> Celery:
    """A Celery app on ``settings.redis_url`` whose tasks use ``settings``' database."""
    if not settings.redis_url:
        raise ConfigError("the worker needs Redis: set CEBRIDGE_REDIS_URL=redis://127.0.0.1:6379/0")
    app = Celery("cebridge", broker=settings.redis_url)
    options: dict[str, Any] = {"visibility_timeout": 3600}
    if key_prefix:
        options["global_keyprefix"] = key_prefix
    app.conf.update(
        broker_transport_options=options,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        beat_schedule={"cebridge-tick": {"task": "cebridge.tick", "schedule": timedelta(seconds=TICK_SECONDS)}},
        # The schedule's state lives with the rest of the installation, not in whatever directory the worker
        # was started from.
        beat_schedule_filename=str(settings.ensure_home() / "celerybeat-schedule"),
        timezone="UTC",
    )
    state: dict[str, SessionFactory] = {}

    def factory() -> SessionFactory:
        if "factory" not in state:
            state["factory"] = session_factory(make_engine(settings))
        return state["factory"]

    @app.task(name="cebridge.sync_connector")  # type: ignore[untyped-decorator]
    def sync_connector_task(name: str) -> dict[str, Any]:
        from cebridge.sync.pipeline import sync_connector

        return sync_connector(factory(), name).to_json()

    @app.task(name="cebridge.recompute")  # type: ignore[untyped-decorator]
    def recompute_task() -> int:
        from cebridge.sync.compliance import drain

        return drain(factory()).recomputed

    @app.task(name="cebridge.deliver_outbox")  # type: ignore[untyped-decorator]
    def deliver_task() -> dict[str, int]:
        from cebridge.outbox import deliver_due

        result = deliver_due(factory())
        return {"delivered": result.delivered, "retried": result.retried, "dead": result.dead}

    @app.task(name="cebridge.tick")  # type: ignore[untyped-decorator]
    def tick_task() -> list[str]:
        due = due_connectors(factory())
        for name in due:
            app.send_task("cebridge.sync_connector", args=[name])
        app.send_task("cebridge.deliver_outbox")
        return due

    return app


def due_connectors(factory: SessionFactory) -> list[str]:
    """Enabled connectors with a schedule whose last run started longer ago than their interval."""
    now = utcnow()
    with transaction(factory, write=False) as session:
        last = (
            select(SyncRun.connector_id, func.max(SyncRun.started_at).label("started"))
            .group_by(SyncRun.connector_id)
            .subquery()
        )
        rows = session.execute(
            select(ConnectorConfig.name, ConnectorConfig.schedule_seconds, last.c.started)
            .outerjoin(last, last.c.connector_id == ConnectorConfig.id)
            .where(ConnectorConfig.enabled.is_(True), ConnectorConfig.schedule_seconds.is_not(None))
            .order_by(ConnectorConfig.name)
        ).all()
    due = []
    for name, every, started in rows:
        if started is None or (now - _aware(started)).total_seconds() >= every:
            due.append(name)
    return due


def _aware(value: Any) -> Any:
    from datetime import UTC

    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
