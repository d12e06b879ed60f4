"""A completion synced from a provider reaches the LMS gradebook: sync -> completion.accepted -> lti.score -> AGS."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from cebridge.outbox import deliver_due
from cebridge.services import people, providers
from cebridge.services.orgs import get_org
from cebridge.store.catalog_tables import Offering
from cebridge.store.db import transaction
from cebridge.store.org_tables import SinkSubscription
from cebridge.store.record_tables import OutboxItem
from cebridge.sync.pipeline import sync_connector
from lti_tool.db import sessions_of
from lti_tool.keys import keystore_of
from lti_tool.sinks.ags import AgsSink
from tests.lti.conftest import Tool, launch
from tests.lti.platform import TestPlatform
from tests.lti.test_advantage import CATALOG, place

CSV = """Certificate,Course ID,Course,Name,Email,License,Completed,Status
C-1,eth-3,Ethics for Texas Counselors,Jordan Lee,jordan@example.org,LPC 1,2024-09-10,completed
C-2,eth-3,Ethics for Texas Counselors,Pat Doe,pat@example.org,LPC 2,2024-09-11,completed
"""
LICENSE = {
    "board": "tx-lpc",
    "license_number": "LPC 1",
    "cycle": {"start": "2023-06-01", "end": "2025-05-31"},
    "renewal_number": 3,
    "attributes": {"supervisor": False},
}


def test_synced_completion_of_a_placed_offering_posts_a_score(
    tool: Tool, platform: TestPlatform, tmp_path: Path
) -> None:
    factory = sessions_of(tool.app)
    export = tmp_path / "export.csv"
    export.write_text(CSV)
    with transaction(factory) as s:
        get_org(s, None)
        providers.add_provider(
            s,
            "export",
            connector="csv",
            config={
                "path": str(export),
                "source": "csv:export",
                "columns": {
                    "external_id": "Certificate",
                    "course_id": "Course ID",
                    "course_title": "Course",
                    "learner_name": "Name",
                    "email": "Email",
                    "license_number": "License",
                    "completed_at": "Completed",
                    "status": "Status",
                },
            },
        )
        providers.import_catalog(s, "export", CATALOG, "catalog.json")
        row_id = str(s.scalars(select(Offering.id).where(Offering.offering_id == "eth-3")).one())
    item = place(tool, platform, row_id)
    # The first launch of the placed link tells the tool its resource link and line item.
    first = launch(tool, platform, user="learner-1", resource_link_id=item["_resource_link_id"], custom=item["custom"])
    assert first.response.status_code == 303
    with factory() as s:
        sub = s.scalars(select(SinkSubscription).where(SinkSubscription.name == "lti_ags")).one()
        assert set(sub.kinds) >= {"lti.score", "completion.accepted"}  # created when the platform registered
    with transaction(factory) as s:
        # Jordan launched from the platform as learner-1: that LTI user id is one of their keys.
        jordan = people.add_clinician(
            s, name="Jordan Lee", email="jordan@example.org", platform_users=[(platform.issuer, "learner-1")]
        )
        people.add_license(s, jordan, LICENSE, where="test")
        pat = people.add_clinician(s, name="Pat Doe", email="pat@example.org")  # never launched: no LTI id
        people.add_license(s, pat, {**LICENSE, "license_number": "LPC 2"}, where="test")
    summary = sync_connector(factory, "export").to_json()
    assert (summary["outcome"], summary["new"], summary["unmapped"]) == ("ok", 2, 0), summary

    with factory() as s:
        accepted = s.scalars(select(OutboxItem).where(OutboxItem.kind == "completion.accepted")).all()
    assert len(accepted) == 2 and {i.sink for i in accepted} == {"lti_ags"}

    sink = AgsSink(sessions=factory, keys=keystore_of(tool.app))

    def loader(name: str) -> Any:
        return lambda config: sink

    deliver_due(factory, loader=loader)  # the accepted completions become score posts
    deliver_due(factory, loader=loader)  # the score posts reach the platform
    assert [s["userId"] for s in platform.scores] == ["learner-1"]  # Pat has no LTI user id there
    assert "3 hours" in platform.scores[0]["comment"]
    # Running it all again posts nothing more.
    sync_connector(factory, "export")
    deliver_due(factory, loader=loader)
    deliver_due(factory, loader=loader)
    assert len(platform.scores) == 1
    with factory() as s:
        dead = s.scalars(select(OutboxItem).where(OutboxItem.dead_lettered.is_(True))).all()
    assert dead == []
