"""Organizations and their API tokens (kept as SHA-256 digests; the token is shown once, when created)."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from cebridge.errors import InputError, NotFound
from cebridge.store.tables import ApiToken, Organization
from cebridge.store.types import utcnow

DEFAULT_ORG = "default"
TOKEN_PREFIX = "ceb_"  # noqa: S105 (a prefix that makes tokens recognisable, not a secret)


def hash_token(token: str) -> str:
    """The digest a token is stored and looked up by."""
    return hashlib.sha256(token.encode()).hexdigest()


def get_org(session: Session, slug: str | None, *, create_default: bool = True) -> Organization:
    """The organization ``slug``; with no slug, the default one (created on first use)."""
    wanted = slug or DEFAULT_ORG
    org = session.scalar(select(Organization).where(Organization.slug == wanted))
    if org is None:
        if slug is None and create_default:
            org = Organization(slug=DEFAULT_ORG, name="Default organization", created_at=utcnow())
            session.add(org)
            session.flush()
            return org
        raise NotFound(f"no organization {wanted!r}; add it with `cebridge orgs add {wanted}`")
    return org


def add_org(session: Session, slug: str, name: str | None = None) -> Organization:
    if not slug or not slug.replace("-", "").replace("_", "").isalnum():
        raise InputError(f"organization slug {slug!r} must be letters, digits, '-' or '_'")
    if session.scalar(select(Organization).where(Organization.slug == slug)) is not None:
        raise InputError(f"organization {slug!r} already exists")
    org = Organization(slug=slug, name=name or slug, created_at=utcnow())
    session.add(org)
    session.flush()
    return org


def create_token(session: Session, org: Organization, name: str) -> tuple[ApiToken, str]:
    """A new token for ``org``: the row, and the token itself (shown once, never stored)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        organization_id=org.id, name=name, prefix=token[:10], token_hash=hash_token(token), created_at=utcnow()
    )
    session.add(row)
    session.flush()
    return row, token


def revoke_token(session: Session, token_id: int) -> ApiToken:
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFound(f"no API token with id {token_id}")
    row.revoked_at = row.revoked_at or utcnow()
    return row


def organization_for_token(session: Session, token: str) -> Organization | None:
    """The organization a valid, unrevoked token belongs to (constant-time compare on the digest)."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is None or row.revoked_at is not None:
        return None
    if not secrets.compare_digest(row.token_hash, hash_token(token)):
        return None
    return session.get(Organization, row.organization_id)
