"""Each symbol's 5-minute chart of the day (``/v8/finance/chart``), kept between polls.

With the batch quote, a chart gives a symbol its sparkline, its open and Yahoo's
trading periods, renewed in a rolling share of the watchlist; without it, the chart of
the poll is the symbol's quote.  A failing chart backs off on its own (``Backoffs``,
key ``chart:SYMBOL``) and is not asked again until then; once one request of a poll gets
no answer at all (no network), the rest of that poll's charts wait for the next poll.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote as urlquote

from monitor import formatting
from monitor.model import Quote, Status
from monitor.quotes.backoff import Backoffs
from monitor.quotes.yahoo_fields import (
    Bar,
    bars_from_chart,
    chart_error,
    chart_meta,
    chart_result,
    quote_from_chart,
)
from monitor.quotes.yahoo_http import QUERY1, Answer, Unreachable, YahooHttp

Chart = tuple[datetime, Mapping[str, Any], list[Bar]]  # fetched at, meta, bars


def chart_url(symbol: str) -> str:
    return f"{QUERY1}/v8/finance/chart/{urlquote(symbol, safe='')}"


def answer_problem(answer: Answer) -> tuple[Status, str]:
    """The status and words of an HTTP answer that is not the one asked for."""
    if answer.status == 429:
        return Status.RATE_LIMITED, "Yahoo answered 429 Too Many Requests"
    return Status.ERROR, f"Yahoo answered HTTP {answer.status}"


def clock_time(t: datetime | None) -> str:
    """When to try again, as the status line says it (the machine's zone, named)."""
    return formatting.clock_time(t, None) if t else "later"


class Charts:
    """The latest chart of each symbol, and the last failure of each failing one."""

    def __init__(
        self,
        http: YahooHttp,
        waits: Backoffs,
        *,
        quotes_every: float,
        chart_every: float,
        concurrency: int,
    ) -> None:
        self._http = http
        self._waits = waits
        self._quotes_every = quotes_every
        self._chart_every = chart_every
        self._gate = asyncio.Semaphore(max(1, concurrency))
        self._charts: dict[str, Chart] = {}
        self._faults: dict[str, tuple[datetime, Quote]] = {}
        self._offline = False

    @property
    def gate(self) -> asyncio.Semaphore:
        """Bounds the chart requests in flight (daily history shares it)."""
        return self._gate

    def get(self, symbol: str) -> Chart | None:
        return self._charts.get(symbol)

    def due(
        self, wanted: Sequence[str], rows: Mapping[str, Any] | None, now: datetime
    ) -> list[str]:
        """Without the batch quote: every symbol (its price).  With it: symbols never
        charted, plus a rolling share of the stale ones.  Never one backing off."""
        free = [s for s in wanted if not self._waits.waiting("chart:" + s, now)]
        if rows is None:
            return free
        known = [s for s in free if s in rows]
        missing = [s for s in known if s not in self._charts]
        stale = sorted(
            (s for s in known if s in self._charts and self._age(s, now) >= self._chart_every),
            key=lambda s: self._charts[s][0],
        )
        share = math.ceil(len(wanted) * self._quotes_every / max(self._chart_every, 1))
        return missing + stale[: max(1, share)]

    def _age(self, symbol: str, now: datetime) -> float:
        return (now - self._charts[symbol][0]).total_seconds()

    async def fetch(self, symbols: Sequence[str], now: datetime) -> None:
        self._offline = False
        await asyncio.gather(*(self._fetch_one(s, now) for s in symbols))

    async def _fetch_one(self, symbol: str, now: datetime) -> None:
        async with self._gate:
            if self._offline:
                return  # Yahoo did not answer this poll: the rest wait for the next
            params = {"range": "1d", "interval": "5m", "includePrePost": "true"}
            try:
                answer = await self._http.get(chart_url(symbol), params)
            except Unreachable as exc:
                self._offline = True
                status = Status.TIMEOUT if exc.timeout else Status.UNREACHABLE
                self._failed(symbol, now, status, f"Yahoo: {exc}")
                return
        self._take(symbol, answer, now)

    def _take(self, symbol: str, answer: Answer, now: datetime) -> None:
        try:
            payload: Any = answer.json()
        except ValueError:
            payload = None
        result = chart_result(payload)
        if answer.status == 200 and result is not None:
            self._charts[symbol] = (now, chart_meta(result), bars_from_chart(result))
            self._waits.succeed("chart:" + symbol)
            self._faults.pop(symbol, None)
        elif answer.status == 404:
            why = chart_error(payload) or "Yahoo has no chart for it"
            self._failed(symbol, now, Status.UNKNOWN_SYMBOL, f"unknown symbol: {why}")
        elif answer.status == 200:
            self._failed(symbol, now, Status.ERROR, "Yahoo sent no chart")
        else:
            self._failed(symbol, now, *answer_problem(answer))

    def _failed(self, symbol: str, now: datetime, status: Status, error: str) -> None:
        self._waits.fail("chart:" + symbol, now)
        self._faults[symbol] = (now, Quote(symbol=symbol, status=status, error=error))

    def quote(self, symbol: str, started: datetime, now: datetime) -> Quote:
        """The quote of ``symbol`` from the chart of the poll started at ``started``:
        its failure if it failed, "backing off" if it was not asked for.  Raises
        ``BadField`` for a malformed field."""
        charted = self._charts.get(symbol)
        if charted is not None and charted[0] == started:
            return quote_from_chart(symbol, charted[1], charted[2], now)
        failed = self._faults.get(symbol)
        if failed is not None and failed[0] == started:
            return failed[1]
        next_try = self._waits.next_try("chart:" + symbol)
        why = failed[1].error if failed else "Yahoo did not answer this poll"
        return Quote(
            symbol=symbol,
            status=Status.BACKOFF,
            error=f"{why}; chart again after {clock_time(next_try)}",
        )
