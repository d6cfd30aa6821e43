"""Live quotes from Yahoo's batch quote endpoint; yfinance only for daily history.

Why (figures in bench/README.md, benchmark #3): keeping 100 symbols fresh every 30 s
through yfinance costs one chart request per symbol per refresh (200 requests a
minute, the kind of load that trips Yahoo's 429 waves) and pandas in the process
(~70 MB).  Here one refresh is:

- one ``/v7/finance/quote?symbols=A,B,...`` request per 200 symbols: price, previous
  close, day range, volume, time, currency, name for every symbol at once (it needs
  the cookie from ``fc.yahoo.com`` and a crumb from ``/v1/test/getcrumb``, fetched
  once and again after a ``401 Invalid Crumb``);
- a few ``/v8/finance/chart`` requests (the same chart yfinance reads): each symbol's
  5-minute bars for its sparkline and open, and Yahoo's trading periods for its
  market state, refreshed every ``chart_every`` seconds (default 20 refreshes: 10 min
  at 30 s) in a rolling share of the watchlist; between refreshes the live price
  extends the bars.

Both answers go through ``quote_from_chart``, so statuses mean exactly what they mean
for the yfinance source (``suspect`` closes, ``market_closed``, ``no_data``).  The
requests go through curl_cffi impersonating a browser, as yfinance does (Yahoo
answers plain HTTP clients with 429).  Daily history stays yfinance's: the inherited
``YahooQuotes.history`` imports it on first use only.
"""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from monitor.clock import Clock
from monitor.model import DailyBar, Quote, QuoteBatch, Status
from monitor.quotes.yahoo import (
    Backoff,
    Bar,
    YahooQuotes,
    _num,
    _utc,
    failure_status,
    quote_from_chart,
)
from monitor.text import one_line

QUERY_URL = "https://query1.finance.yahoo.com"
COOKIE_URL = "https://fc.yahoo.com"
#: symbols per quote request (Yahoo takes more; a short URL is kinder to proxies)
CHUNK = 200
#: only what ``quote_from_chart`` reads: a smaller answer
FIELDS = ",".join((
    "symbol", "quoteType", "currency", "exchangeTimezoneName", "regularMarketPrice",
    "regularMarketPreviousClose", "regularMarketOpen", "regularMarketDayHigh",
    "regularMarketDayLow", "regularMarketVolume", "regularMarketTime", "longName",
    "shortName", "sharesOutstanding",
))  # fmt: skip


#: Yahoo's chart ranges by the days of daily history they cover
SPANS = ((360, "1y"), (720, "2y"), (1800, "5y"), (3600, "10y"))


#: curl's error codes as a person would say them (the raw text runs to two lines)
CURL_REASONS = {
    5: "proxy not resolved",
    6: "name not resolved",
    7: "connection refused",
    28: "timed out",
    35: "TLS handshake failed",
    52: "empty reply",
    56: "connection reset",
}


def short_reason(exc: Exception) -> str:
    """A one-line reason for a failed refresh: 'Yahoo: name not resolved'."""
    match = re.search(r"curl: \((\d+)\)", str(exc))
    if match and int(match.group(1)) in CURL_REASONS:
        return f"Yahoo: {CURL_REASONS[int(match.group(1))]}"
    text = str(exc) or type(exc).__name__
    return one_line(text.splitlines()[0], max_len=160)  # it may quote Yahoo's answer


def _chrome_session(cookies: Any) -> Any:
    """A curl_cffi session that looks like Chrome to Yahoo (as yfinance's does)."""
    from curl_cffi.requests import AsyncSession

    return AsyncSession(impersonate="chrome", cookies=cookies)


class RateLimited(Exception):
    """Yahoo answered 429 Too Many Requests."""


class YahooHTTPError(Exception):
    """Yahoo answered an unexpected HTTP status."""


def meta_from_quote(row: Mapping[str, Any], chart_meta: Mapping[str, Any]) -> dict[str, Any]:
    """A chart-style meta from one v7 quote row, with the chart's trading periods."""
    meta = {
        "currency": row.get("currency"),
        "instrumentType": row.get("quoteType"),
        "exchangeTimezoneName": row.get("exchangeTimezoneName"),
        "regularMarketPrice": row.get("regularMarketPrice"),
        "previousClose": row.get("regularMarketPreviousClose"),
        "regularMarketDayHigh": row.get("regularMarketDayHigh"),
        "regularMarketDayLow": row.get("regularMarketDayLow"),
        "regularMarketVolume": row.get("regularMarketVolume"),
        "regularMarketTime": row.get("regularMarketTime"),
        "regularMarketOpen": row.get("regularMarketOpen"),
        "longName": row.get("longName"),
        "shortName": row.get("shortName"),
    }
    if "currentTradingPeriod" in chart_meta:
        meta["currentTradingPeriod"] = chart_meta["currentTradingPeriod"]
    return meta


def bars_from_chart(result: Mapping[str, Any]) -> list[Bar]:
    """The (time, open, high, low, close, volume) bars of one chart result."""
    times = result.get("timestamp") or []
    quote = ((result.get("indicators") or {}).get("quote") or [{}])[0] or {}
    columns = [quote.get(k) or [] for k in ("open", "high", "low", "close", "volume")]
    bars: list[Bar] = []
    for i, stamp in enumerate(times):
        t = _utc(stamp)
        values = [_num(col[i]) if i < len(col) else None for col in columns]
        if t is not None and values[3] is not None:
            bars.append((t, *values))  # type: ignore[arg-type]
    return bars


def live_bars(bars: Sequence[Bar], row: Mapping[str, Any]) -> list[Bar]:
    """The chart's bars extended by the live price when it is newer than the last bar."""
    price, when = _num(row.get("regularMarketPrice")), _utc(row.get("regularMarketTime"))
    out = list(bars)
    if price is not None and when is not None and (not out or when > out[-1][0]):
        out.append((when, price, price, price, price, 0.0))
    return out


class YahooLiveQuotes(YahooQuotes):
    """QuoteSource: batch quotes plus rolling charts (see the module docstring)."""

    name = "Yahoo Finance"

    def __init__(
        self,
        *,
        clock: Clock,
        cache_dir: Path,
        session: Any = None,
        live_session: Any = None,
        live_session_factory: Callable[[Any], Any] | None = None,
        quotes_every: float = 30,
        chart_every: float | None = None,
        timeout: float = 10,
        backoff: Backoff | None = None,
        concurrency: int = 8,
    ) -> None:
        super().__init__(
            clock=clock,
            cache_dir=cache_dir,
            session=session,
            concurrency=concurrency,
            quotes_every=quotes_every,
            timeout=timeout,
            backoff=backoff,
        )
        self._live = live_session
        self._own_live = live_session is None
        self._live_cookies: Any = None
        self._new_live = live_session_factory or _chrome_session
        self._live_users = 0  # polls and history reads using the session right now
        self._chart_every = chart_every if chart_every is not None else 20 * quotes_every
        self._quotes_every = quotes_every
        self._crumb: str | None = None
        self._charts: dict[str, tuple[datetime, dict[str, Any], list[Bar]]] = {}
        self._chart_gate = asyncio.Semaphore(max(1, concurrency))

    # ---- protocol ----------------------------------------------------------------

    async def fetch(self, symbols: Sequence[str]) -> QuoteBatch:
        wanted = list(dict.fromkeys(symbols))
        async with self._poll_lock:
            started = self._clock.now()
            if self._backoff.waiting(started):
                return QuoteBatch(started, {s: self._backing_off(s) for s in wanted})
            self._live_users += 1
            try:
                rows = await self._quote_rows(wanted)
                await self._refresh_charts([s for s in wanted if s in rows], started)
                now = self._clock.now()
                quotes = [self._quote_of(s, rows.get(s), now) for s in wanted]
            except Exception as exc:  # noqa: BLE001 - the whole refresh failed alike
                quotes = [self._failed_all(s, exc) for s in wanted]
            finally:
                await self._release_live()
            now = self._clock.now()
            self._record_poll(quotes, now)
            return QuoteBatch(now, {q.symbol: q for q in quotes})

    async def _release_live(self) -> None:
        """Close our HTTP session between polls, keeping its cookies (and the crumb):
        an open curl_cffi AsyncSession wakes the event loop ten times a second, which
        was most of the monitor's CPU at idle."""
        self._live_users -= 1
        if self._live_users == 0 and self._own_live and self._live is not None:
            self._live_cookies = self._live.cookies
            await self._live.close()
            self._live = None

    async def aclose(self) -> None:
        await super().aclose()
        if self._own_live and self._live is not None:
            await self._live.close()
        self._live = None

    # ---- requests ----------------------------------------------------------------

    def _live_http(self) -> Any:
        if self._live is None:
            self._live = self._new_live(self._live_cookies)
        return self._live

    async def _get(self, url: str, params: Mapping[str, str] | None = None) -> Any:
        return await self._live_http().get(
            url, params=dict(params or {}), timeout=self._timeout, allow_redirects=True
        )

    async def _ensure_crumb(self, *, fresh: bool = False) -> str:
        if self._crumb is None or fresh:
            await self._get(COOKIE_URL)  # sets Yahoo's cookie (the page itself is a 404)
            answer = await self._get(QUERY_URL + "/v1/test/getcrumb")
            if answer.status_code == 429:
                raise RateLimited("Yahoo answered 429 Too Many Requests")
            crumb = answer.text.strip()
            if answer.status_code != 200 or not crumb or "<" in crumb:
                raise YahooHTTPError(f"no crumb from Yahoo (HTTP {answer.status_code})")
            self._crumb = crumb
        return self._crumb

    async def _quote_rows(self, symbols: Sequence[str]) -> dict[str, dict[str, Any]]:
        rows: dict[str, dict[str, Any]] = {}
        for start in range(0, len(symbols), CHUNK):
            chunk = symbols[start : start + CHUNK]
            for row in await self._quote_chunk(chunk):
                symbol = str(row.get("symbol") or "").upper()
                rows[symbol] = row
        return {s: rows[s.upper()] for s in symbols if s.upper() in rows}

    async def _quote_chunk(self, chunk: Sequence[str]) -> list[dict[str, Any]]:
        for attempt in range(2):
            crumb = await self._ensure_crumb(fresh=attempt > 0)
            answer = await self._get(
                QUERY_URL + "/v7/finance/quote",
                {"symbols": ",".join(chunk), "crumb": crumb, "fields": FIELDS},
            )
            if answer.status_code == 401 and attempt == 0:
                continue  # an expired crumb: one silent retry with a fresh one
            if answer.status_code == 429:
                raise RateLimited("Yahoo answered 429 Too Many Requests")
            if answer.status_code != 200:
                raise YahooHTTPError(f"Yahoo answered HTTP {answer.status_code}")
            result = (answer.json().get("quoteResponse") or {}).get("result") or []
            return [row for row in result if isinstance(row, dict)]
        raise YahooHTTPError("Yahoo refused the crumb twice (401 Invalid Crumb)")

    async def _refresh_charts(self, symbols: Sequence[str], now: datetime) -> None:
        """Charts of symbols never charted, plus a rolling share of the stale ones."""
        missing = [s for s in symbols if s not in self._charts]
        stale = sorted(
            (
                s
                for s in symbols
                if s in self._charts
                and (now - self._charts[s][0]).total_seconds() >= self._chart_every
            ),
            key=lambda s: self._charts[s][0],
        )
        share = math.ceil(len(symbols) * self._quotes_every / max(self._chart_every, 1))
        due = missing + stale[: max(1, share)]
        await asyncio.gather(*(self._chart(s, now) for s in due))

    async def _chart(self, symbol: str, now: datetime) -> None:
        async with self._chart_gate:
            try:
                answer = await self._get(
                    f"{QUERY_URL}/v8/finance/chart/{symbol}",
                    {"range": "1d", "interval": "5m", "includePrePost": "true"},
                )
                result = (answer.json().get("chart") or {}).get("result") or []
            except Exception:  # noqa: BLE001 - the quote row still gives the price
                return
        if answer.status_code == 200 and result:
            self._charts[symbol] = (now, result[0].get("meta") or {}, bars_from_chart(result[0]))

    async def _fetch_daily(self, symbol: str, days: int, tz: Any) -> list[DailyBar] | None:
        """Daily bars from the same chart endpoint (``interval=1d``), parsed as plain JSON:
        the live path never imports yfinance's pandas (about 70 MB), even for the context
        of alerts.  ``history`` caches them per exchange day; None on any failure."""
        self._live_users += 1
        try:
            return await self._daily_chart(symbol, days, tz)
        finally:
            await self._release_live()

    async def _daily_chart(self, symbol: str, days: int, tz: Any) -> list[DailyBar] | None:
        span = next((name for limit, name in SPANS if days <= limit), "max")
        try:
            async with self._chart_gate:
                answer = await self._get(
                    f"{QUERY_URL}/v8/finance/chart/{symbol}", {"range": span, "interval": "1d"}
                )
            if answer.status_code == 429:
                self._backoff.fail(self._clock.now())
                return None
            result = (answer.json().get("chart") or {}).get("result") or []
        except Exception:  # noqa: BLE001 - history only adds context
            return None
        if answer.status_code != 200 or not result:
            return None
        return [
            DailyBar(t.astimezone(tz).date(), o, h, lo, c, v)
            for t, o, h, lo, c, v in bars_from_chart(result[0])
        ]

    # ---- answers -----------------------------------------------------------------

    def _quote_of(self, symbol: str, row: dict[str, Any] | None, now: datetime) -> Quote:
        if row is None:
            return Quote(
                symbol=symbol,
                status=Status.UNKNOWN_SYMBOL,
                error="unknown symbol: No data found, Yahoo has no quote for it",
            )
        _, chart_meta, bars = self._charts.get(symbol, (now, {}, []))
        if not bars and "currentTradingPeriod" not in chart_meta:
            # never charted (its chart failed): the live price is the only bar we have
            bars = live_bars([], row)
        else:
            bars = live_bars(bars, row) if bars else []
        quote = quote_from_chart(symbol, meta_from_quote(row, chart_meta), bars, now)
        shares = row.get("sharesOutstanding")
        if isinstance(shares, (int, float)) and shares > 0:
            # market value gained or lost, in alert context
            quote = replace(quote, shares_outstanding=float(shares))
        return quote

    def _failed_all(self, symbol: str, exc: Exception) -> Quote:
        if isinstance(exc, RateLimited):
            status = Status.RATE_LIMITED
        elif isinstance(exc, YahooHTTPError):
            status = Status.ERROR
        else:
            status = failure_status(exc)
        return Quote(symbol=symbol, status=status, error=short_reason(exc))
