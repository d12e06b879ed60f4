"""The ``certificates`` sink: issues, reissues and revokes certificates from the pipeline's outbox work.

Subscribe it to ``certificate.issue`` and ``certificate.revoke`` (``cebridge sinks add certificates --plugin
certificates --kinds certificate.issue,certificate.revoke``). Both kinds do the same thing: bring the certificate
of one completion under one license in line with the license's *current* compliance snapshot, so deliveries
that arrive late, twice or out of order all end in the same state.

What it did is announced, in the same transaction, as ``certificate.issued``, ``certificate.reissued`` or
``certificate.revoked`` outbox work for the sinks subscribed to those kinds (webhook, roster export, JSON lines):
a failing downstream sink is retried by the outbox and never loses the certificate, which is already stored.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from cebridge.certificates.corrections import Correction, apply_completion_change, certificate_event
from cebridge.certificates.errors import CertificateInputError
from cebridge.certificates.stored import provider_profile
from cebridge.config import Settings
from cebridge.domain.completion import CreditOffering
from cebridge.domain.license import License
from cebridge.domain.report import CompletionResult
from cebridge.errors import CertificateError, SinkRejected, SinkUnavailable, StorageError
from cebridge.keys import KeyStore, keystore_for
from cebridge.store.db import SessionFactory, make_engine, session_factory, transaction
from cebridge.store.tables import Clinician, CompletionRow, ComplianceSnapshot, LicenseRow, Offering, Provider
from cebridge.sync.events import Subscriptions, enqueue
from cebridge.sync.mapping import to_completion

HANDLED = frozenset({"certificate.issue", "certificate.revoke"})


def _utcnow() -> datetime:
    return datetime.now(UTC)


@functools.lru_cache(maxsize=4)
def _factory_for(url: str) -> SessionFactory:
    """One engine per database per process, however often the outbox builds this sink."""
    return session_factory(make_engine(url))


class CertificateSink:
    """Entry point ``certificates`` in ``cebridge.sinks``; config keys (all optional): ``base_url``."""

    def __init__(
        self,
        config: Mapping[str, Any] | None = None,
        *,
        settings: Settings | None = None,
        factory: SessionFactory | None = None,
        keys: KeyStore | None = None,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        config = dict(config or {})
        settings = settings or Settings()
        self.base_url = str(config.get("base_url") or settings.base_url)
        self._factory = factory or _factory_for(settings.resolved_database_url)
        self._keys = keys or keystore_for(settings.home)
        self._clock = clock

    def deliver(self, kind: str, payload: dict[str, Any], idempotency_key: str) -> None:
        if kind not in HANDLED:
            raise SinkRejected(f"the certificates sink handles {', '.join(sorted(HANDLED))}, not {kind!r}")
        try:
            with transaction(self._factory) as session:
                correction = self.reconcile(session, payload)
                announce(session, correction)
        except CertificateInputError as exc:
            raise SinkRejected(f"certificate cannot be issued: {exc.user_message}") from None
        except (StorageError, DBAPIError) as exc:
            raise SinkUnavailable(f"the store is unavailable: {type(exc).__name__}") from None
        except CertificateError as exc:
            raise SinkUnavailable(f"certificate work failed: {exc.user_message}") from None

    def reconcile(self, session: Session, payload: Mapping[str, Any]) -> Correction:
        """Issue, reissue, keep or revoke the certificate of the payload's completion (caller's transaction)."""
        try:
            license_id, completion_id = int(payload["license_id"]), int(payload["completion_id"])
        except (KeyError, TypeError, ValueError):
            raise CertificateInputError("the work names no license_id and completion_id") from None
        lic_row = session.get(LicenseRow, license_id)
        if lic_row is None:
            raise CertificateInputError(f"license {license_id} no longer exists")
        lic = License.model_validate(lic_row.data)
        if not lic.holder:
            clinician = session.get(Clinician, lic_row.clinician_id)
            if clinician is not None and clinician.name:
                lic = lic.model_copy(update={"holder": clinician.name})
        row = session.get(CompletionRow, completion_id)
        offering = session.get(Offering, row.offering_id) if row is not None and row.offering_id else None
        completion = to_completion(row, CreditOffering.model_validate(offering.data)) if row and offering else None
        snap = session.get(ComplianceSnapshot, license_id)
        result = None
        rule_version = ""
        if snap is not None:
            rule_version = str(snap.report.get("rule_version", ""))
            raw = next((c for c in snap.report.get("completions", []) if str(c.get("id")) == str(completion_id)), None)
            result = CompletionResult.model_validate(raw) if raw is not None else None
        profile = None
        if completion is not None and offering is not None:
            profile = provider_profile(session, offering.provider_id)
            if profile is None:
                provider = session.get(Provider, offering.provider_id)
                name = provider.name if provider is not None else str(offering.provider_id)
                raise CertificateInputError(
                    f"provider {name} has no certificate profile; set one with "
                    f"`cebridge certificates profile {name} --file PROVIDER.json`, then replay"
                )
        return apply_completion_change(
            session,
            license=lic,
            completion_ref=str(completion_id),
            completion=completion,
            result=result,
            rule_version=rule_version,
            provider=profile,
            keys=self._keys,
            base_url=self.base_url,
            now=self._clock(),
            license_id=license_id,
            completion_id=completion_id if row is not None else None,
            course_code=offering.offering_id if offering is not None else None,
        )


def announce(session: Session, correction: Correction) -> int:
    """Enqueue ``certificate.<action>`` for the subscribed sinks (same transaction); returns rows offered."""
    if correction.certificate is None or correction.action not in ("issued", "reissued", "revoked"):
        return 0
    subs = Subscriptions(session)
    if not subs:
        return 0
    row = correction.certificate
    payload = certificate_event(row)
    if correction.replaced is not None:
        payload["replaces"] = correction.replaced.id
    return enqueue(session, subs, f"certificate.{correction.action}", f"{row.id}:{correction.action}", payload)
