"""Quote snapshots for sparklines and charts, stored behind the updates.

A stream sends a symbol's price several times a second: the store keeps at most one
snapshot per symbol per ``SNAPSHOT_EVERY``; the newest of the others is held back and
stored on stop.  No update waits for the store: each write is handed to the store
thread (``WritesBehind``), where it lands after every write handed on before it, and
``flush`` waits for them all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from monitor.engine.behind import WritesBehind
from monitor.model import Quote, QuoteBatch
from monitor.store import Store, StoreWorker

#: a symbol's price is stored at most this often
SNAPSHOT_EVERY = timedelta(minutes=1)


class Snapshots:
    def __init__(self, store: StoreWorker) -> None:
        self._writes = WritesBehind(store, "quote snapshot")
        self._stored_at: dict[str, datetime] = {}  # symbol -> time of its last snapshot
        self._pending: dict[str, tuple[datetime, Quote]] = {}  # held back, newest

    def clear(self) -> None:
        self._stored_at.clear()
        self._pending.clear()

    def add(self, quotes: Mapping[str, Quote], at: datetime) -> None:
        """Store the usable quotes whose symbol has no snapshot within
        ``SNAPSHOT_EVERY``; hold the others back (the newest of each)."""
        due = {}
        for symbol, quote in quotes.items():
            if not quote.usable:
                continue
            last = self._stored_at.get(symbol)
            if last is None or not last <= at < last + SNAPSHOT_EVERY:
                due[symbol] = quote
                self._stored_at[symbol] = at
                self._pending.pop(symbol, None)
            else:
                self._pending[symbol] = (at, quote)
        if due:
            self.behind(_adding(QuoteBatch(at, due)))

    def behind(self, write: Callable[[Store], object]) -> None:
        """Hand ``write`` to the store thread and return without waiting for it (a read
        asked for after this returns comes after it)."""
        self._writes.hand(write)

    async def flush(self) -> None:
        """Store what is held back, then wait for every write handed on."""
        by_time: dict[datetime, dict[str, Quote]] = {}
        for symbol, (at, quote) in self._pending.items():
            by_time.setdefault(at, {})[symbol] = quote
            self._stored_at[symbol] = at
        self._pending.clear()
        for at, quotes in by_time.items():
            self.behind(_adding(QuoteBatch(at, quotes)))
        await self._writes.flush()


def _adding(batch: QuoteBatch) -> Callable[[Store], object]:
    return lambda store: store.add_quotes(batch)
