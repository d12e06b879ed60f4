"""Alembic migrations of the cebridge store (run with ``cebridge db upgrade``; see docs/store.md)."""
