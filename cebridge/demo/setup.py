"""Put the demo into the store through the same services the commands use, each change only when it is new.

Running it twice changes nothing the second time: providers and sinks are upserts, catalogs update their rows,
a clinician is looked up by e-mail before being added, a license is written only when it differs from the
stored one, and every secret is a ``{"file": ...}`` reference to a token file under ``CEBRIDGE_HOME/demo``.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cebridge.certificates.model import ProviderProfile
from cebridge.certificates.stored import set_provider_profile
from cebridge.demo import data
from cebridge.demo.canvas_site import CanvasSite
from cebridge.demo.moodle_site import MoodleSite
from cebridge.domain.license import License
from cebridge.services import people, providers
from cebridge.store.db import SessionFactory, transaction
from cebridge.store.tables import Clinician, Identity, LicenseRow

#: The sink subscription that issues certificates from the pipeline's outbox work.
CERTIFICATE_SINK = "certificates"
#: The sink subscription that appends compliance changes to a JSON-lines file (shows a second sink at work).
EVENTS_SINK = "demo-events"


@dataclass
class Sites:
    """The provider fakes the demo started, by provider name, and what a full pull of each yields."""

    servers: dict[str, CanvasSite | MoodleSite] = field(default_factory=dict)
    expected: dict[str, int] = field(default_factory=dict)

    def stop(self) -> None:
        for site in self.servers.values():
            site.server.stop()
        self.servers.clear()


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(path, 0o600)


def start_sites(home: Path) -> Sites:
    """Start a Canvas-shaped and a Moodle-shaped provider on 127.0.0.1 (port 0) with fresh tokens, and copy the
    CSV export into ``home/demo/exports`` (rewritten only when its content changed, so a rerun reads nothing)."""
    sites = Sites()
    for spec in data.providers():
        if spec.export:
            target = home / "demo" / "exports" / Path(spec.export).name
            content = (data.data_dir() / spec.export).read_bytes()
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.exists() or target.read_bytes() != content:
                target.write_bytes(content)
            sites.expected[spec.name] = max(0, content.count(b"\n") - 1)
        if spec.server is None or spec.site is None:
            continue
        token = secrets.token_urlsafe(24)
        _write_private(home / "demo" / "secrets" / f"{spec.name}-{spec.server}-token", token)
        site_data = data.read_json(spec.site)
        site: CanvasSite | MoodleSite = (
            CanvasSite(site_data, token) if spec.server == "canvas" else MoodleSite(site_data, token)
        )
        site.server.start()
        sites.servers[spec.name] = site
        sites.expected[spec.name] = site.record_count
    return sites


def configure_providers(factory: SessionFactory, home: Path, sites: Sites) -> None:
    """Each provider with its connector config (secrets by reference), catalog and certificate profile."""
    for spec in data.providers():
        site = sites.servers.get(spec.name)
        values = {
            "server_url": site.server.url if site is not None else "",
            "secrets": str((home / "demo" / "secrets").resolve()),
            "exports": str((home / "demo" / "exports").resolve()),
        }
        config = data.fill(spec.config, values)
        where = f"demo provider {spec.name!r}"
        stored = providers.validate_connector_config(spec.connector, config, where, home)
        profile = ProviderProfile.model_validate(data.read_json(spec.profile))
        with transaction(factory) as session:
            providers.add_provider(session, spec.name, connector=spec.connector, config=stored, title=spec.title)
            providers.import_catalog(session, spec.name, data.read_json(spec.catalog), f"catalog {spec.catalog!r}")
            set_provider_profile(session, providers.get_provider(session, spec.name).id, profile)


def configure_sinks(factory: SessionFactory, home: Path) -> None:
    """Certificates from the outbox, and compliance changes appended to ``home/demo/events.jsonl``."""
    with transaction(factory) as session:
        providers.add_sink(
            session,
            CERTIFICATE_SINK,
            plugin="certificates",
            kinds=["certificate.issue", "certificate.revoke"],
            config={},
        )
        providers.add_sink(
            session,
            EVENTS_SINK,
            plugin="jsonl",
            kinds=["compliance.updated"],
            config={"path": str((home / "demo" / "events.jsonl").resolve())},
        )


def _clinician_by_email(session: Session, email: str) -> Clinician | None:
    found = session.scalar(select(Identity.clinician_id).where(Identity.kind == "email", Identity.value == email))
    return session.get(Clinician, found) if found is not None else None


def configure_clinicians(factory: SessionFactory) -> list[int]:
    """The demo clinicians with their licenses and their demo LMS accounts; returns the license row ids."""
    license_ids = []
    for spec in data.clinicians():
        with transaction(factory) as session:
            clinician = _clinician_by_email(session, spec.email.lower())
            if clinician is None:
                clinician = people.add_clinician(
                    session,
                    name=spec.name,
                    email=spec.email,
                    platform_users=[(data.DEMO_ISSUER, spec.lms_user_id)],
                    actor="demo",
                )
            wanted: dict[str, Any] = License.model_validate(spec.license).model_dump(mode="json")
            row = session.scalar(
                select(LicenseRow).where(
                    LicenseRow.clinician_id == clinician.id, LicenseRow.board == spec.license["board"]
                )
            )
            if row is None or row.data != wanted:
                row = people.add_license(
                    session, clinician, spec.license, where=f"demo license of {spec.name}", actor="demo"
                )
            license_ids.append(row.id)
    return license_ids
