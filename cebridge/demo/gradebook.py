"""Grade passback in the demo: completions of a placed offering become AGS score posts, through the outbox.

The LTI tool records a placement at the first launch of a resource link that names a catalog offering; the
learner's LTI user id on that platform is one of the clinician's ``platform_user`` identities (source = issuer).
For every earning completion of a placed offering, :func:`queue_scores` writes ``lti.score`` outbox work with
:func:`lti_tool.ags.enqueue_completion_scores` (idempotent: a completion already queued is not queued again).
While the demo serves, :class:`DemoWorker` does that and delivers the outbox every few seconds.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy import select

from cebridge.domain.records import EARNING_STATUSES
from cebridge.outbox import SinkLoader
from cebridge.store.db import SessionFactory, transaction
from cebridge.store.tables import CompletionRow

log = logging.getLogger(__name__)


def queue_scores(factory: SessionFactory) -> int:
    """Queue score posts for earning completions of placed offerings; returns how many were new.

    The pipeline queues a completion's scores when it first counts; this catches up the completions that
    counted before their offering was placed (the demo syncs first, then an instructor places a course).
    """
    from cebridge.store.lti_tables import LtiLineItem
    from lti_tool.ags import queue_scores_for_completion

    queued = 0
    with transaction(factory) as session:
        placed = {int(v) for v in session.scalars(select(LtiLineItem.offering_id).distinct()) if v.isdigit()}
        if not placed:
            return 0
        ids = session.scalars(
            select(CompletionRow.id).where(
                CompletionRow.offering_id.in_(placed),
                CompletionRow.clinician_id.is_not(None),
                CompletionRow.revoked_at.is_(None),
                CompletionRow.status.in_(EARNING_STATUSES),
            )
        ).all()
        for completion_id in ids:
            queued += len(queue_scores_for_completion(session, completion_id))
    return queued


class DemoWorker:
    """Every ``interval`` seconds: queue score posts and deliver the outbox, until stopped."""

    def __init__(
        self, factory: SessionFactory, loader: SinkLoader, deliver: Callable[..., object], interval: float = 3.0
    ) -> None:
        self.factory = factory
        self.loader = loader
        self.deliver = deliver
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="demo-worker", daemon=True)

    def run_once(self) -> None:
        queue_scores(self.factory)
        self.deliver(self.factory, self.loader)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.run_once()
            except Exception as exc:  # the demo keeps serving; the outbox keeps what failed
                log.warning("demo worker pass failed: %s", type(exc).__name__)

    def start(self) -> DemoWorker:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
