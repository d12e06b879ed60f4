"""Public certificate verification, the revocation list, the key set for credentials, and the audit packet.

* ``GET /verify/<id>`` — a page anyone (an auditor, a board) can open from the certificate's QR code;
  ``/verify/<id>/certificate.pdf`` and ``/verify/<id>/credential.jwt`` give the stored files.
* ``POST /api/v1/verify`` — a credential (VC-JWT) in, every check out (signature, integrity, issuer key,
  revocation). Only this installation's keys and store are consulted: the server never fetches a URL named
  inside a submitted token.
* ``GET /credentials/status`` (and ``/credentials/status/<list>``) — the Bitstring Status List, as JSON or, with
  ``Accept: application/vc+jwt``, signed; ``GET /credentials/jwks`` — every public key that signed credentials,
  retired ones included; ``GET /contexts/cebridge-ce-v1.jsonld`` — the extension context.
* ``GET /api/v1/licenses/<id>/packet`` (the license id, as in the rest of ``/api/v1``) or
  ``/api/v1/licenses/<number>/packet`` — the audit packet ZIP, for an organization API token
  (``Authorization: Bearer ceb_...``) of the license's organization.
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from cebridge.certificates.context import EXTENSION_CONTEXT_PATH, extension_context_text
from cebridge.certificates.credential import platform_issuer, sign_credential
from cebridge.certificates.sources import find_stored_license, stored_packet
from cebridge.certificates.statements import fmt_number
from cebridge.certificates.status import status_list_credential
from cebridge.certificates.stored import (
    DEFAULT_LIST,
    StoreStatus,
    certificate_data,
    has_certificate_tables,
    revoked_indexes,
    status_list_url,
)
from cebridge.certificates.verification import verify_token
from cebridge.errors import CebridgeError, NotFound
from cebridge.services.orgs import organization_for_token
from cebridge.store.cert_tables import CertificateRevocation, CertificateRow
from cebridge.store.db import SessionFactory
from cebridge.store.tables import Clinician, LicenseRow
from lti_tool import settings_of
from lti_tool.db import engine_of, sessions_of, unit_of_work
from lti_tool.keys import keystore_of

bp = Blueprint("verify", __name__)
bp.add_app_template_filter(fmt_number, "ce_hours")
MAX_TOKEN_BYTES = 256 * 1024


def _now() -> datetime:
    return datetime.now(UTC)


def _app() -> Flask:
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    return app


def _store() -> SessionFactory | None:
    """The app's sessions when its database holds certificates (checked once per app)."""
    ext = _app().extensions["cebridge"]
    if "certificates_store" not in ext:
        ext["certificates_store"] = has_certificate_tables(engine_of(_app()))
    return sessions_of(_app()) if ext["certificates_store"] else None


def _mask(number: str) -> str:
    return ("\u2022" * max(0, len(number) - 4)) + number[-4:] if len(number) > 4 else number


@bp.get("/verify/<certificate_id>")
def verify_page(certificate_id: str) -> ResponseReturnValue:
    """What a certificate says and whether it stands, for anyone holding its id or QR code."""
    factory = _store()
    row = revocation = None
    if factory is not None:
        with unit_of_work(write=False) as session:
            row = session.get(CertificateRow, certificate_id)
            if row is not None:
                revocation = session.scalar(
                    select(CertificateRevocation)
                    .where(CertificateRevocation.certificate_id == row.id)
                    .order_by(CertificateRevocation.revoked_at.desc())
                )
    if row is None:
        return render_template("verify.html", found=False, certificate_id=certificate_id), 404
    result = verify_token(
        row.credential_jwt,
        keystore_of(_app()),
        status=StoreStatus(factory, settings_of(_app()).base_url) if factory else None,
        now=_now(),
        pdf=row.pdf,
    )
    data = certificate_data(row)
    return render_template(
        "verify.html",
        found=True,
        certificate_id=row.id,
        cert=data,
        status=row.status,
        replaced_by=row.replaced_by,
        revoked_at=row.revoked_at,
        reason=revocation.reason if revocation is not None else None,
        license_masked=_mask(data.license_number),
        result=result,
    )


@bp.get("/verify/<certificate_id>/certificate.pdf")
def certificate_pdf(certificate_id: str) -> ResponseReturnValue:
    row = _row_or_404(certificate_id)
    return Response(
        row.pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{row.id}.pdf"'},
    )


@bp.get("/verify/<certificate_id>/credential.jwt")
def certificate_jwt(certificate_id: str) -> ResponseReturnValue:
    row = _row_or_404(certificate_id)
    return Response(row.credential_jwt, mimetype="application/vc+jwt")


def _row_or_404(certificate_id: str) -> CertificateRow:
    if _store() is None:
        abort(404)
    with unit_of_work(write=False) as session:
        row = session.get(CertificateRow, certificate_id)
    if row is None:
        abort(404)
    return row


@bp.post("/api/v1/verify")
def verify_api() -> ResponseReturnValue:
    """Check a submitted credential; answers 200 with ``valid`` true or false, 400 when nothing was sent."""
    if request.content_length is not None and request.content_length > MAX_TOKEN_BYTES:
        return _error(413, "too_large", "the credential is larger than 256 KiB")
    pdf: bytes | None = None
    if request.is_json:
        body = request.get_json(silent=True) or {}
        token = body.get("credential") if isinstance(body, dict) else None
        raw_pdf = body.get("pdf") if isinstance(body, dict) else None
        if isinstance(raw_pdf, str):
            try:
                pdf = base64.b64decode(raw_pdf, validate=True)
            except (binascii.Error, ValueError):
                return _error(400, "bad_request", "'pdf' must be base64")
    else:
        token = request.get_data(as_text=True)
    if not isinstance(token, str) or not token.strip():
        return _error(400, "bad_request", "send {'credential': '<VC-JWT>'} or the VC-JWT as the body")
    factory = _store()
    result = verify_token(
        token,
        keystore_of(_app()),
        status=StoreStatus(factory, settings_of(_app()).base_url) if factory else None,
        now=_now(),
        pdf=pdf,
    )
    return result.to_json(), 200


def _status_list(name: str) -> ResponseReturnValue:
    factory = _store()
    if factory is None and name != DEFAULT_LIST:
        abort(404)
    revoked: list[int] = []
    if factory is not None:
        with unit_of_work(write=False) as session:
            revoked = revoked_indexes(session, name)
    base = settings_of(_app()).base_url
    doc = status_list_credential(
        list_url=status_list_url(base, name),
        issuer_id=platform_issuer(base)["id"],
        revoked=revoked,
        issued_at=_now().replace(microsecond=0),
    )
    headers = {"Cache-Control": "public, max-age=60"}
    if request.accept_mimetypes.best_match(["application/json", "application/vc+jwt"]) == "application/vc+jwt":
        token = sign_credential(doc, keystore_of(_app()).active())
        return Response(token, mimetype="application/vc+jwt", headers=headers)
    return Response(_json(doc), mimetype="application/json", headers=headers)


def _json(doc: dict[str, Any]) -> str:
    import json

    return json.dumps(doc, indent=2)


@bp.get("/credentials/status")
def status_default() -> ResponseReturnValue:
    """The revocation list every stored certificate points at."""
    return _status_list(DEFAULT_LIST)


@bp.get("/credentials/status/<name>")
def status_named(name: str) -> ResponseReturnValue:
    return _status_list(name)


@bp.get("/credentials/jwks")
def credentials_jwks() -> ResponseReturnValue:
    """Public keys for credentials: like /lti/jwks, plus retired keys (credentials outlive keys)."""
    response = Response(_json(keystore_of(_app()).jwks(include_retired=True)), mimetype="application/json")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get(EXTENSION_CONTEXT_PATH)
def extension_context() -> ResponseReturnValue:
    """cebridge's JSON-LD extension context (CE credit, category, approver, delivery format)."""
    response = Response(extension_context_text(), mimetype="application/ld+json")
    response.headers["Cache-Control"] = "public, max-age=86400"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _error(status: int, code: str, message: str) -> ResponseReturnValue:
    """An error in the JSON API's shape (``{"error": {"code", "message"}}``)."""
    return {"error": {"code": code, "message": message}}, status


@bp.get("/api/v1/licenses/<int:license_id>/packet")
def license_packet_by_id(license_id: int) -> ResponseReturnValue:
    """The audit packet of a stored license by its id (as in the rest of ``/api/v1/licenses/{id}``)."""
    return _packet(license_id=license_id)


@bp.get("/api/v1/licenses/<license_number>/packet")
def license_packet(license_number: str) -> ResponseReturnValue:
    """The audit packet of a stored license by its number (a number of digits only is read as the id)."""
    return _packet(license_number=license_number, board=request.args.get("board"))


def _packet(
    *, license_id: int | None = None, license_number: str | None = None, board: str | None = None
) -> ResponseReturnValue:
    """Needs an API token of the license's organization; another organization's license answers 404."""
    factory = _store()
    if factory is None:
        return _error(404, "not_found", "this installation stores no certificates")
    auth = request.headers.get("Authorization", "")
    scheme, _, token = auth.partition(" ")
    with unit_of_work(write=False) as session:
        org = organization_for_token(session, token.strip()) if scheme.lower() == "bearer" and token else None
        if org is None:
            return _error(401, "unauthenticated", "send Authorization: Bearer <API token>")
        if license_id is not None:
            row = session.get(LicenseRow, license_id)
            if row is None or not row.license_number:
                return _error(404, "not_found", f"no license {license_id}")
            license_number, board = row.license_number, row.board
        assert license_number is not None
        try:
            lic = find_stored_license(session, license_number, board)
        except NotFound as exc:
            return _error(404, "not_found", exc.user_message)
        except CebridgeError as exc:
            return _error(400, "bad_request", exc.user_message)
        owner = session.get(LicenseRow, lic.license_id)
        clinician = session.get(Clinician, owner.clinician_id) if owner is not None else None
        if clinician is None or clinician.organization_id != org.id:
            return _error(404, "not_found", f"no license numbered {license_number!r} is stored")
    packet = stored_packet(
        factory,
        lic.license_number,
        keys=keystore_of(_app()),
        base_url=settings_of(_app()).base_url,
        now=_now(),
        board=lic.board,
    )
    name = "".join(c if c.isalnum() else "-" for c in lic.license_number)
    return Response(
        packet.data,
        mimetype="application/zip",
        headers={"Content-Disposition": f'attachment; filename="audit-packet-{name}.zip"'},
    )


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
