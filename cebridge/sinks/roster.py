"""The ``cebroker_roster`` sink: a board-tracker roster of issued certificates, as CSV and as roster XML.

CE Broker (FL DOH professions, Ohio CSWMFT and others) takes completions from providers as rosters. This sink
keeps the roster of every standing certificate in a directory and rewrites, after each delivery:

* ``roster.csv`` — the Excel-upload columns (provider tracking number without ``50-``, course tracking number
  without ``20-`` or the provider's own course code, publishing number, license number, completion date,
  state, profession), plus hours, partial credit, names and the certificate id;
* ``roster.xml`` — the legacy web-service roster shape: ``<rosters id_parent_provider upload_key>`` with one
  ``<roster>`` per course and ``<attendee>`` entries (dates ``MM/DD/YYYY``, hours with one decimal).

``certificate.issued`` adds a row, ``certificate.reissued`` replaces the row of the certificate it replaces,
``certificate.revoked`` removes the row. Rows are kept in ``roster-state.json`` keyed by certificate id, so a
repeated delivery changes nothing. Config::

    {"directory": "...", "provider_id": "50-1234", "parent_provider_id": "50-1000",
     "upload_secret": {"env": "CEBROKER_UPLOAD_KEY"},
     "courses": {"<course code or title>": "20-5678"}, "professions": {"fl-lmhc": "MHC"}, "test": false}

``upload_secret`` is CE Broker's ``upload_key``, a credential: stored configs hold a reference to it (``{"env": ...}``
or ``{"file": ...}``), and it is written only into ``roster.xml`` (mode 0600), never logged.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from cebridge.errors import ConfigError, SinkRejected, SinkUnavailable
from cebridge.sinks.filelock import locked, replace_file

CSV_COLUMNS = [
    "provider_id",
    "course_id",
    "provider_course_code",
    "publishing_id",
    "license_number",
    "completion_date",
    "state",
    "profession",
    "hours",
    "partial_credit",
    "first_name",
    "last_name",
    "certificate_id",
]
HANDLED = ("certificate.issued", "certificate.reissued", "certificate.revoked")


class RosterConfig(BaseModel):
    """Where the roster goes and the provider's CE Broker numbers."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    directory: Path
    provider_id: str = Field(min_length=1)
    parent_provider_id: str | None = None
    upload_secret: SecretStr | None = None
    courses: dict[str, str] = Field(default_factory=dict)
    professions: dict[str, str] = Field(default_factory=dict)
    publishing_ids: dict[str, str] = Field(default_factory=dict)
    test: bool = False


def _strip(prefix: str, value: str | None) -> str:
    """CE Broker numbers are uploaded without their ``50-``/``20-`` prefix."""
    if not value:
        return ""
    return value[len(prefix) :] if value.startswith(prefix) else value


def _hours(value: Any) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise SinkRejected(f"hours {value!r} is not a number") from None


def _names(holder: str) -> tuple[str, str]:
    parts = holder.split()
    if len(parts) < 2:
        return holder, ""
    return " ".join(parts[:-1]), parts[-1]


class RosterSink:
    """Entry point ``cebroker_roster`` in ``cebridge.sinks``."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        try:
            self.config = RosterConfig.model_validate(dict(config))
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"]) or "(top level)"
            raise ConfigError(f"roster sink config: at {where}: {err['msg']}") from None

    def __repr__(self) -> str:
        return f"RosterSink(directory={str(self.config.directory)!r})"

    def row(self, payload: Mapping[str, Any]) -> dict[str, str]:
        """The roster row of a certificate event."""
        try:
            cert_id = str(payload["certificate_id"])
            number = str(payload["license_number"])
            completed = date.fromisoformat(str(payload["completed_on"]))
            board = str(payload["board"])
        except (KeyError, ValueError):
            raise SinkRejected("a roster row needs certificate_id, license_number, completed_on and board") from None
        hours = _hours(payload.get("hours"))
        earned = _hours(payload.get("hours_earned", hours))
        code = payload.get("course_code") or ""
        title = str(payload.get("course_title") or "")
        course = self.config.courses.get(code) or self.config.courses.get(title) or ""
        first, last = _names(str(payload.get("holder") or ""))
        state = str(payload.get("state") or board.split("-", 1)[0]).upper()
        profession = self.config.professions.get(board) or str(payload.get("profession") or "").upper()
        return {
            "provider_id": _strip("50-", self.config.provider_id),
            "course_id": _strip("20-", course),
            "provider_course_code": "" if course else (code or title),
            "publishing_id": self.config.publishing_ids.get(code, ""),
            "license_number": number,
            "completion_date": completed.isoformat(),
            "state": state,
            "profession": profession,
            "hours": f"{earned:.1f}",
            "partial_credit": "Y" if earned < hours else "N",
            "first_name": first,
            "last_name": last,
            "certificate_id": cert_id,
        }

    def deliver(self, kind: str, payload: dict[str, Any], idempotency_key: str) -> None:
        if kind not in HANDLED:
            raise SinkRejected(f"the roster sink handles {', '.join(HANDLED)}, not {kind!r}")
        directory = self.config.directory
        with locked(directory):
            rows = self._load()
            cert_id = str(payload.get("certificate_id", ""))
            if kind == "certificate.revoked":
                rows.pop(cert_id, None)
            else:
                if kind == "certificate.reissued" and payload.get("replaces"):
                    rows.pop(str(payload["replaces"]), None)
                rows[cert_id] = self.row(payload)
            ordered = dict(sorted(rows.items(), key=lambda kv: (kv[1]["completion_date"], kv[0])))
            replace_file(directory / "roster.csv", self.csv(list(ordered.values())).encode("utf-8"), 0o644)
            replace_file(directory / "roster.xml", self.xml(list(ordered.values())), 0o600)
            replace_file(directory / "roster-state.json", json.dumps(ordered, indent=1).encode("utf-8"))

    def _load(self) -> dict[str, dict[str, str]]:
        path = self.config.directory / "roster-state.json"
        if not path.exists():
            return {}
        try:
            data = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise SinkUnavailable(f"roster state {path.name} is unreadable: {type(exc).__name__}") from None
        return {str(k): dict(v) for k, v in data.items()}

    @staticmethod
    def csv(rows: list[dict[str, str]]) -> str:
        """The CSV roster text."""
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return out.getvalue()

    def xml(self, rows: list[dict[str, str]]) -> bytes:
        """The roster XML (one ``<roster>`` per course)."""
        attrs = {"id_parent_provider": _strip("50-", self.config.parent_provider_id or self.config.provider_id)}
        if self.config.upload_secret is not None:
            attrs["upload_key"] = self.config.upload_secret.get_secret_value()
        if self.config.test:
            attrs["test"] = "true"
        root = ET.Element("rosters", attrs)
        courses: dict[tuple[str, str, str], list[dict[str, str]]] = {}
        for row in rows:
            courses.setdefault((row["course_id"], row["provider_course_code"], row["publishing_id"]), []).append(row)
        for (course_id, code, publishing), attendees in courses.items():
            roster = ET.SubElement(root, "roster")
            ET.SubElement(roster, "id_provider").text = attendees[0]["provider_id"]
            ET.SubElement(roster, "provider_course_code").text = code
            ET.SubElement(roster, "id_course").text = course_id
            ET.SubElement(roster, "id_publishing").text = publishing
            end = max(date.fromisoformat(a["completion_date"]) for a in attendees)
            ET.SubElement(roster, "end_date").text = end.strftime("%m/%d/%Y")
            people = ET.SubElement(roster, "attendees")
            for a in attendees:
                person = ET.SubElement(people, "attendee")
                ET.SubElement(person, "licensee_profession").text = a["profession"]
                ET.SubElement(person, "licensee_number").text = a["license_number"]
                ET.SubElement(person, "first_name").text = a["first_name"]
                ET.SubElement(person, "last_name").text = a["last_name"]
                ET.SubElement(person, "cebroker_state").text = a["state"]
                done = date.fromisoformat(a["completion_date"])
                ET.SubElement(person, "date_completed").text = done.strftime("%m/%d/%Y")
                ET.SubElement(person, "ce_credit_hours").text = a["hours"]
                ET.SubElement(person, "partial_credit").text = a["partial_credit"]
        ET.indent(root)
        text: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
        return text
