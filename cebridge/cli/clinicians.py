"""``cebridge clinicians add|list`` and ``cebridge licenses add|list``."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import select

from cebridge.cli.output import echo_json, format_option, read_json, table
from cebridge.cli.store_context import open_store
from cebridge.errors import InputError
from cebridge.services import people
from cebridge.services.orgs import get_org
from cebridge.store.db import transaction
from cebridge.store.tables import Clinician, LicenseRow


def _platform_user(value: str) -> tuple[str, str]:
    source, sep, user_id = value.rpartition(":")
    if not sep or not source or not user_id:
        raise InputError(f"--platform-user {value!r} must be SOURCE:USER_ID, like canvas.example.edu:1234")
    return source, user_id


@click.group("clinicians")
def clinicians_group() -> None:
    """Clinicians and the keys their completions are matched by."""


@clinicians_group.command("add")
@click.option("--name", required=True)
@click.option("--email")
@click.option("--platform-user", "platform_users", multiple=True, help="SOURCE:USER_ID (repeatable)")
@click.option("--org", "org_slug", help="organization slug (default: the default organization)")
def add_command(name: str, email: str | None, platform_users: tuple[str, ...], org_slug: str | None) -> None:
    """Add a clinician; completions waiting for these keys are matched now."""
    users = [_platform_user(v) for v in platform_users]
    with transaction(open_store().factory) as session:
        row = people.add_clinician(session, name=name, email=email, org_slug=org_slug, platform_users=users)
    click.echo(f"clinician {row.id} added")


@clinicians_group.command("list")
@click.option("--org", "org_slug")
@format_option
def list_command(org_slug: str | None, fmt: str) -> None:
    """Clinicians of an organization."""
    with transaction(open_store().factory) as session:
        org = get_org(session, org_slug)
        rows = session.scalars(
            select(Clinician).where(Clinician.organization_id == org.id).order_by(Clinician.id)
        ).all()
    if fmt == "json":
        echo_json([{"id": r.id, "name": r.name, "email": r.email} for r in rows])
    else:
        click.echo(table(["id", "name", "email"], [[r.id, r.name, r.email] for r in rows]))


@click.group("licenses")
def licenses_group() -> None:
    """Clinicians' licenses."""


@licenses_group.command("add")
@click.option("--file", "path", required=True, type=click.Path(dir_okay=False), help="LICENSE.json")
@click.option("--clinician", "clinician_id", required=True, type=int)
def add_license(path: str, clinician_id: int) -> None:
    """Add (or replace, same board) a clinician's license; its compliance is computed now."""
    from cebridge.sync.compliance import drain

    data = read_json(path, "license")
    store = open_store()
    with transaction(store.factory) as session:
        clinician = people.get_clinician(session, clinician_id)
        row = people.add_license(session, clinician, data, where=f"license file {Path(path).name!r}")
    drain(store.factory)
    click.echo(f"license {row.id} ({row.board} {row.license_number or ''}) saved for clinician {clinician_id}")


@licenses_group.command("list")
@click.option("--clinician", "clinician_id", type=int)
@format_option
def list_licenses(clinician_id: int | None, fmt: str) -> None:
    """Licenses (of one clinician)."""
    with transaction(open_store().factory, write=False) as session:
        stmt = select(LicenseRow).order_by(LicenseRow.id)
        if clinician_id is not None:
            stmt = stmt.where(LicenseRow.clinician_id == clinician_id)
        rows = session.scalars(stmt).all()
    if fmt == "json":
        echo_json([{"id": r.id, "clinician_id": r.clinician_id, **r.data} for r in rows])
    else:
        click.echo(
            table(
                ["id", "clinician", "board", "number", "cycle"],
                [
                    [r.id, r.clinician_id, r.board, r.license_number, f"{r.cycle_start or ''}..{r.cycle_end or ''}"]
                    for r in rows
                ],
            )
        )


commands = [clinicians_group, licenses_group]
