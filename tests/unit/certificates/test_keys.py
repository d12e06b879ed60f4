"""The file key store: permissions, generation on first use, rotation with overlap, no key material leaks."""

from __future__ import annotations

import json
import logging
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from click.testing import CliRunner
from pydantic import SecretStr

from cebridge.keys import KeyStore, KeyStoreError, thumbprint


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2025, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_first_use_generates_a_2048_bit_key_with_safe_permissions(tmp_path: Path) -> None:
    store = KeyStore(tmp_path)
    key = store.active()
    assert key.private_key.key_size >= 2048
    assert _mode(tmp_path / "keys") == 0o700
    private_file = tmp_path / "keys" / f"{key.kid}.key.pem"
    assert _mode(private_file) == 0o600
    assert private_file.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert key.kid == thumbprint(key.public_key)
    # a second store over the same home sees the same key
    assert KeyStore(tmp_path).active().kid == key.kid


def test_private_material_never_in_repr_or_jwks(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    store = KeyStore(tmp_path)
    key = store.active()
    caplog.set_level(logging.DEBUG)
    logging.getLogger("test").info("key %r store %r %s", key, store, key)
    secret_line = key.private_pem().splitlines()[1]
    assert secret_line not in repr(key) + str(key) + repr(store) + caplog.text
    jwks = store.jwks()
    assert all(set(k) == {"kty", "kid", "use", "alg", "n", "e"} for k in jwks["keys"])
    assert all("d" not in k and "p" not in k for k in jwks["keys"])


def test_signature_verifies_with_the_published_jwk(tmp_path: Path) -> None:
    store = KeyStore(tmp_path)
    token = store.active().sign({"sub": "x"})
    header = jwt.get_unverified_header(token)
    jwk = next(k for k in store.jwks()["keys"] if k["kid"] == header["kid"])
    public = jwt.PyJWK(jwk).key
    assert jwt.decode(token, public, algorithms=["RS256"]) == {"sub": "x"}


def test_rotation_keeps_the_old_key_published_until_the_overlap_ends(tmp_path: Path) -> None:
    clock = Clock()
    store = KeyStore(tmp_path, clock=clock)
    old = store.active().kid
    new = store.rotate(overlap_days=7)
    assert new != old
    assert store.active().kid == new
    assert {k["kid"] for k in store.jwks()["keys"]} == {old, new}

    clock.now += timedelta(days=6, hours=23)
    assert {k["kid"] for k in store.jwks()["keys"]} == {old, new}

    clock.now += timedelta(hours=2)
    assert [k["kid"] for k in store.jwks()["keys"]] == [new]
    # retired: the private key is destroyed, the public half stays for old signatures
    assert not (tmp_path / "keys" / f"{old}.key.pem").exists()
    record = store.find(old)
    assert record is not None and record.state == "retired"
    assert {k["kid"] for k in store.jwks(include_retired=True)["keys"]} == {old, new}
    assert store.find("no-such-kid") is None


def test_rotate_rejects_negative_overlap_and_zero_retires_at_once(tmp_path: Path) -> None:
    store = KeyStore(tmp_path)
    old = store.active().kid
    with pytest.raises(KeyStoreError, match="overlap"):
        store.rotate(overlap_days=-1)
    new = store.rotate(overlap_days=0)
    assert [k["kid"] for k in store.jwks()["keys"]] == [new]
    assert store.find(old) is not None


def test_small_keys_are_refused(tmp_path: Path) -> None:
    with pytest.raises(KeyStoreError, match="2048"):
        KeyStore(tmp_path, bits=1024)


def test_world_readable_private_key_is_refused_without_leaking_it(tmp_path: Path) -> None:
    kid = KeyStore(tmp_path).active().kid
    path = tmp_path / "keys" / f"{kid}.key.pem"
    path.chmod(0o644)
    with pytest.raises(KeyStoreError, match="chmod 600") as info:
        KeyStore(tmp_path).active()
    assert "PRIVATE" not in str(info.value)


def test_damaged_key_file_error_names_the_kid_not_the_content(tmp_path: Path) -> None:
    kid = KeyStore(tmp_path).active().kid
    path = tmp_path / "keys" / f"{kid}.key.pem"
    path.write_text("-----BEGIN PRIVATE KEY-----\nSECRETSECRET\n-----END PRIVATE KEY-----\n")
    with pytest.raises(KeyStoreError) as info:
        KeyStore(tmp_path).active()
    assert kid in str(info.value) and "SECRETSECRET" not in str(info.value)


def test_damaged_index_is_a_clear_error(tmp_path: Path) -> None:
    KeyStore(tmp_path).active()
    (tmp_path / "keys" / "index.json").write_text("{not json")
    with pytest.raises(KeyStoreError, match="index"):
        KeyStore(tmp_path).active()


def test_passphrase_encrypts_at_rest(tmp_path: Path) -> None:
    store = KeyStore(tmp_path, passphrase=SecretStr("correct horse"))
    kid = store.active().kid
    assert "ENCRYPTED" in (tmp_path / "keys" / f"{kid}.key.pem").read_text()
    assert KeyStore(tmp_path, passphrase=SecretStr("correct horse")).active().kid == kid
    with pytest.raises(KeyStoreError, match="passphrase"):
        KeyStore(tmp_path, passphrase=SecretStr("wrong")).active()


def test_cli_rotate_and_jwks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cebridge.cli.keys import keys as keys_cli

    monkeypatch.setenv("CEBRIDGE_HOME", str(tmp_path / "home"))
    runner = CliRunner()
    first = runner.invoke(keys_cli, ["jwks"])
    assert first.exit_code == 0, first.output
    (only,) = json.loads(first.output)["keys"]
    rotated = runner.invoke(keys_cli, ["rotate", "--overlap-days", "3"])
    assert rotated.exit_code == 0, rotated.output
    out = json.loads(rotated.output)
    assert out["active"] != only["kid"] and set(out["published"]) == {out["active"], only["kid"]}
    after = json.loads(runner.invoke(keys_cli, ["jwks"]).output)
    assert {k["kid"] for k in after["keys"]} == {out["active"], only["kid"]}
    assert runner.invoke(keys_cli, ["rotate", "--overlap-days", "-2"]).exit_code == 2
