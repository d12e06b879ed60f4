"""The audit packet: one ZIP per license cycle with everything an auditor asks for.

Contents::

    manifest.json          license, cycle, what is inside (with SHA-256 of each file), what is missing
    report.json / .pdf     the compliance report (the JSON of ``cebridge evaluate``)
    certificates/<id>.pdf  every certificate of a completion the board counted, and its signed credential (.jwt)
    transcript.jwt         a CLR 2.0 transcript of the cycle, signed (the accepted completions' credentials inside)
    jwks.json              the public keys that verify the credentials (retired keys included)

The ZIP is built in memory with fixed timestamps, so the same inputs give the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from cebridge.certificates.credential import clr_credential, sign_credential
from cebridge.certificates.report_pdf import render_report_pdf
from cebridge.domain.license import Cycle
from cebridge.keys import KeyStore

COUNTED = frozenset({"accepted", "partially_accepted"})
_EPOCH = (2000, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class PacketCertificate:
    """One certificate to put in a packet."""

    certificate_id: str
    completion_id: str
    pdf: bytes
    jwt: str
    credential: dict[str, Any]
    status: str = "issued"


@dataclass
class Packet:
    """A built packet and its manifest."""

    data: bytes
    manifest: dict[str, Any] = field(default_factory=dict)


def _add(zf: zipfile.ZipFile, name: str, data: bytes, files: list[dict[str, Any]]) -> None:
    info = zipfile.ZipInfo(name, date_time=_EPOCH)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    zf.writestr(info, data)
    files.append({"name": name, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)})


def build_packet(
    *,
    report: dict[str, Any],
    holder: str | None,
    certificates: Sequence[PacketCertificate],
    issuer: dict[str, Any] | None,
    keys: KeyStore,
    base_url: str,
    generated_at: datetime,
) -> Packet:
    """The packet of one license cycle; certificates of completions the report does not count are left out."""
    counted = {str(c["id"]) for c in report.get("completions", []) if c.get("status") in COUNTED}
    by_completion = {c.completion_id: c for c in certificates if c.status == "issued"}
    included = [by_completion[cid] for cid in sorted(by_completion) if cid in counted]
    missing = sorted(counted - set(by_completion))
    files: list[dict[str, Any]] = []
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        _add(zf, "report.json", json.dumps(report, indent=2).encode("utf-8"), files)
        _add(zf, "report.pdf", render_report_pdf(report, holder=holder, generated_at=generated_at), files)
        for cert in included:
            _add(zf, f"certificates/{cert.certificate_id}.pdf", cert.pdf, files)
            _add(zf, f"certificates/{cert.certificate_id}.jwt", cert.jwt.encode("ascii"), files)
        transcript = None
        if included and issuer is not None:
            cycle = Cycle.model_validate(report["cycle"])
            total = report.get("total", {})
            clr = clr_credential(
                credentials=[c.credential for c in included],
                issuer=issuer,
                base_url=base_url,
                holder=holder or "",
                board=str(report.get("board")),
                license_number=str(report.get("license_number") or ""),
                cycle=cycle,
                hours_required=Decimal(str(total.get("required", 0))),
                hours_counted=Decimal(str(total.get("counted", 0))),
                issued_at=generated_at,
            )
            transcript = sign_credential(clr, keys.active())
            _add(zf, "transcript.jwt", transcript.encode("ascii"), files)
        _add(zf, "jwks.json", json.dumps(keys.jwks(include_retired=True), indent=2).encode("utf-8"), files)
        manifest = {
            "board": report.get("board"),
            "license_number": report.get("license_number"),
            "holder": holder,
            "cycle": report.get("cycle"),
            "compliant": report.get("compliant"),
            "generated_at": generated_at.isoformat(),
            "certificates": [c.certificate_id for c in included],
            "missing_certificates": missing,
            "transcript": transcript is not None,
            "files": list(files),
        }
        _add(zf, "manifest.json", json.dumps(manifest, indent=2).encode("utf-8"), [])
    return Packet(buffer.getvalue(), manifest)
