"""Ralph 5.1 as a local LRS, with the two filesystem-backend bugs recorded in docs/connectors.md §3.3
worked around:

1. only the first write succeeds (the fs backend defaults to operation CREATE, which refuses an existing
   file), so every later POST /statements answers 500: writes here default to APPEND;
2. ``verb=`` and ``activity=`` never match in 5.x (the filter compares an IRI object with a str): the
   filters here compare text.

Started by the ``ralph_lrs`` fixture with ``uvicorn ralph_patched_app:app --app-dir <this directory>``.
"""

from __future__ import annotations

from typing import Any

from ralph.backends.data.base import BaseOperationType
from ralph.backends.lrs.fs import FSLRSBackend

_original_write = FSLRSBackend.write


def _append_write(
    self: FSLRSBackend,
    data: Any,
    target: str | None = None,
    chunk_size: int | None = None,
    ignore_errors: bool = False,
    operation_type: BaseOperationType | None = None,
) -> int:
    return _original_write(self, data, target, chunk_size, ignore_errors, operation_type or BaseOperationType.APPEND)


def _verb_filter(filters: list[Any], verb_id: Any) -> None:
    if verb_id:
        wanted = str(verb_id)
        filters.append(lambda statement: str(statement.get("verb", {}).get("id")) == wanted)


def _activity_filter(filters: list[Any], object_id: Any, related: Any) -> None:
    if object_id:
        wanted = str(object_id)
        filters.append(lambda statement: str(statement.get("object", {}).get("id")) == wanted)


FSLRSBackend.write = _append_write  # type: ignore[method-assign]
FSLRSBackend._add_filter_by_verb = staticmethod(_verb_filter)  # type: ignore[method-assign,assignment]
FSLRSBackend._add_filter_by_activity = staticmethod(_activity_filter)  # type: ignore[method-assign,assignment]

from ralph.api import app  # noqa: E402  (the patches must be in place before the app is built)

__all__ = ["app"]
