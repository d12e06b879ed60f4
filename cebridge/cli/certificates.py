"""``cebridge certificates issue|verify|packet|revoke|profile``: certificates from files or from the store."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from cebridge.certificates.credential import issuer_profile
from cebridge.certificates.errors import CertificateInputError
from cebridge.certificates.files import issue_to_directory, revoke_in_directory
from cebridge.certificates.ledger import LEDGER_FILE, STATUS_FILE, LedgerStatus
from cebridge.certificates.packet import PacketCertificate, build_packet
from cebridge.certificates.resolvers import ChainStatus, DocumentStatus, RemoteStatus
from cebridge.certificates.sources import load_provider, optional_store, stored_packet
from cebridge.certificates.stored import StoreStatus, revoke_stored, set_provider_profile
from cebridge.certificates.verification import JwksResolver, KeyResolver, StatusResolver, verify_token
from cebridge.cli.evaluate import load_completions, load_license, parse_day
from cebridge.cli.output import dumps, echo_json, format_option, read_json
from cebridge.config import Settings
from cebridge.errors import CertificateError, InputError
from cebridge.keys import keystore_for
from cebridge.store.db import SessionFactory, transaction

FONT_OPTION = click.option(
    "--font",
    type=click.Choice(["auto", "dejavu", "core"]),
    default="auto",
    show_default=True,
    help="auto: DejaVu only when the text needs Unicode; dejavu: always; core: Helvetica, Latin-1",
)


def _now() -> datetime:
    return datetime.now(UTC)


def _registry_pack(board: str) -> object:
    from cebridge.cli.boards import registry

    return registry().get(board)


@click.group("certificates")
def certificates() -> None:
    """Certificates of completion: PDF plus a signed Open Badges 3.0 credential."""


@certificates.command("issue")
@click.option("--license", "license_path", required=True, type=click.Path(dir_okay=False), help="LICENSE.json")
@click.option("--completions", "completions_path", required=True, type=click.Path(dir_okay=False))
@click.option("--provider", "provider_path", required=True, type=click.Path(dir_okay=False), help="PROVIDER.json")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="directory to write into")
@click.option("--as-of", "as_of", help="evaluate as of this day (YYYY-MM-DD); default today")
@click.option("--status-url", help="where this directory's status-list.json will be published")
@FONT_OPTION
def issue(
    license_path: str,
    completions_path: str,
    provider_path: str,
    out_dir: str,
    as_of: str | None,
    status_url: str | None,
    font: str,
) -> None:
    """Issue a PDF and a signed credential for every completion the license's board accepts."""
    settings = Settings()
    lic = load_license(license_path)
    completions = load_completions(completions_path)
    provider = load_provider(provider_path)
    outcome = issue_to_directory(
        license=lic,
        completions=completions,
        provider=provider,
        pack=_registry_pack(lic.board),  # type: ignore[arg-type]
        out_dir=Path(out_dir),
        keys=keystore_for(settings.home),
        base_url=settings.base_url,
        now=_now(),
        as_of=parse_day(as_of, "--as-of"),
        status_url=status_url,
        font=font,  # type: ignore[arg-type]
        logo_base=Path(provider_path).resolve().parent,
    )
    for skipped in outcome.skipped:
        click.echo(f"skipped {skipped.completion_id}: {skipped.reason}", err=True)
    echo_json(
        [
            {
                **i.summary(),
                "pdf": str(Path(out_dir) / f"{i.data.certificate_id}.pdf"),
                "credential": str(Path(out_dir) / f"{i.data.certificate_id}.jwt"),
            }
            for i in outcome.issued
        ]
    )


def _keys_from(source: str | None, settings: Settings) -> KeyResolver:
    if source is None:
        return keystore_for(settings.home)
    if source.startswith(("http://", "https://")):
        import requests

        try:
            response = requests.get(source, timeout=10)
            response.raise_for_status()
            return JwksResolver(response.json())
        except (requests.RequestException, ValueError) as exc:
            raise InputError(f"--jwks {source}: cannot fetch the keys: {type(exc).__name__}") from None
    data = read_json(source, "JWKS")
    if not isinstance(data, dict):
        raise InputError(f"--jwks {source}: not a JWKS document")
    return JwksResolver(data)


def _status_from(
    source: str | None, file: Path, keys: KeyResolver, settings: Settings, factory: SessionFactory | None
) -> list[StatusResolver]:
    sources: list[StatusResolver] = []
    if source is not None:
        if source.startswith(("http://", "https://")):
            sources.append(RemoteStatus(keys, url=source))
        else:
            sources.append(DocumentStatus.from_file(Path(source), keys))
    if factory is not None:
        sources.append(StoreStatus(factory, settings.base_url))
    if (file.parent / LEDGER_FILE).is_file():
        sources.append(LedgerStatus(file.parent))
    elif (file.parent / STATUS_FILE).is_file():
        sources.append(DocumentStatus.from_file(file.parent / STATUS_FILE, keys))
    sources.append(RemoteStatus(keys))
    return sources


@certificates.command("verify")
@click.argument("file", type=click.Path(dir_okay=False, exists=True))
@click.option("--jwks", "jwks_source", help="JWKS file or URL (default: this installation's key store)")
@click.option("--status-list", "status_source", help="status list file or URL to check revocation against")
@click.option("--pdf", "pdf_path", type=click.Path(dir_okay=False, exists=True), help="also check this PDF")
@click.option("--require-status", is_flag=True, help="fail when revocation cannot be checked")
@format_option
def verify(
    file: str, jwks_source: str | None, status_source: str | None, pdf_path: str | None, require_status: bool, fmt: str
) -> None:
    """Check a credential (.jwt): signature, integrity, revocation. Exit 0 only when it is valid.

    Given a .pdf, the credential beside it (same name, .jwt) is checked and the PDF against it.
    """
    settings = Settings()
    path = Path(file)
    pdf: bytes | None = Path(pdf_path).read_bytes() if pdf_path else None
    if path.suffix.lower() == ".pdf":
        pdf = path.read_bytes()
        path = path.with_suffix(".jwt")
        if not path.is_file():
            raise InputError(f"{file}: no credential {path.name} beside the PDF to check it against")
    token = path.read_text("utf-8", errors="replace")
    keys = _keys_from(jwks_source, settings)
    with optional_store(settings) as factory:
        status = ChainStatus(_status_from(status_source, path, keys, settings, factory))
        result = verify_token(token, keys, status=status, now=_now(), pdf=pdf, require_status=require_status)
    if fmt == "json":
        echo_json(result.to_json())
    else:
        click.echo(f"{'VALID' if result.valid else 'NOT VALID'}: {result.certificate_id or path.name}")
        for name, check in (
            ("signature", result.signature),
            ("integrity", result.integrity),
            ("expiry", result.expiry),
        ):
            click.echo(f"  {name:<10} {'ok ' if check.ok else 'BAD'} {check.detail}")
        click.echo(f"  {'revocation':<10} {result.revocation['status']}: {result.revocation['detail']}")
        click.echo(f"  {'key':<10} {result.issuer_key.get('kid')} ({result.issuer_key.get('state')})")
    if not result.valid:
        sys.exit(1)


@certificates.command("packet")
@click.option("--license", "license_path", type=click.Path(dir_okay=False), help="LICENSE.json")
@click.option("--completions", "completions_path", type=click.Path(dir_okay=False))
@click.option("--provider", "provider_path", type=click.Path(dir_okay=False), help="PROVIDER.json")
@click.option("--license-number", help="a stored license (instead of files)")
@click.option("--board", help="the board, when a stored number is held under several")
@click.option("--certs-dir", type=click.Path(file_okay=False), help="where certificates are issued (files mode)")
@click.option("--as-of", "as_of", help="evaluate as of this day (YYYY-MM-DD); default today")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False), help="FILE.zip")
def packet(
    license_path: str | None,
    completions_path: str | None,
    provider_path: str | None,
    license_number: str | None,
    board: str | None,
    certs_dir: str | None,
    as_of: str | None,
    out_path: str,
) -> None:
    """Write one license cycle's audit packet: compliance report (PDF, JSON) and every counted certificate."""
    settings = Settings()
    keys = keystore_for(settings.home)
    out = Path(out_path)
    if license_number:
        with optional_store(settings) as factory:
            if factory is None:
                raise InputError("--license-number needs the store (run `cebridge db upgrade`)")
            built = stored_packet(
                factory, license_number, keys=keys, base_url=settings.base_url, now=_now(), board=board
            )
    else:
        if not (license_path and completions_path and provider_path):
            raise InputError("give --license, --completions and --provider, or --license-number for a stored license")
        lic = load_license(license_path)
        provider = load_provider(provider_path)
        outcome = issue_to_directory(
            license=lic,
            completions=load_completions(completions_path),
            provider=provider,
            pack=_registry_pack(lic.board),  # type: ignore[arg-type]
            out_dir=Path(certs_dir) if certs_dir else out.parent / f"{out.stem}-certificates",
            keys=keys,
            base_url=settings.base_url,
            now=_now(),
            as_of=parse_day(as_of, "--as-of"),
            logo_base=Path(provider_path).resolve().parent,
        )
        report = outcome.report.to_json()
        report["license_number"] = lic.license_number
        built = build_packet(
            report=report,
            holder=lic.holder,
            certificates=[
                PacketCertificate(i.data.certificate_id, i.data.completion_id, i.pdf, i.jwt, i.credential)
                for i in outcome.issued
            ],
            issuer=issuer_profile(settings.base_url, provider),
            keys=keys,
            base_url=settings.base_url,
            generated_at=_now(),
        )
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(built.data)
    except OSError as exc:
        raise CertificateError(f"cannot write {out}: {exc.strerror}") from None
    click.echo(dumps({"packet": str(out), **{k: built.manifest[k] for k in ("certificates", "missing_certificates")}}))


@certificates.command("revoke")
@click.argument("certificate_id")
@click.option("--reason", required=True, help="why (kept with the revocation)")
@click.option("--dir", "directory", type=click.Path(file_okay=False, exists=True), help="a directory issued into")
def revoke(certificate_id: str, reason: str, directory: str | None) -> None:
    """Revoke a certificate (in an issue directory, or in the store)."""
    if directory:
        entry = revoke_in_directory(Path(directory), certificate_id, reason=reason, now=_now())
        echo_json({"certificate_id": entry.certificate_id, "status": entry.status, "revoked_at": entry.revoked_at})
        return
    with optional_store(Settings()) as factory:
        if factory is None:
            raise InputError("no store with certificates here; pass --dir for certificates issued into a directory")
        with transaction(factory) as session:
            row = revoke_stored(session, certificate_id, reason=reason, now=_now(), actor="cli")
            echo_json({"certificate_id": row.id, "status": row.status, "revoked_at": row.revoked_at})


@certificates.command("profile")
@click.argument("provider_name")
@click.option("--file", "profile_path", required=True, type=click.Path(dir_okay=False), help="PROVIDER.json")
def profile(provider_name: str, profile_path: str) -> None:
    """Set the certificate profile (PROVIDER.json) of a stored provider."""
    from cebridge.services.providers import get_provider

    data = load_provider(profile_path)
    if data.template.logo and not Path(data.template.logo).is_absolute():
        logo = (Path(profile_path).resolve().parent / data.template.logo).resolve()
        if not logo.is_file():
            raise CertificateInputError(f"logo file {logo} does not exist")
        data = data.model_copy(update={"template": data.template.model_copy(update={"logo": str(logo)})})
    with optional_store(Settings()) as factory:
        if factory is None:
            raise InputError("no store with certificates here; run `cebridge db upgrade` first")
        with transaction(factory) as session:
            provider = get_provider(session, provider_name)
            set_provider_profile(session, provider.id, data)
    click.echo(f"certificate profile of {provider_name} saved")


commands = [certificates]
