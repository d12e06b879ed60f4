"""Every table of cebridge on one metadata (``Base.metadata``): import this module to see them all.

The LTI tool's tables (``lti_tables``) and the certificates' tables (``cert_tables``) live in their own modules
on the same :class:`~cebridge.store.base.Base`; they are imported here when present so that migrations, tests
and ``create_all`` see one schema.
"""

from __future__ import annotations

import importlib
import importlib.util

from cebridge.store.base import Base
from cebridge.store.catalog_tables import KEY_KINDS, Offering, OfferingKey
from cebridge.store.org_tables import ApiToken, ConnectorConfig, Organization, Provider, SinkSubscription
from cebridge.store.people_tables import IDENTITY_KINDS, Clinician, Identity, LicenseRow
from cebridge.store.record_tables import (
    AuditEntry,
    CompletionRow,
    ComplianceSnapshot,
    ConnectorState,
    CreditAwardRow,
    OutboxItem,
    PendingRecompute,
    SyncRun,
)

#: Table modules owned by other parts of cebridge, loaded when they exist.
OPTIONAL_TABLE_MODULES = ("cebridge.store.lti_tables", "cebridge.store.cert_tables")

for _name in OPTIONAL_TABLE_MODULES:
    if importlib.util.find_spec(_name) is not None:
        importlib.import_module(_name)

metadata = Base.metadata

__all__ = [
    "IDENTITY_KINDS",
    "KEY_KINDS",
    "ApiToken",
    "AuditEntry",
    "Clinician",
    "CompletionRow",
    "ComplianceSnapshot",
    "ConnectorConfig",
    "ConnectorState",
    "CreditAwardRow",
    "Identity",
    "LicenseRow",
    "Offering",
    "OfferingKey",
    "Organization",
    "OutboxItem",
    "PendingRecompute",
    "Provider",
    "SinkSubscription",
    "SyncRun",
    "metadata",
]
