"""Live prices pushed by Yahoo's streamer, over one websocket for the whole watchlist.

``YahooStream.run()`` connects to ``wss://streamer.finance.yahoo.com/?version=2``, sends
``{"subscribe": [...]}`` (again every ``resubscribe_every`` seconds, as Yahoo's own page
and yfinance do), and hands each regular-session price to ``on_quote`` as a model
``Quote``: the tick's numbers over the context of the latest polled quote (``seed``),
whose name, intraday bars and shares outstanding the stream does not carry.  Pre- and
post-market ticks are not prices here (the polled quotes show the regular price then
too); they still count as a live stream.

Nothing from the stream is trusted blindly:

- a frame that cannot be read (not JSON, not base64, not a ``PricingData``) is counted
  and dropped alone (``bad_messages``, ``last_bad``);
- a stream that says nothing for ``silent_after`` seconds while one of its markets is
  open is *silent*: reported (status ``stale``), dropped and reconnected; while no
  market is open silence is expected (status ``market_closed``);
- a dropped or refused connection is retried with exponential backoff and jitter
  (``backoff_base`` doubling up to ``backoff_cap``; the count restarts only after a
  connection stayed up ``stable_after`` seconds, so a flapping server is not hammered);
- each symbol's freshness is its own data time (``last_data_time``), never the time a
  frame happened to arrive; a tick older than the last one applied is ignored.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from monitor import sessions
from monitor.clock import Clock
from monitor.model import MarketState, Quote, SourceStatus, Status
from monitor.quotes.stream_wire import (
    HEARTBEAT,
    MAX_FRAME,
    REGULAR_MARKET,
    BadMessage,
    Tick,
    decode_frame,
)

STREAM_URL = "wss://streamer.finance.yahoo.com/?version=2"
#: a tick stamped further ahead than this is suspect
FUTURE_SLACK = timedelta(seconds=60)

log = logging.getLogger(__name__)


class Silent(Exception):
    """No message for ``silent_after`` seconds while a market is open."""


def quote_from_tick(tick: Tick, base: Quote | None, symbol: str, now: datetime) -> Quote | None:
    """The Quote a regular-session tick makes over ``base`` (the latest polled quote), or
    None when the tick carries no regular price."""
    if tick.market_hours != REGULAR_MARKET or tick.price is None:
        return None
    price = tick.price
    same_day = (
        base is not None
        and base.as_of is not None
        and tick.time is not None
        and sessions.trading_day(symbol, base.as_of) == sessions.trading_day(symbol, tick.time)
    )
    day = base if same_day else None
    prev = tick.previous_close
    if prev is None and tick.change is not None:
        prev = round(price - tick.change, 6)
    if prev is None and day is not None:
        prev = day.prev_close
    status, error = Status.OK, None
    if tick.time is not None and tick.time > now + FUTURE_SLACK:
        status, error = Status.SUSPECT, "stream time is in the future"
    return Quote(
        symbol=symbol,
        price=price,
        prev_close=prev,
        open=tick.open or (day.open if day else None),
        high=tick.day_high or _extreme(max, day.high if day else None, price),
        low=tick.day_low or _extreme(min, day.low if day else None, price),
        volume=tick.day_volume or (day.volume if day else None),
        currency=tick.currency or (base.currency if base else None),
        market_state=MarketState.REGULAR,
        as_of=tick.time,
        status=status,
        error=error,
        name=(base.name if base else None) or tick.short_name,
        shares_outstanding=base.shares_outstanding if base else None,
        intraday=day.intraday if day else (),
    )


def _extreme(pick: Callable[[float, float], float], known: float | None, price: float) -> float:
    return price if known is None else pick(known, price)


class YahooStream:
    """One websocket to Yahoo's streamer for a set of symbols; see the module notes."""

    name = "Yahoo stream"

    def __init__(
        self,
        symbols: Iterable[str],
        *,
        on_quote: Callable[[Quote], Any],
        clock: Clock,
        on_status: Callable[[SourceStatus], Any] | None = None,
        url: str = STREAM_URL,
        silent_after: float = 60.0,
        resubscribe_every: float = 15.0,
        backoff_base: float = 2.0,
        backoff_cap: float = 300.0,
        stable_after: float = 60.0,
        rng: random.Random | None = None,
    ) -> None:
        self.url = url
        self.silent_after = silent_after
        self.resubscribe_every = resubscribe_every
        self.backoff_base, self.backoff_cap, self.stable_after = (
            backoff_base,
            backoff_cap,
            stable_after,
        )
        self._on_quote, self._on_status, self._clock = on_quote, on_status, clock
        self._rng = rng or random.Random()
        self._wanted: dict[str, str] = {}  # upper-case id -> the symbol as configured
        self._base: dict[str, Quote] = {}
        self._last_time: dict[str, datetime] = {}
        self._ws: Any = None
        self._sends: set[asyncio.Task[None]] = set()  # held until done (not collected)
        self._failures = 0
        self._status = SourceStatus(self.name, "quotes", Status.PENDING)
        self.connects = 0
        self.bad_messages = 0
        self.last_bad: str | None = None
        self.set_symbols(symbols)

    # ---- what the engine reads and feeds ------------------------------------------------

    def source_status(self) -> SourceStatus:
        return self._status

    def trusted(self) -> bool:
        """True while connected and hearing from Yahoo (or quiet with every market shut)."""
        return self._status.status in (Status.OK, Status.MARKET_CLOSED)

    def last_data_time(self, symbol: str) -> datetime | None:
        """The data time of the last price applied for ``symbol``."""
        return self._last_time.get(symbol)

    def seed(self, quote: Quote) -> None:
        """The latest polled quote of a symbol: context for the ticks that follow."""
        self._base[quote.symbol] = quote

    def set_symbols(self, symbols: Iterable[str]) -> None:
        """Follow these symbols from now on (sent at once when connected)."""
        wanted = {s.upper(): s for s in symbols}
        added = [s for k, s in wanted.items() if k not in self._wanted]
        removed = [s for k, s in self._wanted.items() if k not in wanted]
        self._wanted = wanted
        if self._ws is not None:
            for verb, symbols in (("subscribe", added), ("unsubscribe", removed)):
                if symbols:
                    task = asyncio.ensure_future(self._send({verb: symbols}))
                    self._sends.add(task)
                    task.add_done_callback(self._sends.discard)

    # ---- the connection loop ------------------------------------------------------------

    async def run(self) -> None:
        """Connect, read and reconnect until cancelled."""
        from websockets.asyncio.client import connect

        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            try:
                async with connect(
                    self.url, open_timeout=10, close_timeout=2, max_size=MAX_FRAME
                ) as ws:
                    self.connects += 1
                    self._ws = ws
                    try:
                        await self._read(ws)
                    finally:
                        self._ws = None
            except Silent as exc:
                self._report(Status.STALE, str(exc))
            except Exception as exc:  # websockets' and the OS's many ways to fail
                self._report(Status.UNREACHABLE, _reason(exc))
            if loop.time() - started >= self.stable_after:
                self._failures = 0
            await asyncio.sleep(self._next_delay())

    def _next_delay(self) -> float:
        self._failures += 1
        delay = min(self.backoff_cap, self.backoff_base * 2 ** (self._failures - 1))
        delay *= 0.5 + self._rng.random()  # jitter: many monitors must not retry in step
        self._status = replace(self._status, next_try=self._clock.now() + timedelta(seconds=delay))
        return delay

    async def _send(self, message: dict[str, list[str]]) -> None:
        ws = self._ws
        if ws is not None:
            try:
                await ws.send(json.dumps(message))
            except Exception as exc:  # the read loop sees the closed connection too
                log.debug("stream send failed: %s", exc)

    async def _read(self, ws: Any) -> None:
        loop = asyncio.get_running_loop()
        await ws.send(json.dumps({"subscribe": list(self._wanted.values())}))
        heard = next_subscribe = loop.time()
        next_subscribe += self.resubscribe_every
        while True:
            wait = min(heard + self.silent_after, next_subscribe) - loop.time()
            try:
                async with asyncio.timeout(max(wait, 0.0)):
                    frame = await ws.recv()
            except TimeoutError:
                now = loop.time()
                if now >= next_subscribe:
                    await ws.send(json.dumps({"subscribe": list(self._wanted.values())}))
                    next_subscribe = now + self.resubscribe_every
                if now - heard >= self.silent_after:
                    if self._market_open():
                        raise Silent(
                            f"no message for {self.silent_after:g} s while a market is open"
                        ) from None
                    self._report(Status.MARKET_CLOSED, None)
                    heard = now
                continue
            heard = loop.time()
            self._handle(frame)

    def _market_open(self) -> bool:
        now = self._clock.now()
        return any(sessions.is_open(s, now) for s in self._wanted.values())

    # ---- one frame ----------------------------------------------------------------------

    def _handle(self, frame: str | bytes) -> None:
        try:
            tick = decode_frame(frame)
        except BadMessage as exc:
            self.bad_messages += 1
            self.last_bad = str(exc)
            log.debug("stream frame dropped: %s", exc)
            return
        now = self._clock.now()
        if self._status.status is not Status.OK:
            self._report(Status.OK, None)
        self._status = replace(self._status, last_ok=now, last_poll=now)
        if tick is None or tick.quote_type == HEARTBEAT:
            return
        symbol = self._wanted.get(tick.symbol.upper())
        if symbol is None:
            return
        last = self._last_time.get(symbol)
        if last is not None and tick.time is not None and tick.time < last:
            return
        quote = quote_from_tick(tick, self._base.get(symbol), symbol, now)
        if quote is None:
            return
        if tick.time is not None and quote.status is Status.OK:
            self._last_time[symbol] = tick.time
        try:
            self._on_quote(quote)
        except Exception:
            log.exception("stream quote handler failed for %s", symbol)

    def _report(self, status: Status, error: str | None) -> None:
        self._status = replace(self._status, status=status, error=error, next_try=None)
        if self._on_status is not None:
            self._on_status(self._status)


def _reason(exc: BaseException) -> str:
    text = str(exc).splitlines()[0][:120] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
