"""Runs every store call on one dedicated thread, so SQLite never blocks the event loop.

Writes that fail because the database is busy (another process holds a write lock)
or full are queued and retried on the next call, never dropped.  A write may name what
to do with its result when it lands later (``landed``): the news poller announces the
stories of a queued write when it is finally stored, so every stored entry is
announced once.

Before each call the worker checks that the database's path still names the file it
has open (device and inode).  A deleted file is recreated from the open connection's
copy (nothing is lost, and nothing seen before is announced again); a file replaced by
another is opened instead.  Either way a notice says so.

A small write that an update waits for (a headline's few rows) is done on the event
loop itself when the store thread is idle (``write(..., rows=n)``): a fraction of a
millisecond of SQLite, where handing it to the thread costs an update 5-15 ms under a
moving market (each SQLite call gives the GIL up and waits to take it back from a loop
that is painting, then the answer waits for the loop to finish its frame).  It never
stalls the loop: it waits at most ``SMALL_WRITE_WAIT`` for the thread to finish what it
was given, and fails at once (then goes the thread's way, which waits and retries) when
another process holds the write lock, the disk is full or the file was replaced.

New stories are indexed for search off the write path: once writes have been quiet for
``index_delay`` seconds, the store thread indexes them ``INDEX_BATCH`` at a time (a
search catches up first anyway, so results never miss a story), then checkpoints the
WAL (``Database.checkpoint``): a write does not wait for its pages to be copied into
the database file.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import sqlite3
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from monitor.store.api import Store
from monitor.store.db import StoreError

T = TypeVar("T")
log = logging.getLogger(__name__)

#: called on the event loop with the result of a queued write once it lands; may be async
Landed = Callable[[Any], Any]
#: Stories indexed per transaction when idle: a search waits for at most one batch.
INDEX_BATCH = 2000
#: Seconds a small write waits on the loop for the store thread to finish its calls
#: (a quote batch's rule state, handed on just before) before it goes the thread's way.
SMALL_WRITE_WAIT = 0.002
#: Rows (entries, feed states) a write may hold and be done on the event loop (~20 µs each)
SMALL_WRITE_ROWS = 64


@dataclass(slots=True)
class _Write:
    fn: Callable[[Store], Any]
    landed: Landed | None = None


@dataclass(slots=True)
class _Outcome:
    """What one call on the store thread did."""

    ok: bool = True
    value: Any = None
    error: str | None = None
    landed: list[tuple[Landed, Any]] = field(default_factory=list)


class StoreWorker:
    """Owns a `Store` living on its own thread; every call is awaited."""

    def __init__(
        self,
        factory: Callable[[], Store],
        on_error: Callable[[str | None, int], None] | None = None,
        on_notice: Callable[[str], None] | None = None,
        *,
        index_delay: float = 1.0,
    ) -> None:
        """``on_error(error, pending)`` is called when writes start failing (with the
        reason) and when they work again (with None); ``on_notice(text)`` when the
        database file was deleted or replaced: the user must see both."""
        self._factory = factory
        self._on_error = on_error
        self._on_notice = on_notice
        self._index_delay = index_delay
        self._index_timer: asyncio.TimerHandle | None = None
        self._indexing: asyncio.Task[None] | None = None
        self._checkpoint_due = False  # pages written since the last checkpoint
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="monitor-store")
        self._store: Store | None = None
        self._opened = False
        self._pending: deque[_Write] = deque()
        self._notices: deque[str] = deque()  # from the store thread, read on the loop
        self._calls = 0  # handed to the store thread and not finished there yet
        self._calls_done = threading.Condition()
        self.last_error: str | None = None

    async def open(self) -> None:
        self._store = await self._run(lambda: self._factory())
        self._opened = True
        self._index_when_idle()  # stories a previous process left unindexed

    @property
    def pending_writes(self) -> int:
        return len(self._pending)

    def _submit(self, fn: Callable[[], T]) -> asyncio.Future[T]:
        """Hand ``fn`` to the store thread now: it runs after every call handed on
        before it, and before any handed on after."""
        with self._calls_done:
            self._calls += 1
        return asyncio.get_running_loop().run_in_executor(self._executor, self._call, fn)

    def _call(self, fn: Callable[[], T]) -> T:
        """On the store thread: ``fn``, then one call fewer in hand."""
        try:
            return fn()
        finally:
            with self._calls_done:
                self._calls -= 1
                self._calls_done.notify_all()

    async def _run(self, fn: Callable[[], T]) -> T:
        return await self._settle(self._submit(fn))

    async def _settle(self, future: asyncio.Future[T]) -> T:
        try:
            return await future
        finally:
            while self._notices:
                self._notice(self._notices.popleft())

    async def read(self, fn: Callable[[Store], T]) -> T:
        self._require()
        return await self._run(lambda: fn(self._current(writing=False)))

    async def write(
        self, fn: Callable[[Store], T], *, landed: Landed | None = None, rows: int | None = None
    ) -> T | None:
        """Apply queued writes, then this one; on a busy/full database queue it and
        return None: ``landed(result)`` is then called when it is finally stored.

        ``rows``: how many rows the write holds, when known; a few (an update waits for
        them: a headline's) are written here on the event loop when the store thread
        has nothing in hand (see the module's docstring)."""
        self._require()
        if rows is not None and rows <= SMALL_WRITE_ROWS:
            outcome = self._apply_here(fn)
            if outcome is not None:
                return await self._finish(outcome)
        return await self._written(self._submit(lambda: self._apply(_Write(fn, landed))))

    def _apply_here(self, fn: Callable[[Store], T]) -> _Outcome | None:
        """``fn`` on this thread, in order after every call handed to the store thread
        (which is idle, or becomes idle within ``SMALL_WRITE_WAIT``); None when it was
        not done: the thread is still busy, writes are queued, the file changed, or the
        database is busy or full (rolled back: the thread's way waits and retries)."""
        store = self._store
        if store is None:
            return None
        with self._calls_done:
            if not self._calls_done.wait_for(lambda: self._calls == 0, SMALL_WRITE_WAIT):
                return None
        if self._pending or store.file_change() is not None:
            return None
        try:
            with store.waiting_for_none():
                return _Outcome(value=fn(store))
        except StoreError:
            return None

    def write_behind(
        self, fn: Callable[[Store], T], *, landed: Landed | None = None
    ) -> asyncio.Task[T | None]:
        """``write`` without waiting: the write is on the store thread's queue when
        this returns (a read or write asked for after it comes after it); the task
        ends with what ``write`` would have returned."""
        self._require()
        future = self._submit(lambda: self._apply(_Write(fn, landed)))
        return asyncio.ensure_future(self._written(future))

    async def _written(self, future: asyncio.Future[_Outcome]) -> Any:
        return await self._finish(await self._settle(future))

    async def _finish(self, outcome: _Outcome) -> Any:
        """On the loop, after a write: its error reported, the queued writes it
        stored announced, the search index and checkpoint rescheduled."""
        self._checkpoint_due = True
        self._index_when_idle()
        if outcome.error != self.last_error:
            if outcome.error is not None:
                log.warning("store write queued: %s", outcome.error)
            self.last_error = outcome.error
            self._report(outcome.error)
        for callback, value in outcome.landed:
            await self._deliver(callback, value)
        return outcome.value if outcome.ok else None

    def _apply(self, write: _Write) -> _Outcome:
        """On the store thread: the queued writes in order, then ``write``."""
        outcome = _Outcome()
        try:
            store = self._current()
            while self._pending:
                head = self._pending[0]
                value = head.fn(store)
                self._pending.popleft()
                if head.landed is not None:
                    outcome.landed.append((head.landed, value))
            outcome.value = write.fn(store)
        except StoreError as exc:
            self._pending.append(write)
            outcome.ok, outcome.error = False, str(exc)
        return outcome

    async def _deliver(self, callback: Landed, value: Any) -> None:
        try:
            result = callback(value)
            if inspect.isawaitable(result):
                await result
        except Exception:  # a broken listener must not stop the writes after it
            log.exception("store write listener failed")

    def _report(self, error: str | None) -> None:
        if self._on_error is not None:
            try:
                self._on_error(error, len(self._pending))
            except Exception:  # a broken listener must not lose the write
                log.exception("store error listener failed")

    def _notice(self, text: str) -> None:
        log.warning("%s", text)
        if self._on_notice is not None:
            try:
                self._on_notice(text)
            except Exception:
                log.exception("store notice listener failed")

    # ---- the database file (on the store thread) ----------------------------------------

    def _current(self, *, writing: bool = True) -> Store:
        """The open store, reopened first if its file was deleted or replaced.

        When that fails, writes raise ``StoreError`` (and are queued); reads go on from
        the copy still open, if any."""
        try:
            return self._checked()
        except StoreError:
            if writing or self._store is None:
                raise
            return self._store

    def _checked(self) -> Store:
        store = self._store
        if store is None:  # an earlier reopen failed half-way: try again
            self._store = self._factory()
            self._notices.append(f"database {self._store.path} is open again")
            return self._store
        change = store.file_change()
        if change is None:
            return store
        try:
            if change == "deleted":
                self._recreate(store)
                self._store = self._factory()
                text = (
                    f"database {store.path} was deleted while the monitor ran: recreated it "
                    f"from the open copy ({self._store.headline_count()} stories kept); to "
                    "start afresh, quit the monitor first, then delete it"
                )
            else:
                self._store = None
                store.close_moved()
                self._store = self._factory()
                text = f"database {store.path} was replaced by another file: now using that file"
        except (StoreError, OSError, sqlite3.Error) as exc:
            reason = exc.args[0] if isinstance(exc, StoreError) else exc
            raise StoreError(
                f"database {store.path} was {change} and cannot be reopened: {reason}"
            ) from exc
        self._notices.append(text)
        return self._store

    def _recreate(self, store: Store) -> None:
        """Write the deleted database, as the open connection still sees it, back to
        its path; the old connection is closed (and its journal files with it)."""
        path = store.path
        staged = path.with_name(path.name + ".recreating")
        path.parent.mkdir(parents=True, exist_ok=True)
        staged.unlink(missing_ok=True)
        store.copy_to(staged)  # the old file is kept open until its copy exists
        self._store = None
        store.close_moved()
        os.replace(staged, path)

    # ---- search index and checkpoints, off the write path ----------------------------

    def _index_when_idle(self) -> None:
        """(Re)start the quiet-time countdown when stories wait to be indexed or the
        WAL to be checkpointed."""
        if self._index_timer is not None:
            self._index_timer.cancel()
            self._index_timer = None
        store = self._store
        if store is None or store.readonly:
            return
        if not (store.search_pending or self._checkpoint_due):
            return
        loop = asyncio.get_running_loop()
        self._index_timer = loop.call_later(self._index_delay, self._start_indexing)

    def _start_indexing(self) -> None:
        self._index_timer = None
        if self._opened and (self._indexing is None or self._indexing.done()):
            self._indexing = asyncio.create_task(self._index_batch())

    async def _index_batch(self) -> None:
        """Index one batch; once nothing waits for the index, checkpoint."""
        try:
            if self._store is not None and self._store.search_pending:
                await self._run(lambda: self._current().index_for_search(INDEX_BATCH))
            else:  # what a reader's snapshot holds waits for the next write's turn
                self._checkpoint_due = False
                await self._run(lambda: self._current().checkpoint())
        except StoreError as exc:  # busy or full: the next write or search retries
            log.info("search indexing or checkpoint postponed: %s", exc)
            return
        self._index_when_idle()

    # ---- closing --------------------------------------------------------------------

    async def flush(self) -> bool:
        """Retry queued writes now; True when nothing is left pending."""
        if not self._pending:
            return True
        await self.write(lambda store: None)
        return not self._pending

    async def close(self) -> None:
        if self._index_timer is not None:
            self._index_timer.cancel()
            self._index_timer = None
        if self._indexing is not None:
            await asyncio.gather(self._indexing, return_exceptions=True)
        if self._opened and self._pending:
            await self.flush()  # last chance for queued writes (the lock may be gone)
            if self._pending:
                log.error("%d store writes lost at exit: %s", len(self._pending), self.last_error)
        store, self._store = self._store, None
        self._opened = False
        if store is not None:
            await self._run(store.close)
        self._executor.shutdown(wait=False)

    def _require(self) -> None:
        if not self._opened:
            raise RuntimeError("store is not open")
