"""The JSON API over real stored data: tokens scope every read to one organization, and every response matches
the OpenAPI document."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
from flask.testing import FlaskClient
from referencing import Registry, Resource

from cebridge.config import Settings
from cebridge.services import orgs, people
from cebridge.store.db import SessionFactory, transaction
from cebridge.sync.compliance import drain
from cebridge.sync.pipeline import sync_connector
from lti_tool import create_app
from tests.integration.helpers import license_json, setup_provider
from tests.integration.provider import ProviderServer, Site


@pytest.fixture
def world(factory: SessionFactory, db_url: str) -> Iterator[dict[str, Any]]:
    site = Site(40, learners=2, courses=3)
    with ProviderServer(site) as server:
        setup_provider(factory, server.url, courses=3)
        with transaction(factory) as s:
            a = orgs.get_org(s, None)
            b = orgs.add_org(s, "other-clinic")
            mine = people.add_clinician(s, name="Ana", email="learner0@example.org")
            lic = people.add_license(s, mine, license_json("LPC 1"), where="license")
            theirs = people.add_clinician(s, name="Bo", email="bo@example.org", org_slug="other-clinic")
            their_lic = people.add_license(s, theirs, license_json("LPC 2"), where="license")
            _, token_a = orgs.create_token(s, a, "tests")
            revoked, token_revoked = orgs.create_token(s, a, "old")
            orgs.revoke_token(s, revoked.id)
            _, token_b = orgs.create_token(s, b, "tests")
        sync_connector(factory, "testlms")
    drain(factory)
    app = create_app(Settings(database_url=db_url), TESTING=True)
    yield {
        "client": app.test_client(),
        "a": token_a,
        "b": token_b,
        "revoked": token_revoked,
        "mine": mine.id,
        "lic": lic.id,
        "theirs": theirs.id,
        "their_lic": their_lic.id,
    }
    engine = app.extensions.get("cebridge_api", {}).get("engine")
    if engine is not None:
        engine.dispose()


def _get(client: FlaskClient, path: str, token: str | None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.get(path, headers=headers)


def _validator(doc: dict[str, Any], path: str, status: int) -> jsonschema.protocols.Validator:
    template = next(p for p in doc["paths"] if _matches(p, path))
    schema = doc["paths"][template]["get"]["responses"][str(status)]["content"]["application/json"]["schema"]
    registry: Registry[Any] = Registry().with_resource(
        "urn:api", Resource.from_contents({**doc, "$schema": "https://json-schema.org/draft/2020-12/schema"})
    )
    return jsonschema.Draft202012Validator(
        {"$ref": "urn:api#" + schema["$ref"][1:]}, registry=registry, format_checker=jsonschema.FormatChecker()
    )


def _matches(template: str, path: str) -> bool:
    a, b = template.strip("/").split("/"), path.split("?")[0].strip("/").split("/")
    return len(a) == len(b) and all(x == y or x.startswith("{") for x, y in zip(a, b, strict=True))


def test_responses_match_the_openapi_document(world: dict[str, Any]) -> None:
    client = world["client"]
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    paths = [
        "/clinicians",
        f"/clinicians/{world['mine']}",
        f"/clinicians/{world['mine']}/licenses",
        f"/clinicians/{world['mine']}/transcript",
        f"/clinicians/{world['mine']}/certificates",
        f"/licenses/{world['lic']}",
        f"/licenses/{world['lic']}/report",
    ]
    for path in paths:
        resp = _get(client, "/api/v1" + path, world["a"])
        assert resp.status_code == 200, (path, resp.get_json())
        errors = list(_validator(doc, path, 200).iter_errors(resp.get_json()))
        assert errors == [], (path, errors[0].message if errors else None)
    missing = _get(client, f"/api/v1/clinicians/{world['theirs']}", world["a"])
    assert not list(_validator(doc, "/clinicians/1", 404).iter_errors(missing.get_json()))
    bad = _get(client, "/api/v1/clinicians", None)
    assert not list(_validator(doc, "/clinicians", 401).iter_errors(bad.get_json()))


def test_transcript_and_report_carry_the_credit(world: dict[str, Any]) -> None:
    client = world["client"]
    transcript = _get(client, f"/api/v1/clinicians/{world['mine']}/transcript", world["a"]).get_json()
    assert len(transcript["items"]) == 20
    assert any(item["credit"].get(str(world["lic"]), {}).get("total") for item in transcript["items"])
    report = _get(client, f"/api/v1/licenses/{world['lic']}/report", world["a"]).get_json()
    assert report["board"] == "tx-lpc" and report["total"]["counted"] > 0


def test_another_organizations_ids_are_404_not_403(world: dict[str, Any]) -> None:
    client = world["client"]
    for path in (
        f"/clinicians/{world['theirs']}",
        f"/clinicians/{world['theirs']}/transcript",
        f"/clinicians/{world['theirs']}/licenses",
        f"/clinicians/{world['theirs']}/certificates",
        f"/licenses/{world['their_lic']}",
        f"/licenses/{world['their_lic']}/report",
    ):
        resp = _get(client, "/api/v1" + path, world["a"])
        assert resp.status_code == 404, path
        nonexistent = _get(
            client,
            "/api/v1" + path.replace(str(world["theirs"]), "99999").replace(str(world["their_lic"]), "99999"),
            world["a"],
        )
        assert nonexistent.status_code == 404
        assert resp.get_json()["error"]["code"] == nonexistent.get_json()["error"]["code"]
    listed = _get(client, "/api/v1/clinicians", world["b"]).get_json()
    assert [c["id"] for c in listed["items"]] == [world["theirs"]]


@pytest.mark.parametrize("token_key", [None, "revoked", "bogus"])
def test_missing_revoked_or_bogus_tokens_are_401(world: dict[str, Any], token_key: str | None) -> None:
    token = {"revoked": world["revoked"], "bogus": "ceb_not-a-token"}.get(token_key or "")
    resp = _get(world["client"], "/api/v1/clinicians", token)
    assert resp.status_code == 401
    assert "ceb_" not in resp.get_data(as_text=True)


def test_bad_paging_is_400(world: dict[str, Any]) -> None:
    resp = _get(world["client"], "/api/v1/clinicians?limit=abc", world["a"])
    assert resp.status_code == 400
