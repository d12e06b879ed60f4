"""Issue certificates from files into a directory (``cebridge certificates issue``) and revoke them there."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from cebridge.certificates.build import Skipped, build_certificate, select
from cebridge.certificates.errors import CertificateInputError
from cebridge.certificates.issuing import IssuedCertificate, content_hash, render_and_sign
from cebridge.certificates.ledger import LEDGER_FILE, FileLedger, LedgerEntry, ledger_issuer
from cebridge.certificates.model import CertificateData, ProviderProfile
from cebridge.certificates.pdf import FontChoice
from cebridge.domain.completion import Completion
from cebridge.domain.engine import evaluate
from cebridge.domain.license import License
from cebridge.domain.report import CompletionResult, ComplianceReport
from cebridge.domain.rules import RulePack
from cebridge.keys import KeyStore


@dataclass
class IssueOutcome:
    """What an issue run produced."""

    report: ComplianceReport
    issued: list[IssuedCertificate] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    status_list_url: str = ""


def issue_to_directory(
    *,
    license: License,
    completions: Sequence[Completion],
    provider: ProviderProfile,
    pack: RulePack,
    out_dir: Path,
    keys: KeyStore,
    base_url: str,
    now: datetime,
    as_of: date | None = None,
    status_url: str | None = None,
    font: FontChoice = "auto",
    logo_base: Path | None = None,
) -> IssueOutcome:
    """A certificate (PDF + VC-JWT) in ``out_dir`` for every completion the license's board accepts.

    Issuing again is safe: a certificate that still says the same thing keeps its id and status index (its files
    are rewritten); one whose completion changed is reissued as a new revision with a new id, and the old one is
    marked ``reissued`` in the status list; a revoked certificate that would say the same thing stays revoked.
    """
    report = evaluate(license, completions, pack, as_of=as_of or now.date())
    chosen, skipped = select(report, completions, provider)
    outcome = IssueOutcome(report=report, skipped=skipped)

    def build(completion: Completion, result: CompletionResult, revision: int) -> CertificateData:
        return build_certificate(
            license=license,
            completion=completion,
            result=result,
            rule_version=report.rule_version,
            provider=provider,
            issued_at=now,
            base_url=base_url,
            revision=revision,
        )

    # Build every certificate before writing anything: a bad input stops the run with nothing half-issued.
    drafts = [(completion, result, build(completion, result, 0)) for completion, result in chosen]
    key = keys.active()
    ledger = FileLedger(out_dir, base_url=base_url, status_url=status_url)
    with ledger.open():
        outcome.status_list_url = ledger.status_list_url
        for completion, result, draft in drafts:
            digest = content_hash(draft)
            history = ledger.history(completion.id, draft.license_number)
            standing = next((e for e in history if not e.revoked), None)
            latest = history[-1] if history else None
            if standing is not None and standing.content_hash == digest:
                data = build(completion, result, standing.revision)
            elif standing is None and latest is not None and latest.content_hash == digest:
                outcome.skipped.append(
                    Skipped(completion.id, f"certificate {latest.certificate_id} was revoked ({latest.reason})")
                )
                continue
            else:
                data = build(completion, result, (latest.revision + 1) if latest else 0)
            issued = render_and_sign(
                data,
                provider=provider,
                base_url=base_url,
                key=key,
                status_list_url=ledger.status_list_url,
                status_index=ledger.index_for(data.certificate_id),
                font=font,
                logo_base=logo_base,
            )
            ledger.record(issued, content_hash=digest)
            if standing is not None and standing.certificate_id != data.certificate_id:
                ledger.revoke(
                    standing.certificate_id,
                    reason="reissued after a correction",
                    at=now,
                    replaced_by=data.certificate_id,
                )
            outcome.issued.append(issued)
        ledger.write_status_list(now, ledger_issuer(base_url, provider.name))
    return outcome


def revoke_in_directory(directory: Path, certificate_id: str, *, reason: str, now: datetime) -> LedgerEntry:
    """Revoke a certificate issued into ``directory`` and republish its status list."""
    if not (directory / LEDGER_FILE).is_file():
        raise CertificateInputError(f"{directory} holds no certificate ledger ({LEDGER_FILE})")
    ledger = FileLedger(directory, base_url="")
    with ledger.open():
        entry = ledger.revoke(certificate_id, reason=reason, at=now)
        ledger.write_status_list(now)
    return entry
