"""Reminders before renewal deadlines, delivered through the sinks.

Each day (``cebridge reminders queue``, from cron or any scheduler) the stored compliance report of every license
that is still short is turned into the planner's reminders (:func:`cebridge.domain.planner.reminders`: 90, 30, 7
and 1 days before the cycle ends); those due that day become ``reminder.due`` outbox work for the sinks
subscribed to it. The idempotency key names the license, the day and the deadline, so queueing twice on one day
sends nothing twice.
"""

from __future__ import annotations

from datetime import date

from pydantic import ValidationError
from sqlalchemy import select

from cebridge.domain.planner import reminders
from cebridge.domain.report import ComplianceReport
from cebridge.store.db import SessionFactory, transaction
from cebridge.store.tables import ComplianceSnapshot, LicenseRow
from cebridge.sync.events import Subscriptions, add_rows, outbox_rows

KIND = "reminder.due"


def queue_due_reminders(factory: SessionFactory, as_of: date) -> int:
    """Queue the reminders due on ``as_of`` for every subscribed sink; returns how many outbox rows were offered."""
    offered = 0
    with transaction(factory) as session:
        subs = Subscriptions(session)
        if not subs.sinks_for(KIND):
            return 0
        rows = session.execute(
            select(ComplianceSnapshot.license_id, ComplianceSnapshot.report, LicenseRow.clinician_id).join(
                LicenseRow, LicenseRow.id == ComplianceSnapshot.license_id
            )
        )
        out = []
        for license_id, data, clinician_id in rows:
            try:
                report = ComplianceReport.model_validate(data)
            except ValidationError:
                continue  # a snapshot of an older shape is replaced at the license's next recompute
            for reminder in reminders([report], as_of=as_of):
                if reminder.on != as_of:
                    continue
                payload = {"license_id": license_id, "clinician_id": clinician_id, **reminder.model_dump(mode="json")}
                out += outbox_rows(subs, KIND, f"{license_id}:{reminder.on}:{reminder.deadline}", payload)
        add_rows(session, out)
        offered = len(out)
    return offered
