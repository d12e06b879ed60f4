"""The signed credential, checked along independent paths (jwcrypto and PyJWT with keys from the JWKS), and
every kind of tampering caught by cebridge's verifier too."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import jwt
import pytest
from jwcrypto import jwk as jwc_jwk
from jwcrypto import jws as jwc_jws

from cebridge.certificates.context import EXTENSION_CONTEXT_PATH, OB_CONTEXT, VC_CONTEXT, extension_terms
from cebridge.certificates.credential import clr_credential, issuer_profile, sign_credential
from cebridge.certificates.issuing import IssuedCertificate, render_and_sign
from cebridge.certificates.model import CertificateData, ProviderProfile
from cebridge.certificates.verification import JwksResolver, verify_token
from cebridge.domain.license import Cycle
from cebridge.keys import KeyStore
from tests.unit.certificates.conftest import BASE_URL, NOW

LIST_URL = f"{BASE_URL}/credentials/status"


class Fixed:
    """A status source with a fixed set of revoked indexes."""

    def __init__(self, revoked: set[int]) -> None:
        self.revoked_set = revoked

    def revoked(self, list_url: str, index: int, credential_id: str) -> bool | None:
        return index in self.revoked_set if list_url == LIST_URL else None


def _issue(cert: CertificateData, provider: ProviderProfile, keys: KeyStore, index: int = 7) -> IssuedCertificate:
    return render_and_sign(
        cert, provider=provider, base_url=BASE_URL, key=keys.active(), status_list_url=LIST_URL, status_index=index
    )


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_jwcrypto_verifies_with_the_published_jwk(
    certs: dict[str, CertificateData], provider: ProviderProfile, keys: KeyStore
) -> None:
    issued = _issue(certs["t1"], provider, keys)
    (published,) = keys.jwks()["keys"]
    key = jwc_jwk.JWK(**published)
    token = jwc_jws.JWS()
    token.deserialize(issued.jwt)
    token.verify(key, alg="RS256")
    payload = json.loads(token.payload)
    assert token.jose_header == {"alg": "RS256", "kid": published["kid"], "typ": "JWT"}
    assert payload["vc"] == issued.credential
    assert "d" not in json.loads(key.export_public())


def test_claims_and_credential_shape(
    certs: dict[str, CertificateData], provider: ProviderProfile, keys: KeyStore
) -> None:
    issued = _issue(certs["t1"], provider, keys)
    (published,) = keys.jwks()["keys"]
    claims = jwt.decode(issued.jwt, jwt.PyJWK(published).key, algorithms=["RS256"])
    vc = claims["vc"]
    assert claims["iss"] == vc["issuer"]["id"] == f"{BASE_URL}/credentials/issuers/lone-star-ce"
    assert claims["jti"] == vc["id"] == certs["t1"].verification_url
    assert claims["nbf"] == int(NOW.timestamp())
    assert claims["sub"] == vc["credentialSubject"]["id"]
    assert "exp" not in claims
    assert vc["@context"] == [VC_CONTEXT, OB_CONTEXT, BASE_URL + EXTENSION_CONTEXT_PATH]
    assert vc["type"] == ["VerifiableCredential", "AchievementCredential"]
    subject = vc["credentialSubject"]
    achievement = subject["achievement"]
    assert achievement["achievementType"] == "CertificateOfCompletion"
    assert achievement["creditsAvailable"] == subject["creditsEarned"] == 6.0
    assert subject["licenseNumber"] == "LPC 70000"
    assert subject["activityStartDate"] == subject["activityEndDate"] == "2023-09-12T00:00:00Z"
    approvers = {c["approver"]: c for c in achievement["ceCredit"]}
    assert set(approvers) == {"APA", "NBCC", "ASWB-ACE"}
    assert approvers["NBCC"]["approvalId"] == "ACEP No. 6000" and approvers["NBCC"]["unit"] == "CE clock hours"
    assert approvers["APA"]["statement"].startswith("Lone Star CE is approved by the American Psychological")
    assert achievement["ceCategory"] == [
        {"type": "CECategoryCredit", "category": "clinical", "label": "Clinical", "hours": "6"}
    ]
    assert achievement["deliveryFormat"] == "live_interactive_webinar"
    assert subject["boardAcceptance"]["board"] == "tx-lpc"
    assert vc["credentialStatus"]["statusListIndex"] == "7"
    assert vc["relatedResource"][0]["digestSRI"].startswith("sha256-")


def test_every_cebridge_term_is_defined_in_the_extension_context(
    certs: dict[str, CertificateData], provider: ProviderProfile, keys: KeyStore
) -> None:
    vc = _issue(certs["t1"], provider, keys).credential
    ours = {
        "ceCredit", "ceCategory", "deliveryFormat", "clockHours", "providerAddress", "licenseState",
        "licenseProfession", "boardAcceptance", "certificateId", "signedBy",
        "approver", "approvalId", "unit", "amount", "display", "statement", "category", "label", "hours",
        "board", "ruleVersion", "status", "hoursCounted", "allocation", "CECredit", "CECategoryCredit",
        "CEBoardAcceptance",
    }  # fmt: skip
    used: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            used.update(node)
            if isinstance(node.get("type"), str):
                used.add(node["type"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(vc)
    assert ours <= used | {"status"}
    assert ours <= extension_terms()


def test_cebridge_verifier_accepts_the_untouched_credential(
    certs: dict[str, CertificateData], provider: ProviderProfile, keys: KeyStore
) -> None:
    issued = _issue(certs["t1"], provider, keys)
    result = verify_token(issued.jwt, JwksResolver(keys.jwks()), status=Fixed(set()), now=NOW, pdf=issued.pdf)
    assert result.valid, result.reasons
    assert result.revocation["status"] == "active"
    assert result.certificate_id == certs["t1"].certificate_id


def test_altered_payload_is_caught(
    certs: dict[str, CertificateData], provider: ProviderProfile, keys: KeyStore
) -> None:
    issued = _issue(certs["t1"], provider, keys)
    header, payload, signature = issued.jwt.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["vc"]["credentialSubject"]["creditsEarned"] = 60.0
    forged = f"{header}.{_b64(claims)}.{signature}"
    (published,) = keys.jwks()["keys"]
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(forged, jwt.PyJWK(published).key, algorithms=["RS256"])
    result = verify_token(forged, keys, now=NOW)
    assert not result.valid and not result.signature.ok


def test_altered_signature_and_wrong_key_are_caught(
    certs: dict[str, CertificateData], provider: ProviderProfile, keys: KeyStore, tmp_path: Path
) -> None:
    issued = _issue(certs["t1"], provider, keys)
    header, payload, signature = issued.jwt.split(".")
    flipped = ("A" if signature[10] != "A" else "B").join([signature[:10], signature[11:]])
    assert not verify_token(f"{header}.{payload}.{flipped}", keys, now=NOW).valid
    # Signed by a key that is not the issuer's, claiming the issuer's kid.
    other = KeyStore(tmp_path / "other").active()
    claims = jwt.decode(issued.jwt, options={"verify_signature": False})
    impostor = jwt.encode(claims, other.private_key, algorithm="RS256", headers={"kid": keys.active().kid})
    result = verify_token(impostor, keys, now=NOW)
    assert not result.valid and "signature does not match" in result.signature.detail
    # Signed by another key under its own kid: unknown to the issuer.
    stranger = other.sign(claims)
    result = verify_token(stranger, keys, now=NOW)
    assert not result.valid and "not one of the issuer's keys" in result.signature.detail


def test_algorithm_confusion_and_odd_headers_are_refused(
    certs: dict[str, CertificateData], provider: ProviderProfile, keys: KeyStore
) -> None:
    claims = jwt.decode(_issue(certs["t1"], provider, keys).jwt, options={"verify_signature": False})
    kid = keys.active().kid
    public_pem = keys.active().public_pem()
    hs = jwt.encode(claims, public_pem[:32], algorithm="HS256", headers={"kid": kid})
    assert "not accepted" in verify_token(hs, keys, now=NOW).signature.detail
    none = f"{_b64({'alg': 'none', 'kid': kid})}.{_b64(claims)}."
    assert not verify_token(none, keys, now=NOW).valid
    extra = keys.active().sign(claims, headers={"x5u": "https://evil.example/key"})
    assert "unexpected JOSE headers" in verify_token(extra, keys, now=NOW).signature.detail
    assert "compact JWS" in verify_token("not a token", keys, now=NOW).signature.detail


def test_signed_but_inconsistent_claims_fail_integrity(
    certs: dict[str, CertificateData], provider: ProviderProfile, keys: KeyStore
) -> None:
    issued = _issue(certs["t1"], provider, keys)
    claims = jwt.decode(issued.jwt, options={"verify_signature": False})
    claims["jti"] = "urn:uuid:something-else"
    claims["vc"]["credentialSubject"]["achievement"]["achievementType"] = "Badge"
    result = verify_token(keys.active().sign(claims), keys, now=NOW)
    assert result.signature.ok and not result.integrity.ok and not result.valid
    assert "jti" in result.integrity.detail and "CertificateOfCompletion" in result.integrity.detail


def test_pdf_must_match_the_signed_digest(
    certs: dict[str, CertificateData], provider: ProviderProfile, keys: KeyStore
) -> None:
    issued = _issue(certs["t1"], provider, keys)
    other_pdf = _issue(certs["t2"], provider, keys).pdf
    result = verify_token(issued.jwt, keys, status=Fixed(set()), now=NOW, pdf=other_pdf)
    assert not result.valid and "PDF does not match" in result.integrity.detail


def test_expired_and_not_yet_valid(
    certs: dict[str, CertificateData], provider: ProviderProfile, keys: KeyStore
) -> None:
    expiring = certs["t1"].model_copy(update={"valid_until": NOW + timedelta(days=30)})
    issued = _issue(expiring, provider, keys)
    assert jwt.decode(issued.jwt, options={"verify_signature": False})["exp"] == int(
        (NOW + timedelta(days=30)).timestamp()
    )
    assert verify_token(issued.jwt, keys, status=Fixed(set()), now=NOW + timedelta(days=29)).valid
    late = verify_token(issued.jwt, keys, status=Fixed(set()), now=NOW + timedelta(days=31))
    assert not late.valid and "expired" in late.expiry.detail
    (published,) = keys.jwks()["keys"]
    with pytest.raises(jwt.ExpiredSignatureError):
        jwt.decode(issued.jwt, jwt.PyJWK(published).key, algorithms=["RS256"])  # real clock is far later
    early = verify_token(issued.jwt, keys, status=Fixed(set()), now=NOW - timedelta(days=1))
    assert not early.valid and "not valid before" in early.expiry.detail


def test_revoked_is_not_valid_and_unknown_status_can_be_required(
    certs: dict[str, CertificateData], provider: ProviderProfile, keys: KeyStore
) -> None:
    issued = _issue(certs["t1"], provider, keys, index=7)
    revoked = verify_token(issued.jwt, keys, status=Fixed({7}), now=NOW)
    assert not revoked.valid and revoked.revocation["status"] == "revoked"
    assert verify_token(issued.jwt, keys, status=Fixed({8}), now=NOW).valid
    unknown = verify_token(issued.jwt, keys, status=None, now=NOW)
    assert unknown.valid and unknown.revocation["status"] == "unknown"
    strict = verify_token(issued.jwt, keys, status=None, now=NOW, require_status=True)
    assert not strict.valid and strict.reasons


def test_credentials_of_a_retired_key_still_verify_from_the_full_jwks(
    certs: dict[str, CertificateData], provider: ProviderProfile, keys: KeyStore
) -> None:
    issued = _issue(certs["t1"], provider, keys)
    keys.rotate(overlap_days=0)
    assert issued.kid not in {k["kid"] for k in keys.jwks()["keys"]}
    result = verify_token(issued.jwt, keys, status=Fixed(set()), now=NOW)
    assert result.valid and result.issuer_key["state"] == "retired"
    assert verify_token(issued.jwt, JwksResolver(keys.jwks(include_retired=True)), status=Fixed(set()), now=NOW).valid
    assert not verify_token(issued.jwt, JwksResolver(keys.jwks()), now=NOW).valid


def test_clr_transcript_bundles_the_cycle_and_verifies(
    certs: dict[str, CertificateData], provider: ProviderProfile, keys: KeyStore
) -> None:
    inner = [_issue(c, provider, keys, index=i).credential for i, c in enumerate(certs.values())]
    clr = clr_credential(
        credentials=inner,
        issuer=issuer_profile(BASE_URL, provider),
        base_url=BASE_URL,
        holder="Jordan Lee",
        board="tx-lpc",
        license_number="LPC 70000",
        cycle=Cycle.model_validate({"start": "2023-06-01", "end": "2025-05-31"}),
        hours_required=Decimal(24),
        hours_counted=Decimal("10.5"),
        issued_at=NOW,
    )
    token = sign_credential(clr, keys.active())
    (published,) = keys.jwks()["keys"]
    vc = jwt.decode(token, jwt.PyJWK(published).key, algorithms=["RS256"])["vc"]
    assert vc["type"] == ["VerifiableCredential", "ClrCredential"]
    subject = vc["credentialSubject"]
    assert subject["type"] == ["ClrSubject"]
    assert len(subject["verifiableCredential"]) == 3
    cycle_id = subject["achievement"][0]["id"]
    assert {a["targetId"] for a in subject["association"]} == {cycle_id}
    assert {a["associationType"] for a in subject["association"]} == {"isPartOf"}
    assert subject["achievement"][0]["creditsAvailable"] == 24.0
