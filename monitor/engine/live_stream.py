"""Streamed prices: the watchlist's live price path while any of its markets is open.

While a watchlist market is open the engine keeps one ``YahooStream`` (one websocket
for every symbol).  Its quotes reach the quote book as small batches: whatever arrived
since the last batch, the latest tick of each symbol, so rules see a price within
milliseconds of Yahoo sending it (bench #11) and a burst never queues up.

Polling stays: it brings what the stream lacks (names, intraday bars for sparklines,
shares outstanding, Yahoo's trading periods) and seeds the stream with that context.
While the stream is trusted and has a fresh price (younger than ``fresh_for``) for
every symbol whose market is open, a scheduled poll is skipped unless ``context_every``
has passed since the last one; when the stream drops, goes silent or leaves a symbol
without prices, the polls run at ``quotes_every`` again: polling is the fallback.
When every market is shut the stream is closed (nothing to say, nothing to pay).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from monitor import sessions
from monitor.clock import Clock
from monitor.engine.build import EngineSettings
from monitor.engine.quote_book import QuoteBook
from monitor.engine.sources import Spawn
from monitor.model import Quote, QuoteBatch, Status
from monitor.quotes.recorded import RecordedQuotes
from monitor.quotes.stream import YahooStream

log = logging.getLogger(__name__)

#: how often the engine checks whether a market opened or closed
CHECK_EVERY = 30.0


def attach(book: QuoteBook, url: str | None, *, spawn: Spawn) -> LiveStream | None:
    """A LiveStream feeding ``book`` (None without a URL, or for a recording)."""
    if url is None or isinstance(book.source, RecordedQuotes):
        return None
    live = LiveStream(
        book.settings,
        url=url,
        clock=book.clock,
        spawn=spawn,
        apply=book.process_batch,
        on_change=book.live_changed,
    )
    book.live = live
    return live


class LiveStream:
    """Starts and stops the stream with the markets; feeds its quotes to ``apply``."""

    def __init__(
        self,
        settings: EngineSettings,
        *,
        url: str,
        clock: Clock,
        spawn: Spawn,
        apply: Callable[[QuoteBatch], Any],
        on_change: Callable[[], None],
        make_stream: Callable[..., YahooStream] = YahooStream,
    ) -> None:
        self.settings = settings
        self.url = url
        self.context_every = 20 * settings.quotes_every
        self.fresh_for = 2 * settings.quotes_every
        self._clock, self._spawn, self._apply, self._on_change = clock, spawn, apply, on_change
        self._make_stream = make_stream
        self.stream: YahooStream | None = None
        self._reader: asyncio.Task[Any] | None = None
        self._pending: dict[str, Quote] = {}
        self._wake = asyncio.Event()
        self._polled_at: datetime | None = None
        self._seeds: dict[str, Quote] = {}

    # ---- lifecycle ----------------------------------------------------------------------

    def start(self) -> None:
        self._spawn(self._supervise())
        self._spawn(self._deliver())

    async def _supervise(self) -> None:
        while True:
            wanted = self._any_open(self._clock.now())
            if wanted and self._reader is None:
                self._open()
            elif not wanted and self._reader is not None:
                await self._close()
            await asyncio.sleep(CHECK_EVERY)

    def _any_open(self, now: datetime) -> bool:
        return any(sessions.is_open(s, now) for s in self.settings.symbols)

    def _open(self) -> None:
        stream = self._make_stream(
            self.settings.symbols,
            url=self.url,
            clock=self._clock,
            on_quote=self._arrived,
            on_status=lambda _status: self._on_change(),
            silent_after=max(60.0, 2 * self.settings.quotes_every),
        )
        for quote in self._seeds.values():
            stream.seed(quote)
        self.stream = stream
        self._reader = self._spawn(stream.run())
        self._on_change()

    async def _close(self) -> None:
        reader, self._reader, self.stream = self._reader, None, None
        if reader is not None:
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
        self._on_change()

    def configure(self, settings: EngineSettings) -> None:
        self.settings = settings
        self.context_every = 20 * settings.quotes_every
        self.fresh_for = 2 * settings.quotes_every
        if self.stream is not None:
            self.stream.set_symbols(settings.symbols)

    # ---- quotes in ----------------------------------------------------------------------

    def _arrived(self, quote: Quote) -> None:
        self._pending[quote.symbol] = quote
        self._wake.set()

    async def _deliver(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            batch, self._pending = self._pending, {}
            if batch:
                try:
                    await self._apply(QuoteBatch(self._clock.now(), batch))
                except Exception:  # noqa: BLE001 — one bad batch must not end streaming
                    log.exception("streamed quotes failed")

    # ---- what the quote book asks -------------------------------------------------------

    def polled(self, quotes: Iterable[Quote], now: datetime) -> None:
        """A poll's quotes: context for the stream's ticks."""
        self._polled_at = now
        for quote in quotes:
            if quote.usable:
                self._seeds[quote.symbol] = quote
                if self.stream is not None:
                    self.stream.seed(quote)

    def wants_poll(self, now: datetime) -> bool:
        """False while the stream keeps every open symbol fresh and context is recent."""
        stream = self.stream
        if stream is None or not stream.trusted() or self._polled_at is None:
            return True
        if now - self._polled_at >= timedelta(seconds=self.context_every):
            return True
        fresh = timedelta(seconds=self.fresh_for)
        for symbol in self.settings.symbols:
            if not sessions.is_open(symbol, now):
                continue
            last = stream.last_data_time(symbol)
            if last is None or now - last > fresh:
                return True
        return False

    def detail(self) -> str | None:
        """How live prices arrive now, for the quote source's status line."""
        stream = self.stream
        if stream is None:
            return None
        status = stream.source_status()
        if status.status is Status.OK:
            return "live: streaming"
        if status.status is Status.MARKET_CLOSED:
            return "stream connected, quiet"
        if status.status is Status.PENDING:
            return "stream connecting; polling"
        why = f" ({status.error})" if status.error else ""
        return f"stream down{why}; polling every {self.settings.quotes_every:g} s"
