"""``cebridge keys``: rotate the signing key and print the public JWKS."""

from __future__ import annotations

import click

from cebridge.cli.output import echo_json
from cebridge.config import Settings
from cebridge.keys import keystore_for


@click.group("keys")
def keys() -> None:
    """Signing keys for LTI messages and credentials (kept under CEBRIDGE_HOME/keys)."""


@keys.command("rotate")
@click.option(
    "--overlap-days",
    type=click.IntRange(min=0),
    default=7,
    show_default=True,
    help="days the old key stays published so platforms and verifiers can catch up",
)
def rotate(overlap_days: int) -> None:
    """Make a new active key; the old one stays in the JWKS for the overlap, then is retired."""
    store = keystore_for(Settings().home)
    kid = store.rotate(overlap_days=overlap_days)
    echo_json({"active": kid, "published": [r.kid for r in store.public_keys()]})


@keys.command("jwks")
@click.option("--include-retired", is_flag=True, help="also list retired public keys (for old credentials)")
def jwks(include_retired: bool) -> None:
    """Print the public keys as a JWKS (the same document as /lti/jwks)."""
    echo_json(keystore_for(Settings().home).jwks(include_retired=include_retired))


commands = [keys]
