"""Live quotes from Yahoo's batch quote endpoint, per-symbol charts when it fails.

Why (figures in bench/README.md, benchmark #3): keeping 100 symbols fresh every 30 s
through yfinance costs one chart request per symbol per refresh (200 requests a
minute, the kind of load that trips Yahoo's 429 waves) and pandas in the process
(~70 MB).  Here one refresh is:

- one ``/v7/finance/quote?symbols=A,B,...`` request per 200 symbols: price, previous
  close, open, day range, volume, time, currency, name of every symbol at once.  It
  needs a cookie and a crumb (``yahoo_signin``: yfinance's two sign-in strategies, the
  EU consent form included), fetched once and again after a ``401 Invalid Crumb``;
- a few ``/v8/finance/chart`` requests: each symbol's 5-minute bars for its sparkline
  and open, and Yahoo's trading periods for its market state, refreshed every
  ``chart_every`` seconds (default 20 refreshes: 10 min at 30 s) in a rolling share of
  the watchlist; between refreshes the live price extends the bars.

When the batch quote cannot be had (no cookie, no crumb, getcrumb or the quote
answering 401 or 429), prices come from the chart endpoint, one request per symbol per
refresh, and the source status says so; the sign-in backs off (5 min, 10, 20 ... with
jitter) and is tried again after.  Nothing is hammered: the sign-in, the batch quote,
each symbol's chart and each symbol's daily history back off on their own
(``Backoffs``), and a symbol whose chart keeps failing is not asked again every poll.

A malformed field fails its own symbol only (``BadField``, named in its status).  Daily
history comes from the same chart endpoint as plain JSON: the live path never imports
yfinance or pandas.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from monitor.clock import Clock
from monitor.model import DailyBar, Quote, QuoteBatch, SourceStatus, Status, known_volume
from monitor.quotes.backoff import Backoff, Backoffs
from monitor.quotes.yahoo_base import YahooSource
from monitor.quotes.yahoo_charts import Charts, answer_problem, chart_url, clock_time
from monitor.quotes.yahoo_fields import (
    BadField,
    bars_from_chart,
    chart_result,
    live_bar,
    loose_number,
    meta_from_quote,
    quote_from_chart,
)
from monitor.quotes.yahoo_http import QUERY1, Answer, Unreachable, YahooHttp
from monitor.quotes.yahoo_signin import SignIn

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
_USABLE = (Status.OK, Status.MARKET_CLOSED, Status.SUSPECT)
_WAITING = (Status.RATE_LIMITED, Status.BACKOFF)
#: the key of the batch quote endpoint in ``Backoffs``
BATCH = "quote"


class YahooLiveQuotes(YahooSource):
    """QuoteSource: batch quotes plus rolling charts (see the module docstring)."""

    name = "Yahoo Finance"

    def __init__(
        self,
        *,
        clock: Clock,
        cache_dir: Path,
        session: Any = None,  # yfinance's (the other source's); not used here
        live_session: Any = None,
        live_session_factory: Callable[[Any], Any] | None = None,
        quotes_every: float = 30,
        chart_every: float | None = None,
        timeout: float = 10,
        backoff: Backoff | None = None,
        signin_backoff: Backoff | None = None,
        concurrency: int = 8,
    ) -> None:
        super().__init__(clock=clock, quotes_every=quotes_every, backoff=backoff)
        self._http = YahooHttp(factory=live_session_factory, session=live_session, timeout=timeout)
        rng = self._backoff.rng
        self._signin = SignIn(
            self._http, signin_backoff or Backoff(base=max(300.0, 10 * quotes_every), cap=3600)
        )
        self._waits = Backoffs(self._backoff.base, self._backoff.cap, rng)
        self._charts = Charts(
            self._http,
            self._waits,
            quotes_every=quotes_every,
            chart_every=chart_every if chart_every is not None else 20 * quotes_every,
            concurrency=concurrency,
        )
        self._problem: str | None = None  # why this poll has no batch quote

    @property
    def holds_session(self) -> bool:
        """An HTTP session is open (only during a poll or a history read)."""
        return self._http.is_open

    @property
    def requests_sent(self) -> int:
        """HTTP requests attempted so far (answered or not)."""
        return self._http.sent

    # ---- protocol ----------------------------------------------------------------

    async def fetch(self, symbols: Sequence[str]) -> QuoteBatch:
        wanted = list(dict.fromkeys(symbols))
        async with self._poll_lock:
            started = self._clock.now()
            try:
                async with self._http.open():
                    rows = await self._batch(wanted, started)
                    await self._charts.fetch(self._charts.due(wanted, rows, started), started)
                now = self._clock.now()
                quotes = [self._quote(s, rows, started, now) for s in wanted]
            except Exception as exc:  # noqa: BLE001 - a bug here must not stop the polling
                now, rows = self._clock.now(), {}
                error = f"{type(exc).__name__}: {exc}"[:160]
                quotes = [Quote(symbol=s, status=Status.ERROR, error=error) for s in wanted]
            self._record_poll(quotes, now, batch=rows is not None)
            return QuoteBatch(now, {q.symbol: q for q in quotes})

    async def aclose(self) -> None:
        await self._http.aclose()

    async def confirm(self, symbol: str) -> Quote | None:
        """``symbol``'s chart (``/v8/finance/chart``) asked at once, to check a suspect
        print of the batch quote or the stream: the chart's own price and time.  None
        while its chart backs off, or when the chart fails or has no price."""
        async with self._poll_lock:  # not inside a poll's charts
            started = self._clock.now()
            if self._waits.waiting("chart:" + symbol, started):
                return None
            async with self._http.open():
                await self._charts.fetch([symbol], started)
            try:
                quote = self._charts.quote(symbol, started, self._clock.now())
            except BadField:
                return None
        return quote if quote.price is not None else None

    # ---- the batch quote ---------------------------------------------------------

    async def _batch(self, wanted: Sequence[str], now: datetime) -> dict[str, Any] | None:
        """Each symbol's row of the batch quote, or None when it cannot be had."""
        if not wanted:
            return {}
        if self._waits.waiting(BATCH, now):
            return None
        self._signin.fresh = False
        rows: dict[str, Any] = {}
        for start in range(0, len(wanted), CHUNK):
            got = await self._quote_chunk(wanted[start : start + CHUNK], now)
            if got is None:
                return None
            rows.update(got)
        self._problem = None
        return {s: rows[s.upper()] for s in wanted if s.upper() in rows}

    async def _quote_chunk(self, chunk: Sequence[str], now: datetime) -> dict[str, Any] | None:
        for attempt in range(2):
            crumb = await self._signin.crumb_for(now)
            if crumb is None:
                self._problem = self._signin.problem or "no crumb"
                return None
            params = {"symbols": ",".join(chunk), "crumb": crumb, "fields": FIELDS}
            try:
                answer = await self._http.get(QUERY1 + "/v7/finance/quote", params)
            except Unreachable as exc:
                self._batch_failed(now, str(exc))
                return None
            if answer.status == 401 and attempt == 0 and not self._signin.fresh:
                self._signin.expired()  # an expired crumb: one silent retry with a new one
                continue
            if answer.status == 401:
                self._problem = "Yahoo refused the crumb (401 Invalid Crumb)"
                self._signin.refused(now, self._problem)
                return None
            rows = _rows_of(answer) if answer.status == 200 else None
            if rows is None:
                why = "not a quote answer" if answer.status == 200 else answer_problem(answer)[1]
                self._batch_failed(now, why)
                return None
            self._waits.succeed(BATCH)
            return rows
        return None

    def _batch_failed(self, now: datetime, why: str) -> None:
        self._waits.fail(BATCH, now)
        self._problem = f"batch quote: {why}"

    # ---- daily history -----------------------------------------------------------

    def _history_waiting(self, symbol: str, now: datetime) -> bool:
        return self._waits.waiting("daily:" + symbol, now)

    async def _fetch_daily(self, symbol: str, days: int, tz: Any) -> list[DailyBar] | None:
        span = next((name for limit, name in SPANS if days <= limit), "max")
        try:
            async with self._http.open(), self._charts.gate:
                answer = await self._http.get(chart_url(symbol), {"range": span, "interval": "1d"})
            result = chart_result(answer.json()) if answer.status == 200 else None
        except (Unreachable, ValueError):
            result = None
        if result is None:
            self._waits.fail("daily:" + symbol, self._clock.now())
            return None
        self._waits.succeed("daily:" + symbol)
        return [
            DailyBar(t.astimezone(tz).date(), o, h, lo, c, known_volume(symbol, v))
            for t, o, h, lo, c, v in bars_from_chart(result)
        ]

    # ---- answers -----------------------------------------------------------------

    def _quote(
        self, symbol: str, rows: Mapping[str, Any] | None, started: datetime, now: datetime
    ) -> Quote:
        """One symbol's quote; a malformed field fails this symbol only."""
        try:
            if rows is not None:
                return self._from_row(symbol, rows.get(symbol), now)
            return self._charts.quote(symbol, started, now)
        except BadField as exc:
            return Quote(symbol=symbol, status=Status.ERROR, error=f"bad data from Yahoo: {exc}")

    def _from_row(self, symbol: str, row: Mapping[str, Any] | None, now: datetime) -> Quote:
        if row is None:
            return Quote(
                symbol=symbol,
                status=Status.UNKNOWN_SYMBOL,
                error="unknown symbol: No data found, Yahoo has no quote for it",
            )
        _, meta, bars = self._charts.get(symbol) or (now, {}, [])
        # A chart without bars is a day without trades; no chart yet: the live price
        # is the only bar there is.
        live = live_bar(row, bars) if bars or "currentTradingPeriod" not in meta else None
        quote = quote_from_chart(symbol, meta_from_quote(row, meta), bars, now, live=live)
        shares = loose_number(row.get("sharesOutstanding"))
        if shares is not None and shares > 0:
            # market value gained or lost, in alert context
            quote = replace(quote, shares_outstanding=shares)
        return quote

    # ---- status ------------------------------------------------------------------

    def _fallback_note(self, now: datetime) -> str:
        if self._waits.waiting(BATCH, now):
            again = f"batch quote again after {clock_time(self._waits.next_try(BATCH))}"
        else:
            again = f"sign-in again after {clock_time(self._signin.next_try)}"
        why = self._problem or self._signin.problem or "no crumb"
        return f"prices from per-symbol charts: no batch quote ({why}); {again}"

    def _record_poll(self, quotes: list[Quote], now: datetime, *, batch: bool) -> None:
        last_ok = self._status.last_ok
        note = None if batch or not quotes else self._fallback_note(now)
        failed = [q for q in quotes if q.status not in _USABLE]
        if len(failed) < len(quotes) or not quotes:
            listed = ", ".join(f"{q.symbol}: {q.status.value}" for q in failed) or None
            detail = "; ".join(x for x in (note, listed) if x) or None
            self._status = SourceStatus(
                self.name, "quotes", Status.OK, note, None, now, now, detail
            )
            return
        statuses = {q.status for q in failed}
        if statuses & set(_WAITING):
            status = Status.RATE_LIMITED
        else:
            status = statuses.pop() if len(statuses) == 1 else Status.ERROR
        ahead = self._waits.pending(now)
        self._status = SourceStatus(
            self.name,
            "quotes",
            status,
            error=failed[0].error,
            next_try=min(ahead) if ahead else None,
            last_ok=last_ok,
            last_poll=now,
            detail=note,
        )


def _rows_of(answer: Answer) -> dict[str, Any] | None:
    """The rows of a batch quote answer by upper-case symbol; None if it is not one."""
    try:
        payload = answer.json()
    except ValueError:
        return None
    response = payload.get("quoteResponse") if isinstance(payload, dict) else None
    result = response.get("result") if isinstance(response, dict) else None
    if not isinstance(result, list):
        return None
    return {
        row["symbol"].upper(): row
        for row in result
        if isinstance(row, dict) and isinstance(row.get("symbol"), str)
    }
