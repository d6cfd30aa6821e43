"""Store writes handed to the store thread without waiting for them.

An update (a quote batch, a rule evaluation) must not wait for SQLite: its writes are
queued on the store thread at once, in the order they are handed on, so a read or a
write asked for after them comes after them (the screen and ``monitor once`` read
what was written).  What needs the stored result (an alert's id before it is
announced) runs when the write lands; ``flush`` waits for every write handed on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from monitor.store import Store, StoreWorker

log = logging.getLogger(__name__)


class WritesBehind:
    def __init__(self, store: StoreWorker, what: str) -> None:
        self._store = store
        self._what = what  # what the writes are, for the log
        self._writes: set[asyncio.Task[Any]] = set()

    def hand(
        self, write: Callable[[Store], Any], then: Callable[[Any], None] | None = None
    ) -> None:
        """Queue ``write`` on the store thread; ``then(result)`` runs on the loop when it
        has landed (``result`` None: the write was queued for a busy or full database,
        or it failed, which is logged)."""
        task = self._store.write_behind(write)
        self._writes.add(task)
        task.add_done_callback(partial(self._landed, then))

    def _landed(self, then: Callable[[Any], None] | None, task: asyncio.Task[Any]) -> None:
        self._writes.discard(task)
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            log.error("%s write failed: %s", self._what, error)
        if then is not None:
            then(None if error else task.result())

    @property
    def pending(self) -> int:
        return len(self._writes)

    async def flush(self) -> None:
        """Wait until every write handed on has landed (and its ``then`` has run)."""
        while self._writes:
            # each write's own callback runs before gather's: ``then`` has run
            await asyncio.gather(*self._writes, return_exceptions=True)
