"""Read a connector's batches one ahead, in a thread, so waiting for the provider overlaps storing.

A sync alternates between waiting for the provider (network, the provider's own work, parsing) and storing a
batch (the database). Reading the next batch while the current one is stored overlaps the two. At most
``depth`` batches wait in between, so memory stays bounded whatever the volume. Batches come out in the order
the connector made them, each with its own state, so the state committed with a batch still covers exactly
the records stored before it. A connector's exception is raised to the consumer at the point where it
happened, after every batch read before it.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Any

#: How long :meth:`ReadAhead.close` waits for a read in flight (its own timeout bounds it anyway).
CLOSE_WAIT = 10.0


class ReadAhead:
    """Iterate over ``batches`` (a connector's ``read()``), produced in a background thread."""

    def __init__(self, batches: Iterator[Any], *, depth: int = 1) -> None:
        self._queue: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(batches,), name="cebridge-read-ahead", daemon=True)
        self._thread.start()

    def _put(self, item: tuple[str, Any]) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self, batches: Iterator[Any]) -> None:
        try:
            for batch in batches:
                if not self._put(("batch", batch)):
                    return
            self._put(("end", None))
        except BaseException as exc:  # handed to the consumer, raised there
            self._put(("error", exc))
        finally:
            close = getattr(batches, "close", None)
            if callable(close):
                close()  # a generator stopped early runs its cleanup here, in the thread that ran it

    def __iter__(self) -> Iterator[Any]:
        while True:
            kind, value = self._queue.get()
            if kind == "batch":
                yield value
            elif kind == "end":
                return
            else:
                raise value

    def close(self) -> None:
        """Stop reading (a read in flight finishes first, up to :data:`CLOSE_WAIT` seconds)."""
        self._stop.set()
        self._thread.join(timeout=CLOSE_WAIT)
