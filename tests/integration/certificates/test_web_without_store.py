"""The public credential endpoints work on an installation whose database holds no certificates yet."""

from __future__ import annotations

from pathlib import Path

import jwt

from cebridge.certificates.status import decode, revoked_in
from cebridge.config import Settings
from cebridge.keys import KeyStore
from lti_tool import create_app
from lti_tool.db import engine_of


def test_endpoints_without_certificate_tables(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home", base_url="https://ce.example.org")
    app = create_app(settings, TESTING=True)
    try:
        client = app.test_client()
        assert client.get("/verify/CE-AAAA-BBBB-CCCC-DDDD").status_code == 404
        assert client.get("/verify/CE-AAAA-BBBB-CCCC-DDDD/certificate.pdf").status_code == 404
        status = client.get("/credentials/status").get_json()
        assert status["id"] == "https://ce.example.org/credentials/status"
        assert not any(decode(status["credentialSubject"]["encodedList"]))
        assert client.get("/credentials/status/other").status_code == 404
        jwks = client.get("/credentials/jwks").get_json()
        keys = KeyStore(tmp_path / "home")
        assert [k["kid"] for k in jwks["keys"]] == [keys.active().kid]
        signed = client.get("/credentials/status", headers={"Accept": "application/vc+jwt"})
        assert signed.mimetype == "application/vc+jwt"
        claims = jwt.decode(signed.data.decode(), jwt.PyJWK(jwks["keys"][0]).key, algorithms=["RS256"])
        assert claims["iss"] == "https://ce.example.org/credentials/issuers/cebridge" and not revoked_in(
            claims["vc"], 0
        )
        answer = client.post("/api/v1/verify", data="garbage", content_type="application/vc+jwt").get_json()
        assert answer["valid"] is False and "compact JWS" in answer["signature"]["detail"]
        big = client.post("/api/v1/verify", data="x" * (300 * 1024), content_type="application/vc+jwt")
        assert big.status_code == 413
        assert client.get("/api/v1/licenses/LPC%201/packet").status_code == 404
    finally:
        engine_of(app).dispose()
