"""``python -m cebridge`` runs the CLI."""

from __future__ import annotations

from cebridge.cli import main

main()
