"""Status lists, the file ledger and ``cebridge certificates issue|verify|revoke|packet`` from files."""

from __future__ import annotations

import copy
import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import jwt
import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from cebridge.certificates.files import issue_to_directory
from cebridge.certificates.ledger import FileLedger
from cebridge.certificates.model import ProviderProfile
from cebridge.certificates.resolvers import DocumentStatus, parse_status_document
from cebridge.certificates.status import MIN_BITS, StatusListError, decode, encode, is_set, revoked_in
from cebridge.certificates.verification import JwksResolver, verify_token
from cebridge.cli import cli
from cebridge.domain.completion import Completion
from cebridge.domain.license import License
from cebridge.domain.rules import RulePack
from cebridge.errors import CertificateError
from cebridge.keys import KeyStore
from tests.unit.certificates.conftest import BASE_URL, COMPLETIONS, LICENSE, NOW, PROVIDER


def test_bitstring_round_trip_and_bounds() -> None:
    encoded = encode([0, 7, 8, 131_071])
    bits = decode(encoded)
    assert len(bits) * 8 == MIN_BITS
    assert [is_set(bits, i) for i in (0, 1, 7, 8, 9, 131_071)] == [True, False, True, True, False, True]
    assert encode([]) == encode([])  # deterministic
    assert len(decode(encode([200_000]))) * 8 >= 200_001
    with pytest.raises(StatusListError, match="outside"):
        is_set(bits, MIN_BITS)
    with pytest.raises(StatusListError, match="multibase"):
        decode("zabc")
    with pytest.raises(StatusListError, match="decoded"):
        decode("u!!!!")
    with pytest.raises(StatusListError, match="encodedList"):
        revoked_in({"credentialSubject": {}}, 0)


def _issue(
    tmp: Path,
    keys: KeyStore,
    pack: RulePack,
    completions: list[dict[str, Any]] | None = None,
    provider: dict[str, Any] | None = None,
) -> Any:
    return issue_to_directory(
        license=License.model_validate(LICENSE),
        completions=[Completion.model_validate(c) for c in (completions or COMPLETIONS)],
        provider=ProviderProfile.model_validate(copy.deepcopy(provider or PROVIDER)),
        pack=pack,
        out_dir=tmp,
        keys=keys,
        base_url=BASE_URL,
        now=NOW,
    )


def test_issue_writes_files_ledger_and_status_list(tmp_path: Path, keys: KeyStore, pack: RulePack) -> None:
    out = tmp_path / "out"
    outcome = _issue(out, keys, pack)
    ids = [i.data.certificate_id for i in outcome.issued]
    assert [i.data.completion_id for i in outcome.issued] == ["t1", "t2", "t3"]
    assert [s.completion_id for s in outcome.skipped] == ["t4"]
    for cid in ids:
        assert (out / f"{cid}.pdf").read_bytes()[:5] == b"%PDF-"
        token = (out / f"{cid}.jwt").read_text()
        assert verify_token(token, JwksResolver(keys.jwks()), now=NOW, pdf=(out / f"{cid}.pdf").read_bytes()).valid
    status = json.loads((out / "status-list.json").read_text())
    assert status["id"] == outcome.status_list_url and status["id"].startswith(f"{BASE_URL}/credentials/status/")
    assert status["issuer"] == f"{BASE_URL}/credentials/issuers/lone-star-ce"
    ledger = json.loads((out / "ledger.json").read_text())
    assert sorted(e["status_index"] for e in ledger["certificates"].values()) == [0, 1, 2]
    # again: same ids, same indexes, nothing added
    again = _issue(out, keys, pack)
    assert [i.data.certificate_id for i in again.issued] == ids
    assert json.loads((out / "ledger.json").read_text())["next_index"] == 3


def test_a_corrected_completion_is_reissued_and_the_old_one_revoked(
    tmp_path: Path, keys: KeyStore, pack: RulePack
) -> None:
    out = tmp_path / "out"
    first = {i.data.completion_id: i for i in _issue(out, keys, pack).issued}
    corrected = copy.deepcopy(COMPLETIONS)
    corrected[1]["credits"]["amount"] = 2
    second = {i.data.completion_id: i for i in _issue(out, keys, pack, corrected).issued}
    assert second["t1"].data.certificate_id == first["t1"].data.certificate_id
    new, old = second["t2"], first["t2"]
    assert new.data.certificate_id != old.data.certificate_id and new.data.revision == 1
    status = DocumentStatus(json.loads((out / "status-list.json").read_text()))
    old_result = verify_token(old.jwt, keys, status=status, now=NOW)
    assert not old_result.valid and old_result.revocation["status"] == "revoked"
    assert verify_token(new.jwt, keys, status=status, now=NOW).valid
    entry = FileLedger(out, base_url=BASE_URL)
    with entry.open():
        assert entry.get(old.data.certificate_id).replaced_by == new.data.certificate_id  # type: ignore[union-attr]


def test_a_revoked_certificate_stays_revoked(tmp_path: Path, keys: KeyStore, pack: RulePack) -> None:
    out = tmp_path / "out"
    first = _issue(out, keys, pack).issued[0]
    ledger = FileLedger(out, base_url=BASE_URL)
    with ledger.open():
        ledger.revoke(first.data.certificate_id, reason="attendance not verified", at=NOW)
        ledger.write_status_list(NOW)
        with pytest.raises(CertificateError, match="cannot be issued again"):
            ledger.record(first)
    again = _issue(out, keys, pack)
    assert first.data.certificate_id not in [i.data.certificate_id for i in again.issued]
    assert any("was revoked (attendance not verified)" in s.reason for s in again.skipped)


def test_bad_input_writes_nothing(tmp_path: Path, keys: KeyStore, pack: RulePack) -> None:
    no_ace = copy.deepcopy(PROVIDER)
    no_ace["approvals"] = no_ace["approvals"][:2]  # t1 and t3 claim ASWB ACE approval
    with pytest.raises(CertificateError, match="claims ASWB-ACE approval"):
        _issue(tmp_path / "out", keys, pack, provider=no_ace)
    assert not (tmp_path / "out").exists()


def test_signed_status_list_needs_valid_signature(keys: KeyStore, tmp_path: Path) -> None:
    from cebridge.certificates.credential import sign_credential
    from cebridge.certificates.status import status_list_credential

    doc = status_list_credential(list_url="https://x/s", issuer_id="https://x/i", revoked=[3], issued_at=NOW)
    token = sign_credential(doc, keys.active())
    assert (
        parse_status_document(token, keys)["credentialSubject"]["encodedList"]
        == doc["credentialSubject"]["encodedList"]
    )
    other = KeyStore(tmp_path / "o")
    with pytest.raises(StatusListError, match="unknown key"):
        parse_status_document(token, other)
    with pytest.raises(StatusListError, match="not a BitstringStatusListCredential"):
        parse_status_document('{"type": ["VerifiableCredential"]}', keys)
    assert DocumentStatus(doc).revoked("https://x/s", 3, "c") is True
    assert DocumentStatus(doc).revoked("https://elsewhere/s", 3, "c") is None


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    paths = {"license": tmp_path / "license.json", "completions": tmp_path / "completions.json"}
    paths["provider"] = tmp_path / "provider.json"
    paths["license"].write_text(json.dumps(LICENSE))
    paths["completions"].write_text(json.dumps(COMPLETIONS))
    paths["provider"].write_text(json.dumps(PROVIDER))
    return paths


def _args(files: dict[str, Path]) -> list[str]:
    return [x for k in ("license", "completions", "provider") for x in (f"--{k}", str(files[k]))]


def test_cli_issue_verify_revoke(files: dict[str, Path], tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "certs"
    result = runner.invoke(cli, ["certificates", "issue", *_args(files), "--out", str(out), "--as-of", "2024-07-01"])
    assert result.exit_code == 0, result.output
    issued = json.loads(result.stdout)
    assert [i["completion_id"] for i in issued] == ["t1", "t2", "t3"]
    assert "skipped t4" in result.stderr
    first = issued[0]
    ok = runner.invoke(cli, ["certificates", "verify", first["credential"]])
    assert ok.exit_code == 0 and "VALID" in ok.stdout and "revocation active" in ok.stdout
    as_pdf = runner.invoke(cli, ["certificates", "verify", first["pdf"], "--format", "json"])
    assert as_pdf.exit_code == 0 and "with the PDF" in json.loads(as_pdf.stdout)["integrity"]["detail"]
    revoke = runner.invoke(cli, ["certificates", "revoke", first["certificate_id"], "--reason", "x", "--dir", str(out)])
    assert revoke.exit_code == 0, revoke.output
    bad = runner.invoke(cli, ["certificates", "verify", first["credential"], "--format", "json"])
    assert bad.exit_code == 1 and json.loads(bad.stdout)["revocation"]["status"] == "revoked"
    # verified elsewhere with the published JWKS and the published status list
    jwks = tmp_path / "jwks.json"
    jwks.write_text(runner.invoke(cli, ["keys", "jwks"]).stdout)
    moved = tmp_path / "elsewhere" / "c.jwt"
    moved.parent.mkdir()
    moved.write_text(Path(first["credential"]).read_text())
    independent = runner.invoke(
        cli, ["certificates", "verify", str(moved), "--jwks", str(jwks), "--status-list", str(out / "status-list.json")]
    )
    assert independent.exit_code == 1 and "revoked" in independent.stdout
    tampered = tmp_path / "t.jwt"
    head, body, sig = Path(issued[1]["credential"]).read_text().split(".")
    tampered.write_text(f"{head}.{body}.{sig[:-4]}AAAA")
    assert runner.invoke(cli, ["certificates", "verify", str(tampered)]).exit_code == 1


def test_cli_bad_input_exits_2_with_one_line(files: dict[str, Path], tmp_path: Path) -> None:
    runner = CliRunner()
    files["provider"].write_text(json.dumps({**PROVIDER, "signer": {"name": "x"}}))
    result = runner.invoke(cli, ["certificates", "issue", *_args(files), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "provider file 'provider.json': at signer.title" in result.stderr
    files["provider"].write_text("{not json")
    result = runner.invoke(cli, ["certificates", "issue", *_args(files), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "not valid JSON" in result.stderr
    missing = runner.invoke(cli, ["certificates", "packet", "--out", str(tmp_path / "p.zip")])
    assert missing.exit_code == 2 and "--license-number" in missing.stderr


def test_cli_packet_from_files(files: dict[str, Path], tmp_path: Path) -> None:
    runner = CliRunner()
    target = tmp_path / "packet.zip"
    result = runner.invoke(
        cli, ["certificates", "packet", *_args(files), "--out", str(target), "--as-of", "2024-07-01"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert len(summary["certificates"]) == 3 and summary["missing_certificates"] == []
    with zipfile.ZipFile(target) as zf:
        names = set(zf.namelist())
        manifest = json.loads(zf.read("manifest.json"))
        report = json.loads(zf.read("report.json"))
        report_text = " ".join(PdfReader(io.BytesIO(zf.read("report.pdf"))).pages[0].extract_text().split())
        transcript = zf.read("transcript.jwt").decode()
        jwks = json.loads(zf.read("jwks.json"))
        for entry in manifest["files"]:
            assert hashlib.sha256(zf.read(entry["name"])).hexdigest() == entry["sha256"]
    for cid in summary["certificates"]:
        assert {f"certificates/{cid}.pdf", f"certificates/{cid}.jwt"} <= names
    assert report["board"] == "tx-lpc" and report["license_number"] == "LPC 70000"
    assert "Jordan Lee" in report_text and "Ethics" in report_text
    assert "Too Late" in report_text and "after the cycle ended" in report_text
    key = jwt.PyJWK(jwks["keys"][0]).key
    clr = jwt.decode(transcript, key, algorithms=["RS256"])["vc"]
    assert len(clr["credentialSubject"]["verifiableCredential"]) == 3
