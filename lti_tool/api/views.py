"""Handlers of /api/v1/ (read-only views of the clinician record, scoped to the token's organization)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from sqlalchemy import Engine, inspect, select
from sqlalchemy.orm import Session

from cebridge.services.audit import jsonable
from cebridge.services.orgs import organization_for_token
from cebridge.store.db import SessionFactory, make_engine, session_factory
from cebridge.store.tables import (
    Clinician,
    CompletionRow,
    ComplianceSnapshot,
    CreditAwardRow,
    LicenseRow,
    Offering,
    metadata,
)
from lti_tool import settings_of
from lti_tool.api.openapi import document

blueprint = Blueprint("api_v1", __name__, url_prefix="/api/v1")


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@blueprint.errorhandler(ApiError)
def _api_error(exc: ApiError) -> tuple[Response, int]:
    return jsonify({"error": {"code": exc.code, "message": exc.message}}), exc.status


def _factory(app: Flask) -> SessionFactory:
    state = app.extensions.setdefault("cebridge_api", {})
    if "factory" not in state:
        engine: Engine = make_engine(settings_of(app))
        state["engine"], state["factory"] = engine, session_factory(engine)
    factory: SessionFactory = state["factory"]
    return factory


@blueprint.before_request
def _authenticate() -> None:
    if request.endpoint == "api_v1.openapi":
        return
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthenticated", "send Authorization: Bearer <API token>")
    session = _factory(current_app)()
    g.api_session = session
    org = organization_for_token(session, token.strip())
    if org is None:
        raise ApiError(401, "unauthenticated", "the API token is not valid or was revoked")
    g.org_id = org.id


@blueprint.teardown_request
def _close(_exc: BaseException | None) -> None:
    session = g.pop("api_session", None)
    if session is not None:
        session.close()


def _session() -> Session:
    session: Session = g.api_session
    return session


def _clinician(clinician_id: int) -> Clinician:
    row = _session().get(Clinician, clinician_id)
    if row is None or row.organization_id != g.org_id:
        raise ApiError(404, "not_found", f"no clinician with id {clinician_id}")
    return row


def _license(license_id: int) -> LicenseRow:
    row = _session().get(LicenseRow, license_id)
    if row is None or _session().get(Clinician, row.clinician_id).organization_id != g.org_id:  # type: ignore[union-attr]
        raise ApiError(404, "not_found", f"no license with id {license_id}")
    return row


def _clinician_json(row: Clinician) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "email": row.email, "created_at": row.created_at.isoformat()}


def _license_json(row: LicenseRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "clinician_id": row.clinician_id,
        "board": row.board,
        "license_number": row.license_number,
        "license": row.data,
    }


def _page() -> tuple[int, int]:
    try:
        limit = min(max(int(request.args.get("limit", 100)), 1), 1000)
        offset = max(int(request.args.get("offset", 0)), 0)
    except ValueError:
        raise ApiError(400, "bad_request", "limit and offset must be whole numbers") from None
    return limit, offset


@blueprint.get("/openapi.json")
def openapi() -> Response:
    return jsonify(document())


@blueprint.get("/clinicians")
def list_clinicians() -> Response:
    limit, offset = _page()
    rows = _session().scalars(
        select(Clinician)
        .where(Clinician.organization_id == g.org_id)
        .order_by(Clinician.id)
        .limit(limit)
        .offset(offset)
    )
    return jsonify({"items": [_clinician_json(r) for r in rows], "limit": limit, "offset": offset})


@blueprint.get("/clinicians/<int:clinician_id>")
def get_clinician(clinician_id: int) -> Response:
    return jsonify(_clinician_json(_clinician(clinician_id)))


@blueprint.get("/clinicians/<int:clinician_id>/licenses")
def clinician_licenses(clinician_id: int) -> Response:
    _clinician(clinician_id)
    rows = _session().scalars(select(LicenseRow).where(LicenseRow.clinician_id == clinician_id).order_by(LicenseRow.id))
    return jsonify({"items": [_license_json(r) for r in rows]})


@blueprint.get("/clinicians/<int:clinician_id>/transcript")
def transcript(clinician_id: int) -> Response:
    """Every completion credited to the clinician, with the hours each license counted."""
    _clinician(clinician_id)
    session = _session()
    rows = session.execute(
        select(CompletionRow, Offering.offering_id, Offering.title, Offering.data)
        .outerjoin(Offering, Offering.id == CompletionRow.offering_id)
        .where(CompletionRow.clinician_id == clinician_id)
        .order_by(CompletionRow.completed_on, CompletionRow.id)
    ).all()
    awards: dict[int, dict[str, Any]] = {}
    for cid, lic, req, hours in session.execute(
        select(
            CreditAwardRow.completion_id, CreditAwardRow.license_id, CreditAwardRow.requirement, CreditAwardRow.hours
        )
        .join(LicenseRow, LicenseRow.id == CreditAwardRow.license_id)
        .where(LicenseRow.clinician_id == clinician_id)
    ):
        awards.setdefault(cid, {}).setdefault(str(lic), {})[req] = format(hours, "f")
    items = [
        {
            "id": row.id,
            "source": row.source,
            "external_id": row.external_id,
            "status": row.status,
            "completed_on": row.completed_on.isoformat() if row.completed_on else None,
            "revoked": row.revoked_at is not None,
            "offering": {
                "id": oid,
                "title": title,
                "credits": data.get("credits") if data else None,
                "categories": data.get("categories", []) if data else [],
            }
            if oid
            else None,
            "credit": awards.get(row.id, {}),
        }
        for row, oid, title, data in rows
    ]
    return jsonify({"clinician_id": clinician_id, "items": jsonable(items)})


@blueprint.get("/licenses/<int:license_id>")
def get_license(license_id: int) -> Response:
    return jsonify(_license_json(_license(license_id)))


@blueprint.get("/licenses/<int:license_id>/report")
def license_report(license_id: int) -> Response:
    """The stored compliance report (the JSON of ``cebridge evaluate``)."""
    row = _license(license_id)
    snap = _session().get(ComplianceSnapshot, row.id)
    if snap is None:
        raise ApiError(404, "not_computed", f"license {license_id} has no compliance report yet")
    return jsonify(snap.report)


@blueprint.get("/clinicians/<int:clinician_id>/certificates")
def certificates(clinician_id: int) -> Response:
    """Certificates issued for the clinician's licenses (from the certificates table, when it is installed)."""
    _clinician(clinician_id)
    table = metadata.tables.get("certificates")
    session = _session()
    if table is None or not inspect(session.get_bind()).has_table("certificates"):
        return jsonify({"items": []})
    licenses = select(LicenseRow.id).where(LicenseRow.clinician_id == clinician_id)
    rows = session.execute(select(table).where(table.c.license_id.in_(licenses))).mappings().all()
    items = [jsonable({k: r.get(k) for k in CERT_FIELDS}) for r in rows]
    return jsonify({"items": items})


CERT_FIELDS = (
    "id",
    "completion_id",
    "license_id",
    "board",
    "license_number",
    "course_title",
    "status",
    "issued_at",
    "revoked_at",
)
