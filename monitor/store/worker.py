"""Runs every store call on one dedicated thread, so SQLite never blocks the event loop.

Writes that fail because the database is busy (another process holds a write lock)
or full are queued and retried on the next call, never dropped.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from monitor.store.api import Store
from monitor.store.db import StoreError

T = TypeVar("T")
log = logging.getLogger(__name__)


class StoreWorker:
    """Owns a `Store` living on its own thread; every call is awaited."""

    def __init__(
        self,
        factory: Callable[[], Store],
        on_error: Callable[[str | None, int], None] | None = None,
    ) -> None:
        """``on_error(error, pending)`` is called when writes start failing (with the
        reason) and when they work again (with None): the user must see it."""
        self._factory = factory
        self._on_error = on_error
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="monitor-store")
        self._store: Store | None = None
        self._pending: deque[Callable[[Store], Any]] = deque()
        self.last_error: str | None = None

    async def open(self) -> None:
        self._store = await self._run(lambda: self._factory())

    @property
    def pending_writes(self) -> int:
        return len(self._pending)

    async def _run(self, fn: Callable[[], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, fn)

    async def read(self, fn: Callable[[Store], T]) -> T:
        store = self._require()
        return await self._run(lambda: fn(store))

    async def write(self, fn: Callable[[Store], T]) -> T | None:
        """Apply queued writes, then this one; on a busy/full database queue it."""
        store = self._require()

        def run() -> tuple[bool, Any, str | None]:
            while self._pending:
                try:
                    self._pending[0](store)
                except StoreError as exc:
                    self._pending.append(fn)
                    return False, None, str(exc)
                self._pending.popleft()
            try:
                return True, fn(store), None
            except StoreError as exc:
                self._pending.append(fn)
                return False, None, str(exc)

        ok, value, error = await self._run(run)
        if error != self.last_error:
            if error is not None:
                log.warning("store write queued: %s", error)
            self.last_error = error
            self._report(error)
        return value if ok else None

    def _report(self, error: str | None) -> None:
        if self._on_error is not None:
            try:
                self._on_error(error, len(self._pending))
            except Exception:  # a broken listener must not lose the write
                log.exception("store error listener failed")

    async def flush(self) -> bool:
        """Retry queued writes now; True when nothing is left pending."""
        if not self._pending:
            return True
        await self.write(lambda store: None)
        return not self._pending

    async def close(self) -> None:
        if self._store is not None and self._pending:
            await self.flush()  # last chance for queued writes (the lock may be gone)
            if self._pending:
                log.error("%d store writes lost at exit: %s", len(self._pending), self.last_error)
        store = self._store
        self._store = None
        if store is not None:
            await self._run(store.close)
        self._executor.shutdown(wait=False)

    def _require(self) -> Store:
        if self._store is None:
            raise RuntimeError("store is not open")
        return self._store
