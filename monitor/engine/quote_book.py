"""The quote book: the latest quote of every symbol, merged batch by batch.

A failed poll keeps the last good values (with their age); a quote that stops moving
turns stale; suspect data is logged once.  Every print is checked for plausibility
(``suspects``, rule in ``monitor.plausibility``): a suspect one is shown marked, not
stored nor alerted on, and checked at once through the source's ``confirm`` (its
chart) until it is confirmed, dropped, or released unverified after two minutes.  The
book also keeps the daily history that gives rules their context (volume ratios,
"largest drop since", limit-up streaks) and prunes old snapshots from the store.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import date, datetime, timedelta
from typing import Protocol

from monitor.clock import Clock
from monitor.engine.build import EngineSettings
from monitor.engine.snapshots import Snapshots
from monitor.engine.sources import Emit, SourceBoard, Spawn
from monitor.engine.suspects import Suspects
from monitor.events import QuotesEvent
from monitor.model import DailyBar, Quote, QuoteBatch, SourceStatus, Status
from monitor.price_limits import board_limit, limit_up_streak, listing_without_limit
from monitor.quotes.base import Confirms, QuoteSource
from monitor.sessions import is_stale, market_for
from monitor.store import StoreWorker

log = logging.getLogger(__name__)

#: daily history kept for alert context ("largest one-day drop since 2020-03-18")
HISTORY_DAYS = 3650
#: days of quote snapshots kept for sparklines and charts
QUOTE_DAYS = 3
#: statuses of a symbol that make the whole source look unwell
_SOURCE_TROUBLE = {Status.RATE_LIMITED, Status.UNREACHABLE, Status.BACKOFF}
#: the longest a source's confirmation of a suspect print is waited for
CONFIRM_TIMEOUT = 30.0


class LivePath(Protocol):
    """What the book asks of a streamed price path (``live_stream.LiveStream``)."""

    def configure(self, settings: EngineSettings) -> None: ...
    def wants_poll(self, now: datetime) -> bool: ...
    def polled(self, quotes: Iterable[Quote], now: datetime) -> None: ...
    def detail(self) -> str | None: ...


class QuoteBook:
    """Merges quote batches, stores them and hands each to the rules (``on_batch``)."""

    def __init__(
        self,
        settings: EngineSettings,
        *,
        source: QuoteSource,
        clock: Clock,
        store: StoreWorker,
        emit: Emit,
        board: SourceBoard,
        on_batch: Callable[[], Awaitable[None]],
        spawn: Spawn,
    ) -> None:
        self.live: LivePath | None = None
        self.settings = settings
        self.source = source
        self._clock = clock
        self._emit = emit
        self._board = board
        self._on_batch = on_batch
        self.latest: dict[str, Quote] = {}
        self.previous: dict[str, Quote] = {}
        self.history: dict[str, list[DailyBar]] = {}
        self._history_days: dict[str, date] = {}  # the market day each history is for
        self._suspect: dict[str, str | None] = {}  # symbol -> reason already logged
        self._spawn = spawn
        self.suspects = Suspects()
        self._asking: dict[str, asyncio.Task[None]] = {}  # symbol -> its confirmation
        self._pruned_at: datetime | None = None
        self.snapshots = Snapshots(store)  # stored behind the updates, once a minute
        self._lock = asyncio.Lock()  # one poll at a time
        self._apply_lock = asyncio.Lock()  # one batch merged at a time (polls, stream)

    @property
    def settings(self) -> EngineSettings:
        return self._settings

    @settings.setter
    def settings(self, settings: EngineSettings) -> None:  # a config reload reaches the stream
        self._settings = settings
        if self.live is not None:
            self.live.configure(settings)

    @property
    def clock(self) -> Clock:
        return self._clock

    def clear(self) -> None:
        """Forget every quote (a replay starting over); the daily history is read again
        for the replay's first day."""
        self.latest.clear()
        self.previous.clear()
        self.snapshots.clear()
        self.suspects.clear()
        self._history_days.clear()

    async def poll(self) -> dict[str, Quote]:
        """One quote poll of the whole watchlist (live sources)."""
        if self._lock.locked():  # a poll already running is not started twice
            async with self._lock:
                return dict(self.latest)
        if self.live is not None and not self.live.wants_poll(self._clock.now()):
            return dict(self.latest)  # the stream keeps every open symbol fresh
        async with self._lock:
            batch = await self.source.fetch(self.settings.symbols)
            await self.process_batch(batch)
            if self.live is not None:  # context for streamed ticks: as kept, never a
                kept = [self.latest[s] for s in batch.quotes if s in self.latest]
                self.live.polled(kept, self._clock.now())  # suspect print's own day range
            await self.settle()
            return dict(self.latest)

    def live_changed(self) -> None:
        """The streamed path changed state: show it in the quote source's status."""
        self._board.set(self._source_status({}, self._clock.now()))

    async def process_batch(self, batch: QuoteBatch, *, evaluate: bool = True) -> None:
        """Merge one batch, store it, emit it and evaluate every rule once on it."""
        async with self._apply_lock:
            await self._process(batch, evaluate)

    async def _process(self, batch: QuoteBatch, evaluate: bool) -> None:
        now = self._clock.now()
        merged = {sym: self._merge(self.latest.get(sym), q, now) for sym, q in batch.quotes.items()}
        checked = {sym: self._check(q, now) for sym, q in merged.items()}
        checked.update(self.suspects.expired(now))
        await self._publish(batch.time, checked, now, evaluate)
        self._ask()

    async def _publish(
        self, time: datetime, quotes: dict[str, Quote], now: datetime, evaluate: bool
    ) -> None:
        """Take ``quotes`` into the book, emit them, evaluate the rules, store them."""
        self.previous = dict(self.latest)
        self.latest.update(quotes)
        self._log_suspect(quotes)
        aged = self._age_quotes(now, skip=quotes)
        self._emit(QuotesEvent(QuoteBatch(time, {**aged, **quotes})))
        self._board.set(self._source_status(quotes, now))
        if evaluate:  # first: an alert waits for no write but its own
            await self._on_batch()
        held = self.suspects.pending
        self.snapshots.add({s: q for s, q in quotes.items() if s not in held}, time)
        self._prune(now)

    async def close(self) -> None:
        """Close the source, then store what ``Snapshots`` held back."""
        await self.source.aclose()
        await self.snapshots.flush()

    # ---- suspect prints ----------------------------------------------------------------

    def _check(self, quote: Quote, now: datetime) -> Quote:
        bars = self.history.get(quote.symbol)
        listing = bars is not None and listing_without_limit(quote.symbol, len(bars))
        return self.suspects.check(
            quote, now, before=self.latest.get(quote.symbol), listing=listing
        )

    def _ask(self) -> None:
        """Ask the source at once about each new suspect print (its chart, live)."""
        if not isinstance(self.source, Confirms):
            self.suspects.to_ask()  # nothing to ask: next print or two minutes decide
            return
        for symbol in self.suspects.to_ask(busy=set(self._asking)):
            self._asking[symbol] = self._spawn(self._confirm(self.source, symbol))

    async def _confirm(self, source: Confirms, symbol: str) -> None:
        try:
            answer = await asyncio.wait_for(source.confirm(symbol), CONFIRM_TIMEOUT)
        except Exception as exc:  # noqa: BLE001 — a failed check leaves the print pending
            log.warning("%s: no confirmation of the suspect print: %s", symbol, exc)
            answer = None
        finally:
            self._asking.pop(symbol, None)
        async with self._apply_lock:
            now = self._clock.now()
            kept = self.suspects.answered(symbol, answer, now)
            if kept is not None:
                await self._publish(now, {symbol: kept}, now, evaluate=True)
        self._ask()  # a newer suspect print that arrived meanwhile

    async def settle(self) -> None:
        """Wait for the confirmations asked for (a poll returns once they are in)."""
        while self._asking:
            await asyncio.gather(*self._asking.values(), return_exceptions=True)

    def _prune(self, now: datetime) -> None:
        """Hourly, drop quote snapshots older than QUOTE_DAYS: the database of a monitor
        left running for months stays small (the latest quote of each symbol stays)."""
        if self._pruned_at is not None and now - self._pruned_at < timedelta(hours=1):
            return
        self._pruned_at = now
        cutoff = now - timedelta(days=QUOTE_DAYS)
        self.snapshots.behind(lambda s: s.prune_quotes(cutoff))

    def _age_quotes(self, now: datetime, *, skip: dict[str, Quote]) -> dict[str, Quote]:
        """Quotes this batch did not refresh that have gone stale meanwhile."""
        aged = {}
        for symbol, quote in self.latest.items():
            if symbol in skip or quote.status != Status.OK:
                continue
            if is_stale(quote, now, self.settings.quotes_every):
                aged[symbol] = dataclasses.replace(quote, status=Status.STALE)
        self.latest.update(aged)
        return aged

    def _merge(self, old: Quote | None, new: Quote, now: datetime) -> Quote:
        """Keep the last good values (with their age) when a symbol's poll failed."""
        if new.price is None and old is not None and old.price is not None:
            return dataclasses.replace(old, status=new.status, error=new.error)
        if _behind(old, new):  # a poll behind the stream: its context, the newer price
            assert old is not None
            new = _newer_price(old, new)
        if new.status == Status.OK and is_stale(new, now, self.settings.quotes_every):
            return dataclasses.replace(new, status=Status.STALE)
        return new

    def _log_suspect(self, quotes: dict[str, Quote]) -> None:
        """Log suspect data once per symbol and reason, not on every poll."""
        for symbol, quote in quotes.items():
            if quote.status != Status.SUSPECT:
                self._suspect.pop(symbol, None)
            elif self._suspect.get(symbol, "") != quote.error:
                self._suspect[symbol] = quote.error
                log.warning(
                    "%s: data suspect (%s); rules wait for good data",
                    symbol,
                    quote.error or "flagged by the source",
                )

    def _source_status(self, quotes: dict[str, Quote], now: datetime) -> SourceStatus:
        base = self.source.source_status()
        bad = {q.status for q in quotes.values()} & _SOURCE_TROUBLE
        if base.status == Status.OK and bad:
            base = dataclasses.replace(base, status=sorted(bad)[0])
        missing = [s for s, q in quotes.items() if q.status == Status.UNKNOWN_SYMBOL]
        detail = f"unknown: {', '.join(missing)}" if missing else base.detail
        live = self.live.detail() if self.live is not None else None
        if live:
            detail = f"{detail}; {live}" if detail else live
        return dataclasses.replace(
            base, name=self.source.name, kind="quotes", last_poll=now, detail=detail
        )

    # ---- daily history -----------------------------------------------------------------

    async def load_history(self, symbols: Iterable[str] | None = None) -> None:
        """Daily history for rules that need it (volume_x, 'largest since', streaks)."""
        for symbol in self.settings.history_symbols() if symbols is None else symbols:
            try:
                bars = await self.source.history(symbol, days=HISTORY_DAYS)
            except Exception:  # noqa: BLE001 — history only adds context
                log.exception("history for %s failed", symbol)
                continue
            if bars:
                self.history[symbol] = list(bars)

    async def follow_history(self, now: datetime) -> None:
        """A replay's history moves with its clock: on each new market day of a symbol
        its bars before that day (the replayed days among them) are read again, so an
        alert's context comes from every earlier session, in a replay of any length."""
        due = []
        for symbol in self.settings.history_symbols():
            day = now.astimezone(market_for(symbol).tz).date()
            if self._history_days.get(symbol) != day:
                self._history_days[symbol] = day
                due.append(symbol)
        if due:
            await self.load_history(due)

    def limit_streak(self, symbol: str) -> int | None:
        """Consecutive limit-up sessions of an A-share, counting today (None: unknown)."""
        quote = self.latest.get(symbol)
        bars = self.history.get(symbol)
        if not bars or board_limit(symbol) is None:
            return None
        name = quote.name if quote else None
        return limit_up_streak(bars, symbol, name, today=quote if quote and quote.usable else None)

    async def daily_history(self, symbol: str) -> list[DailyBar]:
        if symbol not in self.history:
            self.history[symbol] = list(await self.source.history(symbol))
        return self.history[symbol]


def _behind(old: Quote | None, new: Quote) -> bool:
    """``new`` is usable but older than the usable ``old`` it would replace."""
    return (  # the times first: a newer quote (nearly every one) is decided by them
        old is not None
        and old.as_of is not None
        and new.as_of is not None
        and new.as_of < old.as_of
        and old.usable
        and new.usable
    )


def _newer_price(old: Quote, new: Quote) -> Quote:
    def pick(f: Callable[..., float], a: float | None, b: float | None) -> float | None:
        return b if a is None else a if b is None else f(a, b)

    return dataclasses.replace(
        new,
        price=old.price,
        as_of=old.as_of,
        market_state=old.market_state,
        high=pick(max, new.high, old.high),
        low=pick(min, new.low, old.low),
        volume=pick(max, new.volume, old.volume),
    )
