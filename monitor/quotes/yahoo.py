"""Live quotes from Yahoo Finance through yfinance, one chart request per symbol.

Why this shape (yfinance 1.7, see STACK-FACTS):
- There is no batch chart endpoint: ``yf.download()`` makes one request per symbol anyway
  and hides per-symbol errors in a module global.  So each symbol gets its own
  ``Ticker.history(period="1d", interval="5m", prepost=True)`` in a bounded thread pool;
  that one chart request gives price, previous close, day range, volume, time (the
  chart ``meta``) and the day's 5-minute bars for the sparkline.
- yfinance and pandas are imported lazily (``import yfinance`` costs ~0.5 s).
- yfinance only raises per-symbol errors when ``yf.config.debug.hide_exceptions`` is
  False (``raise_errors=`` is deprecated), so this module sets it: the process owns
  yfinance.  Its data layer is a process-wide singleton: the session given here is the
  session of every yfinance caller in the process.
- yfinance itself retries any 4xx answer once after switching cookie strategy and
  fetching a fresh crumb: an expired crumb (401 Invalid Crumb) costs one silent retry.
  A 429 that persists on that retry raises ``YFRateLimitError``; then this source backs
  off (exponential, with jitter) and answers BACKOFF without any request until
  ``next_try``.
- The ticker's time zone is seeded into yfinance's tz cache from the session table (and
  corrected from the chart's ``exchangeTimezoneName``): otherwise every cold symbol
  costs an extra chart request, and an unknown symbol a quoteSummary lookup.  The tz
  only matters to yfinance for start/end requests, which this module does not make.

Prices are kept in the currency Yahoo quotes them in: ``GBp`` (pence) stays ``GBp``.
``prev_close`` is the chart's ``previousClose`` (sent on one-day intraday charts), else
``chartPreviousClose``, which for ``range=1d`` is the same previous session's close.
"""

from __future__ import annotations

import asyncio
import threading
import warnings
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from monitor import sessions
from monitor.clock import Clock
from monitor.model import DailyBar, Quote, QuoteBatch, SourceStatus, Status, known_volume
from monitor.quotes.backoff import Backoff
from monitor.quotes.yahoo_base import YahooSource
from monitor.quotes.yahoo_fields import (
    META_KEYS,
    Bar,
    failure_status,
    loose_number,
    quote_from_chart,
)
from monitor.text import one_line

T = TypeVar("T")

_USABLE = (Status.OK, Status.MARKET_CLOSED, Status.SUSPECT)
_setup_lock = threading.Lock()
_tz_cache_lock = threading.Lock()


def _rows(frame: Any) -> list[Bar]:
    """DataFrame rows (Datetime index, Open/High/Low/Close/Volume) -> plain tuples."""
    out: list[Bar] = []
    for t, o, h, lo, c, v in zip(
        frame.index,
        frame["Open"],
        frame["High"],
        frame["Low"],
        frame["Close"],
        frame["Volume"],
        strict=True,
    ):
        out.append((datetime.fromtimestamp(t.timestamp(), UTC), o, h, lo, c, v))
    return out


def _period_for(days: int) -> str:
    for limit, period in (
        (5, "5d"),
        (28, "1mo"),
        (89, "3mo"),
        (180, "6mo"),
        (365, "1y"),
        (730, "2y"),
        (1826, "5y"),
        (3652, "10y"),
    ):
        if days <= limit:
            return period
    return "max"


# ---- the source -----------------------------------------------------------------------


class YahooQuotes(YahooSource):
    """QuoteSource over yfinance's chart API (see the module docstring)."""

    name = "yfinance"

    def __init__(
        self,
        *,
        clock: Clock,
        cache_dir: Path,
        session: Any = None,
        concurrency: int = 8,
        quotes_every: float = 30,
        timeout: float = 10,
        backoff: Backoff | None = None,
    ) -> None:
        super().__init__(clock=clock, quotes_every=quotes_every, backoff=backoff)
        self._cache_dir = Path(cache_dir)
        self._session = session
        self._own_session = session is None
        self._concurrency = max(1, concurrency)
        self._timeout = timeout
        self._pool: ThreadPoolExecutor | None = None
        self._tickers: dict[str, Any] = {}
        self._yf: Any = None

    # ---- protocol ----------------------------------------------------------------

    async def fetch(self, symbols: Sequence[str]) -> QuoteBatch:
        wanted = list(dict.fromkeys(symbols))
        async with self._poll_lock:
            started = self._clock.now()
            if self._backoff.waiting(started):
                return QuoteBatch(started, {s: self._backing_off(s) for s in wanted})
            quotes = await self._in_threads([self._poll_one(s) for s in wanted])
            now = self._clock.now()
            self._record_poll(quotes, now)
            return QuoteBatch(now, {q.symbol: q for q in quotes})

    async def confirm(self, symbol: str) -> Quote | None:
        """``symbol``'s chart asked again at once, to check a suspect print (None while
        backing off or when the chart has no price)."""
        if self._backoff.waiting(self._clock.now()):
            return None
        quote = (await self._in_threads([self._poll_one(symbol)]))[0]
        return quote if quote.price is not None else None

    async def _fetch_daily(self, symbol: str, days: int, tz: Any) -> list[DailyBar] | None:
        """Daily bars through yfinance (``history`` caches them per exchange day)."""
        return (await self._in_threads([lambda: self._daily_bars(symbol, days)]))[0]

    async def aclose(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
        if self._own_session and self._session is not None:
            self._session.close()
            self._session = None

    # ---- threads -----------------------------------------------------------------

    async def _in_threads(self, calls: list[Callable[[], T]]) -> list[T]:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self._concurrency, thread_name_prefix="yahoo")
        loop = asyncio.get_running_loop()
        return list(await asyncio.gather(*(loop.run_in_executor(self._pool, c) for c in calls)))

    def _setup(self) -> Any:
        """Import and configure yfinance once per source (runs in a worker thread)."""
        with _setup_lock:
            if self._yf is None:
                import yfinance as yf

                (self._cache_dir / "yfinance").mkdir(parents=True, exist_ok=True)
                # One location for yfinance's tz, cookie and ISIN caches (never ~/.cache).
                yf.set_tz_cache_location(str(self._cache_dir / "yfinance"))
                yf.config.debug.hide_exceptions = False
                # pandas deprecation chatter from inside yfinance is not for our users.
                warnings.filterwarnings("ignore", module=r"yfinance(\.|$)")
                if self._session is None:
                    from curl_cffi import requests as curl_requests

                    self._session = curl_requests.Session(impersonate="chrome")
                self._yf = yf
        return self._yf

    def _ticker(self, symbol: str, *, fresh: bool = False) -> Any:
        yf = self._setup()
        if not fresh and symbol in self._tickers:
            return self._tickers[symbol]
        from yfinance import cache

        # The tz cache is one SQLite file: concurrent writers get "database is locked".
        with _tz_cache_lock:
            tz_cache = cache.get_tz_cache()
            if tz_cache.lookup(symbol) is None:
                tz_cache.store(symbol, sessions.market_for(symbol).tz.key)
        ticker = yf.Ticker(symbol, session=self._session)
        if not fresh:
            self._tickers[symbol] = ticker
        return ticker

    # ---- one symbol (worker thread) ----------------------------------------------

    def _poll_one(self, symbol: str) -> Callable[[], Quote]:
        return lambda: self._quote(symbol)

    def _quote(self, symbol: str) -> Quote:
        try:
            ticker = self._ticker(symbol)
            frame = ticker.history(
                period="1d",
                interval="5m",
                prepost=True,
                auto_adjust=False,
                actions=False,
                timeout=self._timeout,
            )
            meta = _read_meta(ticker)
            quote = quote_from_chart(symbol, meta, _rows(frame), self._clock.now())
        except Exception as exc:  # noqa: BLE001 - every failure becomes the symbol's status
            return self._failed(symbol, exc)
        self._learn_tz(symbol, meta)
        return quote

    def _failed(self, symbol: str, exc: Exception) -> Quote:
        status = failure_status(exc)
        if type(exc).__name__ == "YFPricesMissingError":
            # The chart came back without bars: a valid meta means a closed day.
            meta = _read_meta(self._tickers.get(symbol))
            if meta.get("exchangeTimezoneName") and meta.get("regularMarketPrice") is not None:
                return quote_from_chart(symbol, meta, [], self._clock.now())
        return Quote(symbol=symbol, status=status, error=_describe(status, exc))

    def _learn_tz(self, symbol: str, meta: Mapping[str, Any]) -> None:
        tz = meta.get("exchangeTimezoneName")
        if isinstance(tz, str) and tz != sessions.market_for(symbol).tz.key:
            from yfinance import cache

            with _tz_cache_lock:
                cache.get_tz_cache().store(symbol, tz)

    def _daily_bars(self, symbol: str, days: int) -> list[DailyBar] | None:
        try:
            ticker = self._ticker(symbol, fresh=True)
            frame = ticker.history(
                period=_period_for(days + 7),
                interval="1d",
                auto_adjust=False,
                actions=False,
                timeout=self._timeout,
            )
        except Exception as exc:  # noqa: BLE001 - history is best effort: [] on failure
            if failure_status(exc) is Status.RATE_LIMITED:
                self._backoff.fail(self._clock.now())
            return None
        return _daily(symbol, frame)

    # ---- bookkeeping -------------------------------------------------------------

    def _record_poll(self, quotes: list[Quote], now: datetime) -> None:
        last_ok = self._status.last_ok
        if any(q.status is Status.RATE_LIMITED for q in quotes):
            next_try = self._backoff.fail(now)
            self._status = SourceStatus(
                self.name,
                "quotes",
                Status.RATE_LIMITED,
                error="Yahoo answered 429 Too Many Requests",
                next_try=next_try,
                last_ok=last_ok,
                last_poll=now,
            )
            return
        failed = [q for q in quotes if q.status not in _USABLE]
        if len(failed) < len(quotes) or not quotes:
            self._backoff.succeed()
            detail = ", ".join(f"{q.symbol}: {q.status.value}" for q in failed) or None
            self._status = SourceStatus(
                self.name, "quotes", Status.OK, last_ok=now, last_poll=now, detail=detail
            )
            return
        statuses = {q.status for q in failed}
        # No network at all: hammering a dead link every poll helps nobody; back off too.
        offline = statuses <= {Status.UNREACHABLE, Status.TIMEOUT}
        retry = self._backoff.fail(now) if offline else None
        status = statuses.pop() if len(statuses) == 1 else Status.ERROR
        self._status = SourceStatus(
            self.name,
            "quotes",
            status,
            error=failed[0].error,
            next_try=retry,
            last_ok=last_ok,
            last_poll=now,
        )


def _read_meta(ticker: Any) -> dict[str, Any]:
    """The chart meta of the ticker's last request.

    Reads keys one by one: ``tradingPeriods`` is lazy in yfinance and reading it (or
    ``dict(...)`` of the whole mapping) would fire another request.
    """
    if ticker is None:
        return {}
    try:
        meta = ticker.history_metadata
    except Exception:  # noqa: BLE001 - no meta is an answer too
        return {}
    return {k: meta.get(k) for k in META_KEYS if k in meta.keys()}


def _daily(symbol: str, frame: Any) -> list[DailyBar]:
    bars = []
    for t, o, h, lo, c, v in zip(
        frame.index,
        frame["Open"],
        frame["High"],
        frame["Low"],
        frame["Close"],
        frame["Volume"],
        strict=True,
    ):
        close = loose_number(c)
        if close is not None:
            n = loose_number
            volume = known_volume(symbol, n(v))
            bars.append(DailyBar(t.date(), n(o), n(h), n(lo), close, volume))
    return bars


def _describe(status: Status, exc: Exception) -> str:
    text = one_line(str(exc)) or type(exc).__name__  # it may quote Yahoo's answer
    if status is Status.UNKNOWN_SYMBOL:
        return f"unknown symbol: {text}"
    return text if len(text) <= 200 else text[:197] + "..."
