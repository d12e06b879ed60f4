"""Open what a command or page needs around certificates: the provider profile, the store if there is one,
the packet of a stored license. Kept out of the CLI module so the web app uses the same code."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import jwt
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from cebridge.certificates.credential import platform_issuer
from cebridge.certificates.errors import CertificateInputError
from cebridge.certificates.model import ProviderProfile
from cebridge.certificates.packet import Packet, PacketCertificate, build_packet
from cebridge.certificates.stored import has_certificate_tables
from cebridge.config import Settings
from cebridge.errors import InputError, NotFound, StorageError
from cebridge.keys import KeyStore
from cebridge.store.cert_tables import CertificateRow
from cebridge.store.db import SessionFactory, make_engine, session_factory, transaction


def load_provider(path: str | Path) -> ProviderProfile:
    """Read and validate PROVIDER.json; errors name the file, the field and the problem."""
    p = Path(path)
    try:
        data = json.loads(p.read_text("utf-8-sig"))
    except OSError as exc:
        raise CertificateInputError(f"provider file {str(p)!r}: cannot read: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise CertificateInputError(
            f"provider file {p.name!r} is not valid JSON: {exc.msg} at line {exc.lineno}"
        ) from None
    return parse_provider(data, f"provider file {p.name!r}")


def parse_provider(data: Any, where: str) -> ProviderProfile:
    """Validate a provider profile document."""
    try:
        return ProviderProfile.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(x) for x in err["loc"]) or "(top level)"
        raise CertificateInputError(f"{where}: at {loc}: {err['msg']}") from None


@contextmanager
def optional_store(settings: Settings) -> Iterator[SessionFactory | None]:
    """The store's sessions when a database with certificate tables exists, else None (never creates one).

    The engine is disposed when the block ends, so a command leaves no connection behind.
    """
    url = make_url(settings.resolved_database_url)
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).is_file():
        yield None
        return
    try:
        engine = make_engine(settings)
    except Exception:
        yield None
        return
    try:
        yield session_factory(engine) if has_certificate_tables(engine) else None
    finally:
        engine.dispose()


def packet_certificate(row: CertificateRow) -> PacketCertificate:
    """A stored certificate as a packet entry."""
    credential = jwt.decode(row.credential_jwt, options={"verify_signature": False}).get("vc", {})
    return PacketCertificate(
        certificate_id=row.id,
        completion_id=row.completion_ref,
        pdf=row.pdf,
        jwt=row.credential_jwt,
        credential=credential,
        status=row.status,
    )


@dataclass(frozen=True)
class StoredLicense:
    """A license in the store with its latest compliance report."""

    license_id: int
    board: str
    license_number: str
    holder: str | None
    report: dict[str, Any]


def find_stored_license(session: Session, license_number: str, board: str | None = None) -> StoredLicense:
    """A stored license by number (normalised the way the store matches numbers), with its report."""
    from cebridge.store.tables import Clinician, ComplianceSnapshot, LicenseRow
    from cebridge.sync.matching import normalize_license_number

    wanted = normalize_license_number(license_number)
    rows = [
        r
        for r in session.scalars(select(LicenseRow).where(LicenseRow.license_number.is_not(None)))
        if normalize_license_number(r.license_number or "") == wanted and (board is None or r.board == board)
    ]
    if not rows:
        raise NotFound(f"no license numbered {license_number!r} is stored")
    if len(rows) > 1:
        raise InputError(f"license {license_number!r} is held under several boards; name the board")
    row = rows[0]
    snap = session.get(ComplianceSnapshot, row.id)
    if snap is None:
        raise StorageError(f"license {license_number!r} has no compliance report yet")
    holder = (row.data or {}).get("holder")
    if not holder:
        clinician = session.get(Clinician, row.clinician_id)
        holder = clinician.name if clinician is not None and clinician.name else None
    return StoredLicense(row.id, row.board, row.license_number or "", holder, dict(snap.report))


def stored_packet(
    factory: SessionFactory,
    license_number: str,
    *,
    keys: KeyStore,
    base_url: str,
    now: datetime,
    board: str | None = None,
) -> Packet:
    """The audit packet of a stored license's current cycle."""
    with transaction(factory, write=False) as session:
        lic = find_stored_license(session, license_number, board)
        rows = list(
            session.scalars(
                select(CertificateRow).where(
                    CertificateRow.license_number == lic.license_number, CertificateRow.board == lic.board
                )
            )
        )
        certs = [packet_certificate(r) for r in rows]
    return build_packet(
        report=lic.report,
        holder=lic.holder,
        certificates=certs,
        issuer=platform_issuer(base_url),
        keys=keys,
        base_url=base_url,
        generated_at=now,
    )
