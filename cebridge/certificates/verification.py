"""Verify a certificate's VC-JWT: signature, integrity, issuer key, expiry and revocation.

Where keys and revocation lists come from is passed in (the local key store or a JWKS; the store, a file or a
URL), so the CLI, the web page and the API all run this same function. The result lists every check so that a
person sees *why* a credential is not valid; only ``valid`` decides.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from cebridge.certificates.context import OB_CONTEXT, VC_CONTEXT
from cebridge.certificates.credential import ACHIEVEMENT_TYPE, digest_sri
from cebridge.certificates.status import StatusListError, entry_index

ALLOWED_HEADERS = frozenset({"alg", "kid", "typ", "jwk"})
LEEWAY_SECONDS = 60


class KeyInfo(Protocol):
    """What a verifier needs to know about a key."""

    @property
    def kid(self) -> str: ...
    @property
    def public_key(self) -> rsa.RSAPublicKey: ...
    @property
    def state(self) -> str: ...


class KeyResolver(Protocol):
    """Finds a public key by kid (:class:`cebridge.keys.KeyStore` is one)."""

    def find(self, kid: str) -> KeyInfo | None: ...


class StatusResolver(Protocol):
    """Answers whether a status-list index is revoked: True, False, or None when it cannot tell."""

    def revoked(self, list_url: str, index: int, credential_id: str) -> bool | None: ...


@dataclass(frozen=True)
class JwksKey:
    """A key taken from a JWKS document."""

    kid: str
    public_key: rsa.RSAPublicKey
    state: str = "published"


class JwksResolver:
    """Keys from a JWKS (``{"keys": [...]}``), e.g. fetched from ``/credentials/jwks`` by a third party."""

    def __init__(self, jwks: Mapping[str, Any]) -> None:
        self._keys: dict[str, JwksKey] = {}
        for entry in jwks.get("keys", []):
            if not isinstance(entry, dict) or entry.get("kty") != "RSA" or "kid" not in entry:
                continue
            key = jwt.PyJWK(entry, algorithm="RS256").key
            if isinstance(key, rsa.RSAPublicKey):
                self._keys[entry["kid"]] = JwksKey(entry["kid"], key)

    def find(self, kid: str) -> JwksKey | None:
        return self._keys.get(kid)


@dataclass
class Check:
    """One verification step: passed or not, and a sentence saying what was found."""

    ok: bool
    detail: str


@dataclass
class VerificationResult:
    """Everything a verifier found about one credential."""

    valid: bool
    certificate_id: str | None
    credential_id: str | None
    signature: Check
    integrity: Check
    expiry: Check
    issuer_key: dict[str, Any]
    revocation: dict[str, Any]
    credential: dict[str, Any] | None = field(default=None, repr=False)

    def to_json(self) -> dict[str, Any]:
        """The JSON answer of ``POST /api/v1/verify`` and ``cebridge certificates verify``."""
        data = asdict(self)
        data.pop("credential")
        return data

    @property
    def reasons(self) -> list[str]:
        """Why the credential is not valid (empty when it is)."""
        out = [c.detail for c in (self.signature, self.integrity, self.expiry) if not c.ok]
        if self.revocation.get("status") == "revoked":
            out.append(self.revocation.get("detail", "revoked"))
        elif self.revocation.get("required") and self.revocation.get("status") != "active":
            out.append(self.revocation.get("detail", "revocation status unknown"))
        return out


def _fail(reason: str, *, kid: str | None = None, state: str | None = None) -> VerificationResult:
    return VerificationResult(
        valid=False,
        certificate_id=None,
        credential_id=None,
        signature=Check(False, reason),
        integrity=Check(False, "not checked: the signature did not verify"),
        expiry=Check(False, "not checked: the signature did not verify"),
        issuer_key={"kid": kid, "known": state is not None, "state": state},
        revocation={"status": "unknown", "detail": "not checked: the signature did not verify"},
    )


def _integrity(claims: dict[str, Any], pdf: bytes | None) -> Check:
    vc = claims.get("vc")
    if not isinstance(vc, dict):
        return Check(False, "the token carries no 'vc' credential")
    problems: list[str] = []
    contexts = vc.get("@context")
    if not isinstance(contexts, list) or contexts[:2] != [VC_CONTEXT, OB_CONTEXT]:
        problems.append("@context must start with the VC 2.0 and OB 3.0 contexts")
    types = vc.get("type")
    if (
        not isinstance(types, list)
        or "VerifiableCredential" not in types
        or not ("AchievementCredential" in types or "OpenBadgeCredential" in types)
    ):
        problems.append("type must include VerifiableCredential and AchievementCredential")
    issuer = vc.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    if claims.get("iss") != issuer_id:
        problems.append("iss does not match issuer.id")
    if claims.get("jti") != vc.get("id"):
        problems.append("jti does not match the credential id")
    try:
        if claims.get("nbf") != int(datetime.fromisoformat(vc["validFrom"]).timestamp()):
            problems.append("nbf does not match validFrom")
        if "validUntil" in vc and claims.get("exp") != int(datetime.fromisoformat(vc["validUntil"]).timestamp()):
            problems.append("exp does not match validUntil")
    except (KeyError, TypeError, ValueError):
        problems.append("validFrom/validUntil are missing or not ISO 8601 timestamps")
    subject = vc.get("credentialSubject")
    if not isinstance(subject, dict):
        problems.append("credentialSubject is missing")
    else:
        if "sub" in claims and claims["sub"] != subject.get("id"):
            problems.append("sub does not match credentialSubject.id")
        achievement = subject.get("achievement")
        if not isinstance(achievement, dict) or achievement.get("achievementType") != ACHIEVEMENT_TYPE:
            problems.append(f"achievement.achievementType must be {ACHIEVEMENT_TYPE}")
        elif subject.get("creditsEarned") != achievement.get("creditsAvailable"):
            problems.append("creditsEarned does not match creditsAvailable")
        if not subject.get("licenseNumber"):
            problems.append("credentialSubject.licenseNumber is missing")
    if pdf is not None:
        related = vc.get("relatedResource") or []
        digests = [r.get("digestSRI") for r in related if isinstance(r, dict)]
        if digest_sri(pdf) not in digests:
            problems.append("the PDF does not match the digest signed in the credential")
    if problems:
        return Check(False, "; ".join(problems))
    return Check(True, "the credential is well formed and its claims agree" + (" with the PDF" if pdf else ""))


def _expiry(claims: dict[str, Any], now: datetime) -> Check:
    stamp = now.timestamp()
    nbf = claims.get("nbf")
    if isinstance(nbf, int) and nbf > stamp + LEEWAY_SECONDS:
        return Check(False, f"not valid before {datetime.fromtimestamp(nbf, UTC).isoformat()}")
    exp = claims.get("exp")
    if isinstance(exp, int) and exp <= stamp - LEEWAY_SECONDS:
        return Check(False, f"expired on {datetime.fromtimestamp(exp, UTC).isoformat()}")
    return Check(True, "within its validity period" if exp else "valid from its issue date; it does not expire")


def _revocation(vc: dict[str, Any], status: StatusResolver | None, required: bool) -> dict[str, Any]:
    entry = vc.get("credentialStatus")
    if entry is None:
        return {"status": "unknown", "required": required, "detail": "the credential names no status list"}
    try:
        url, index = entry_index(entry)
    except StatusListError as exc:
        return {"status": "unknown", "required": required, "detail": str(exc)}
    base = {"list": url, "index": index, "required": required}
    if status is None:
        return {**base, "status": "unknown", "detail": "no revocation list was available to check"}
    try:
        revoked = status.revoked(url, index, str(vc.get("id")))
    except StatusListError as exc:
        return {**base, "status": "unknown", "detail": f"the revocation list could not be read: {exc}"}
    if revoked is None:
        return {**base, "status": "unknown", "detail": "the revocation list does not cover this credential"}
    if revoked:
        return {**base, "status": "revoked", "detail": "the issuer has revoked this credential"}
    return {**base, "status": "active", "detail": "not revoked"}


def verify_token(
    token: str,
    keys: KeyResolver,
    *,
    status: StatusResolver | None = None,
    now: datetime,
    pdf: bytes | None = None,
    require_status: bool = False,
) -> VerificationResult:
    """Verify a VC-JWT. ``require_status`` makes an unknown revocation status invalid (default: a warning)."""
    token = token.strip()
    try:
        header = jwt.get_unverified_header(token)
    except jwt.DecodeError:
        return _fail("not a compact JWS (header.payload.signature)")
    extra = set(header) - ALLOWED_HEADERS
    if header.get("alg") != "RS256":
        return _fail(f"algorithm {header.get('alg')!r} is not accepted; credentials are signed with RS256")
    if extra:
        return _fail(f"unexpected JOSE headers: {', '.join(sorted(extra))}")
    if header.get("typ") not in (None, "JWT"):
        return _fail(f"typ {header.get('typ')!r} is not JWT")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        return _fail("the header names no key (kid)")
    info = keys.find(kid)
    if info is None:
        return _fail(f"key {kid} is not one of the issuer's keys", kid=kid)
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            info.public_key,
            algorithms=["RS256"],
            options={"verify_exp": False, "verify_nbf": False, "verify_aud": False, "verify_iat": False},
        )
    except jwt.InvalidSignatureError:
        return _fail(
            "the signature does not match the content (altered, or signed by another key)", kid=kid, state=info.state
        )
    except jwt.PyJWTError as exc:
        return _fail(f"the token cannot be read: {type(exc).__name__}", kid=kid, state=info.state)
    vc = claims.get("vc") if isinstance(claims.get("vc"), dict) else {}
    assert isinstance(vc, dict)
    integrity = _integrity(claims, pdf)
    expiry = _expiry(claims, now)
    revocation = _revocation(vc, status, require_status)
    revocation_ok = revocation["status"] == "active" or (not require_status and revocation["status"] == "unknown")
    return VerificationResult(
        valid=integrity.ok and expiry.ok and revocation_ok,
        certificate_id=vc.get("certificateId") if isinstance(vc.get("certificateId"), str) else None,
        credential_id=vc.get("id") if isinstance(vc.get("id"), str) else None,
        signature=Check(True, f"signed with RS256 by key {kid}"),
        integrity=integrity,
        expiry=expiry,
        issuer_key={"kid": kid, "known": True, "state": info.state, "issuer": claims.get("iss")},
        revocation=revocation,
        credential=vc,
    )
