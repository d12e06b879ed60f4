"""The file ledger: certificates issued into a directory, with their revocation status list beside them.

``cebridge certificates issue --out DIR`` works without a database. DIR then holds, per certificate,
``<id>.pdf`` and ``<id>.jwt``, plus:

* ``ledger.json`` — which certificate has which status-list index, and whether it is revoked (private);
* ``status-list.json`` — the public ``BitstringStatusListCredential`` (publish it at the list URL).

Each directory is its own status list with its own URL (``<base>/credentials/status/<list id>`` unless
``--status-url`` says where it will be published), so its indexes never collide with the store's list.
Writes are atomic (temp file + rename) and guarded by a lock file, so two commands cannot allocate the same index.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cebridge.certificates.credential import issuer_id
from cebridge.certificates.errors import CertificateInputError, CertificateNotFound
from cebridge.certificates.issuing import IssuedCertificate
from cebridge.certificates.status import status_list_credential
from cebridge.errors import CertificateError
from cebridge.files import atomic_write, exclusive_lock

LEDGER_FILE = "ledger.json"
STATUS_FILE = "status-list.json"
REVOKED_STATES = frozenset({"revoked", "reissued"})


@dataclass
class LedgerEntry:
    """One certificate in a ledger."""

    certificate_id: str
    completion_id: str
    status: str
    status_index: int
    issued_at: str
    license_number: str = ""
    revision: int = 0
    content_hash: str = ""
    revoked_at: str | None = None
    reason: str | None = None
    replaced_by: str | None = None

    @property
    def revoked(self) -> bool:
        return self.status in REVOKED_STATES


class FileLedger:
    """The ledger of one output directory."""

    def __init__(self, directory: Path, *, base_url: str, status_url: str | None = None) -> None:
        self.dir = Path(directory)
        self._base_url = base_url
        self._requested_url = status_url
        self._data: dict[str, Any] = {}

    @property
    def path(self) -> Path:
        return self.dir / LEDGER_FILE

    @property
    def status_list_url(self) -> str:
        return str(self._data["status_list_url"])

    @contextlib.contextmanager
    def open(self) -> Iterator[FileLedger]:
        """Lock the directory's ledger, load it, and save it (and the public status list) on success."""
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CertificateInputError(f"output directory {self.dir} cannot be created: {exc.strerror}") from None
        with exclusive_lock(self.dir / ".ledger.lock"):
            self._data = self._load()
            yield self
            self._save()

    def _load(self) -> dict[str, Any]:
        if not self.path.exists():
            list_id = uuid.uuid4().hex[:16]
            url = self._requested_url or f"{self._base_url.rstrip('/')}/credentials/status/{list_id}"
            return {"version": 1, "list_id": list_id, "status_list_url": url, "next_index": 0, "certificates": {}}
        try:
            data = json.loads(self.path.read_text("utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise CertificateError(f"ledger {self.path} is unreadable: {type(exc).__name__}") from None
        if not isinstance(data, dict) or not isinstance(data.get("certificates"), dict):
            raise CertificateError(f"ledger {self.path} has an unknown shape")
        if self._requested_url and self._requested_url != data["status_list_url"]:
            raise CertificateInputError(
                f"{self.dir} already publishes its status list at {data['status_list_url']}; "
                "a directory has one status list URL"
            )
        return data

    def _save(self) -> None:
        atomic_write(self.path, json.dumps(self._data, indent=2).encode("utf-8"), 0o600)

    def write_status_list(self, now: datetime, issuer: str | None = None) -> dict[str, Any]:
        """Write the public status list credential (JSON) and return it; the issuer is remembered."""
        if issuer is not None:
            self._data["issuer"] = issuer
        doc = status_list_credential(
            list_url=self.status_list_url,
            issuer_id=str(self._data.get("issuer") or self.status_list_url),
            revoked=self.revoked_indexes(),
            issued_at=now,
        )
        atomic_write(self.dir / STATUS_FILE, json.dumps(doc, indent=2).encode("utf-8"), 0o644)
        return doc

    def index_for(self, certificate_id: str) -> int:
        """The certificate's index: its old one when it was issued here before, else the next free one."""
        entry = self._data["certificates"].get(certificate_id)
        if entry is not None:
            return int(entry["status_index"])
        index = int(self._data["next_index"])
        self._data["next_index"] = index + 1
        return index

    def get(self, certificate_id: str) -> LedgerEntry | None:
        raw = self._data["certificates"].get(certificate_id)
        return LedgerEntry(**raw) if raw else None

    def entries(self) -> list[LedgerEntry]:
        return [LedgerEntry(**raw) for raw in self._data["certificates"].values()]

    def revoked_indexes(self) -> list[int]:
        return sorted(e.status_index for e in self.entries() if e.revoked)

    def history(self, completion_id: str, license_number: str) -> list[LedgerEntry]:
        """Every certificate issued here for one completion under one license, oldest revision first."""
        found = [e for e in self.entries() if e.completion_id == completion_id and e.license_number == license_number]
        return sorted(found, key=lambda e: e.revision)

    def record(self, issued: IssuedCertificate, *, content_hash: str = "") -> None:
        """Write the certificate's files and note it in the ledger (same id again: files replaced, same index)."""
        cid = issued.data.certificate_id
        previous = self.get(cid)
        if previous is not None and previous.revoked:
            # A revoked certificate is never brought back: its id stays revoked in the published list.
            raise CertificateError(f"certificate {cid} was revoked in {self.dir}; it cannot be issued again")
        atomic_write(self.dir / f"{cid}.pdf", issued.pdf, 0o644)
        atomic_write(self.dir / f"{cid}.jwt", issued.jwt.encode("ascii"), 0o644)
        self._data["certificates"][cid] = LedgerEntry(
            certificate_id=cid,
            completion_id=issued.data.completion_id,
            status="issued",
            status_index=issued.status_index,
            issued_at=issued.data.issued_at.isoformat(),
            license_number=issued.data.license_number,
            revision=issued.data.revision,
            content_hash=content_hash,
        ).__dict__

    def revoke(self, certificate_id: str, *, reason: str, at: datetime, replaced_by: str | None = None) -> LedgerEntry:
        """Mark a certificate revoked (or reissued, when ``replaced_by`` names its successor)."""
        raw = self._data["certificates"].get(certificate_id)
        if raw is None:
            raise CertificateNotFound(f"no certificate {certificate_id} in {self.dir}")
        raw.update(
            status="reissued" if replaced_by else "revoked",
            revoked_at=raw.get("revoked_at") or at.isoformat(),
            reason=reason,
            replaced_by=replaced_by,
        )
        return LedgerEntry(**raw)


class LedgerStatus:
    """A :class:`~cebridge.certificates.verification.StatusResolver` over a file ledger (or its status file)."""

    def __init__(self, directory: Path) -> None:
        self._dir = Path(directory)

    def revoked(self, list_url: str, index: int, credential_id: str) -> bool | None:
        path = self._dir / LEDGER_FILE
        try:
            data = json.loads(path.read_text("utf-8"))
        except (OSError, json.JSONDecodeError):
            return None
        if data.get("status_list_url") != list_url:
            return None
        for raw in data.get("certificates", {}).values():
            if raw.get("status_index") == index:
                return bool(raw.get("status") in REVOKED_STATES)
        return None


def ledger_issuer(base_url: str, provider_name: str) -> str:
    """The issuer id written into a directory's status list (the provider's)."""
    return issuer_id(base_url, provider_name)
