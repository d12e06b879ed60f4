"""Revocation as a W3C Bitstring Status List (v1.0), the status method Open Badges 3.0 verifiers read.

Each credential gets an index in one list; bit ``i`` set means revoked. The list is GZIP-compressed and
multibase base64url encoded (prefix ``u``) and published as a ``BitstringStatusListCredential``. The minimum
list length is 131,072 bits (16 KiB) so one index says little about when a credential was issued.
Pure functions only; where the list lives is the ledger's business.
"""

from __future__ import annotations

import base64
import gzip
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from cebridge.certificates.context import VC_CONTEXT
from cebridge.errors import CertificateError

MIN_BITS = 131_072
_B64URL = re.compile(r"^[A-Za-z0-9_-]+$")
STATUS_ENTRY_TYPE = "BitstringStatusListEntry"
STATUS_LIST_TYPE = "BitstringStatusListCredential"


class StatusListError(CertificateError):
    """A status list that cannot be read (wrong shape, bad encoding, index out of range)."""


def encode(revoked: Iterable[int], size: int = MIN_BITS) -> str:
    """The encodedList for these revoked indexes (bit 0 is the leftmost bit of the first byte)."""
    indexes = list(revoked)
    needed = max([size, *(i + 1 for i in indexes)])
    nbytes = (max(needed, MIN_BITS) + 7) // 8
    bits = bytearray(nbytes)
    for index in indexes:
        if index < 0:
            raise StatusListError(f"status index {index} is negative")
        bits[index // 8] |= 0x80 >> (index % 8)
    # mtime=0 keeps the encoding deterministic for the same revocations.
    packed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(packed).rstrip(b"=").decode("ascii")


def decode(encoded: str) -> bytes:
    """The raw bitstring of an encodedList."""
    if not encoded.startswith("u"):
        raise StatusListError("encodedList must be multibase base64url (starting with 'u')")
    body = encoded[1:]
    if not body or not _B64URL.match(body):
        raise StatusListError("encodedList cannot be decoded: not base64url")
    try:
        bits = gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (ValueError, OSError, EOFError) as exc:
        raise StatusListError(f"encodedList cannot be decoded: {type(exc).__name__}") from None
    if not bits:
        raise StatusListError("encodedList cannot be decoded: the list is empty")
    return bits


def is_set(bits: bytes, index: int) -> bool:
    """Whether bit ``index`` is set; an index past the end is an error, not 'not revoked'."""
    if index < 0 or index >= len(bits) * 8:
        raise StatusListError(f"status index {index} is outside the list of {len(bits) * 8} entries")
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def status_entry(list_url: str, index: int) -> dict[str, str]:
    """The ``credentialStatus`` a credential carries."""
    return {
        "id": f"{list_url}#{index}",
        "type": STATUS_ENTRY_TYPE,
        "statusPurpose": "revocation",
        "statusListIndex": str(index),
        "statusListCredential": list_url,
    }


def status_list_credential(
    *, list_url: str, issuer_id: str, revoked: Iterable[int], issued_at: datetime
) -> dict[str, Any]:
    """The status list as a credential (to be signed as a VC-JWT or served as JSON)."""
    return {
        "@context": [VC_CONTEXT],
        "id": list_url,
        "type": ["VerifiableCredential", STATUS_LIST_TYPE],
        "issuer": issuer_id,
        "validFrom": issued_at.isoformat().replace("+00:00", "Z"),
        "credentialSubject": {
            "id": f"{list_url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encode(revoked),
        },
    }


def entry_index(entry: Any) -> tuple[str, int]:
    """(list URL, index) of a ``credentialStatus``; a malformed entry is a :class:`StatusListError`."""
    if not isinstance(entry, dict) or entry.get("type") != STATUS_ENTRY_TYPE:
        raise StatusListError(f"credentialStatus is not a {STATUS_ENTRY_TYPE}")
    if entry.get("statusPurpose") != "revocation":
        raise StatusListError("credentialStatus purpose is not revocation")
    url = entry.get("statusListCredential")
    raw = entry.get("statusListIndex")
    if not isinstance(url, str) or not isinstance(raw, str) or not raw.isdigit():
        raise StatusListError("credentialStatus needs statusListCredential and a numeric statusListIndex")
    return url, int(raw)


def revoked_in(list_credential: dict[str, Any], index: int) -> bool:
    """Whether ``index`` is revoked in a status list credential (its JSON form)."""
    subject = list_credential.get("credentialSubject")
    if not isinstance(subject, dict) or not isinstance(subject.get("encodedList"), str):
        raise StatusListError("the status list has no credentialSubject.encodedList")
    return is_set(decode(subject["encodedList"]), index)
