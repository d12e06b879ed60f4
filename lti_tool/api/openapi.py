"""The OpenAPI 3 document of /api/v1/ (built in code so it stays next to the handlers it describes)."""

from __future__ import annotations

from typing import Any

_ID = {"type": "integer", "minimum": 1}
_NULL_STR = {"type": ["string", "null"]}


def _obj(props: dict[str, Any], required: list[str] | None = None, extra: bool = False) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": required or list(props), "additionalProperties": extra}


SCHEMAS: dict[str, Any] = {
    "Error": _obj({"error": _obj({"code": {"type": "string"}, "message": {"type": "string"}})}),
    "Clinician": _obj(
        {
            "id": _ID,
            "name": {"type": "string"},
            "email": _NULL_STR,
            "created_at": {"type": "string", "format": "date-time"},
        }
    ),
    "ClinicianList": _obj(
        {
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/Clinician"}},
            "limit": {"type": "integer"},
            "offset": {"type": "integer"},
        }
    ),
    "License": _obj(
        {
            "id": _ID,
            "clinician_id": _ID,
            "board": {"type": "string"},
            "license_number": _NULL_STR,
            "license": {"type": "object", "description": "the License JSON of DESIGN.md", "required": ["board"]},
        }
    ),
    "LicenseList": _obj({"items": {"type": "array", "items": {"$ref": "#/components/schemas/License"}}}),
    "TranscriptItem": _obj(
        {
            "id": _ID,
            "source": {"type": "string"},
            "external_id": {"type": "string"},
            "status": {"type": "string"},
            "completed_on": {"type": ["string", "null"], "format": "date"},
            "revoked": {"type": "boolean"},
            "offering": {
                "oneOf": [
                    {"type": "null"},
                    _obj(
                        {
                            "id": {"type": "string"},
                            "title": {"type": "string"},
                            "credits": {"type": ["object", "null"]},
                            "categories": {"type": "array", "items": {"type": "string"}},
                        }
                    ),
                ]
            },
            "credit": {
                "type": "object",
                "description": "license id -> requirement -> hours (decimal string)",
                "additionalProperties": {"type": "object", "additionalProperties": {"type": "string"}},
            },
        }
    ),
    "Transcript": _obj(
        {"clinician_id": _ID, "items": {"type": "array", "items": {"$ref": "#/components/schemas/TranscriptItem"}}}
    ),
    "ComplianceReport": {
        "type": "object",
        "description": "the compliance report of `cebridge evaluate`",
        "required": ["board", "rule_version", "cycle", "compliant", "total", "requirements", "completions"],
        "properties": {
            "board": {"type": "string"},
            "rule_version": {"type": "string"},
            "cycle": _obj({"start": {"type": "string", "format": "date"}, "end": {"type": "string", "format": "date"}}),
            "compliant": {"type": "boolean"},
            "total": _obj({"required": {"type": "number"}, "counted": {"type": "number"}, "short": {"type": "number"}}),
            "requirements": {
                "type": "array",
                "items": {"type": "object", "required": ["id", "required", "counted", "short", "satisfied"]},
            },
            "completions": {"type": "array", "items": {"type": "object", "required": ["id", "status"]}},
        },
    },
    "Certificate": _obj(
        {
            "id": {"type": "string"},
            "completion_id": {"type": ["integer", "null"]},
            "license_id": {"type": ["integer", "null"]},
            "board": {"type": "string"},
            "license_number": {"type": "string"},
            "course_title": {"type": "string"},
            "status": {"type": "string"},
            "issued_at": {"type": "string", "format": "date-time"},
            "revoked_at": {"type": ["string", "null"]},
        }
    ),
    "CertificateList": _obj({"items": {"type": "array", "items": {"$ref": "#/components/schemas/Certificate"}}}),
}


def _op(summary: str, schema: str, params: list[str], paged: bool = False) -> dict[str, Any]:
    parameters = [{"name": p, "in": "path", "required": True, "schema": _ID} for p in params]
    if paged:
        parameters += [
            {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000}},
            {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0}},
        ]
    err = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    responses: dict[str, Any] = {
        "200": {
            "description": "OK",
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
        },
        "401": {"description": "missing or invalid token", **err},
    }
    if params:
        responses["404"] = {"description": "no such id in the token's organization", **err}
    return {"get": {"summary": summary, "parameters": parameters, "responses": responses}}


def document() -> dict[str, Any]:
    """The OpenAPI 3.1 document."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "cebridge clinician record API", "version": "1"},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}, "schemas": SCHEMAS},
        "paths": {
            "/clinicians": _op("Clinicians of the token's organization", "ClinicianList", [], paged=True),
            "/clinicians/{clinician_id}": _op("One clinician", "Clinician", ["clinician_id"]),
            "/clinicians/{clinician_id}/licenses": _op("A clinician's licenses", "LicenseList", ["clinician_id"]),
            "/clinicians/{clinician_id}/transcript": _op("Completions and credit", "Transcript", ["clinician_id"]),
            "/clinicians/{clinician_id}/certificates": _op("Certificates", "CertificateList", ["clinician_id"]),
            "/licenses/{license_id}": _op("One license", "License", ["license_id"]),
            "/licenses/{license_id}/report": _op("Stored compliance report", "ComplianceReport", ["license_id"]),
        },
    }
