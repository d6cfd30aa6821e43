"""A fake Yahoo Finance on 127.0.0.1, and a yfinance session that talks to it.

Reusable from tests and benchmarks (no pytest here)::

    server = FakeYahoo().start()
    server.set_quote("NVDA", price=118.42, prev_close=142.62, time=...)
    session = fake_session(server)
    reset_yfinance(tmp_path)          # fresh yfinance singleton + caches in tmp_path
    ... YahooQuotes(clock=..., cache_dir=tmp_path, session=session) ...
    server.stop()

Serves what yfinance's chart path touches (and ``/v7/finance/quote``, the batch quote
endpoint of monitor's live path): ``/v8/finance/chart/<SYMBOL>`` (chart JSON
shaped like Yahoo's: ``meta``, ``timestamp``, ``indicators.quote[0]``, ``adjclose`` for
daily bars), ``/v1/test/getcrumb``, ``/`` (sets a cookie, like fc.yahoo.com).  Unknown
symbols answer 404 with Yahoo's "Not Found" chart error.  Behaviours: ``rate_limit``,
``expire_crumb_once``, ``empty`` (valid meta, no bars), ``unreachable`` is simply
``stop()``.  Counters: ``chart_requests`` (per symbol), ``requests`` (per kind),
``bytes_served``.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from monitor import sessions

YAHOO_HOSTS = (
    "https://query1.finance.yahoo.com",
    "https://query2.finance.yahoo.com",
    "https://fc.yahoo.com",
    "https://finance.yahoo.com",
    "https://guce.yahoo.com",
    "https://consent.yahoo.com",
)

NOT_FOUND = {
    "chart": {
        "result": None,
        "error": {"code": "Not Found", "description": "No data found, symbol may be delisted"},
    }
}
INVALID_CRUMB = {
    "finance": {"result": None, "error": {"code": "Unauthorized", "description": "Invalid Crumb"}}
}

Bar = tuple[datetime, float, float, float, float, float]  # time, open, high, low, close, volume


@dataclass
class FakeQuote:
    symbol: str
    price: float
    prev_close: float | None
    open: float
    high: float
    low: float
    volume: float
    currency: str
    time: datetime
    tz: str
    bars: list[Bar]
    name: str
    instrument_type: str
    daily: list[tuple[date, float, float, float, float, float]] = field(default_factory=list)
    empty: bool = False
    shares_outstanding: float | None = None


def _epoch(t: datetime) -> int:
    return int(t.timestamp())


def _period(start: datetime, end: datetime, tz: str) -> dict[str, Any]:
    local = start.astimezone(_zone(tz))
    offset = local.utcoffset() or timedelta(0)
    return {
        "timezone": local.tzname(),
        "start": _epoch(start),
        "end": _epoch(end),
        "gmtoffset": int(offset.total_seconds()),
    }


def _zone(tz: str):
    from zoneinfo import ZoneInfo

    return ZoneInfo(tz)


def _instrument_type(symbol: str) -> str:
    if symbol.startswith("^"):
        return "INDEX"
    if symbol.endswith(("-USD", "-USDT")):
        return "CRYPTOCURRENCY"
    if symbol.endswith("=X"):
        return "CURRENCY"
    if symbol.endswith("=F"):
        return "FUTURE"
    return "EQUITY"


def _generated_bars(
    t: datetime, open_: float, price: float, high: float, low: float, volume: float, n: int = 12
) -> list[Bar]:
    """``n`` five-minute bars ending at ``t``, walking from the open to the price."""
    bars: list[Bar] = []
    start = t - timedelta(minutes=5 * (n - 1))
    prev = open_
    for i in range(n):
        close = price if i == n - 1 else open_ + (price - open_) * (i + 1) / n
        hi = high if i == 0 else max(prev, close)
        lo = low if i == n - 1 else min(prev, close)
        bars.append((start + timedelta(minutes=5 * i), prev, hi, lo, close, volume / n))
        prev = close
    return bars


class FakeYahoo:
    """A threaded HTTP server answering like Yahoo's chart API."""

    def __init__(self) -> None:
        self.quotes: dict[str, FakeQuote] = {}
        self.chart_requests: Counter[str] = Counter()
        self.requests: Counter[str] = Counter()
        self.bytes_served = 0
        self.quote_symbols = 0  # symbols asked for in /v7/finance/quote requests
        self._rate_limits: dict[str | None, int] = {}
        self._expire_crumb = 0
        self._crumbs = 0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._port: int | None = None

    # ---- lifecycle ---------------------------------------------------------------

    def start(self) -> FakeYahoo:
        fake = self

        class Handler(_Handler):
            server_fake = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeYahoo:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The listening port (kept after ``stop()``: requests then find it closed)."""
        assert self._port is not None, "FakeYahoo not started"
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # ---- scenario ----------------------------------------------------------------

    def set_quote(
        self,
        symbol: str,
        *,
        price: float,
        prev_close: float | None,
        open: float | None = None,  # noqa: A002 - the market's word
        high: float | None = None,
        low: float | None = None,
        volume: float = 1_000_000,
        currency: str = "USD",
        time: datetime | None = None,
        tz: str | None = None,
        bars: list[Bar] | None = None,
        name: str | None = None,
        instrument_type: str | None = None,
        daily: list[tuple[date, float, float, float, float, float]] | None = None,
        shares_outstanding: float | None = None,
    ) -> FakeQuote:
        """Serve ``symbol``.  ``time`` is regularMarketTime (default: now); ``bars`` are
        (time, open, high, low, close, volume) 5-minute bars (default: 12 generated ones
        ending at ``time``); ``daily`` are (day, open, high, low, close, volume) rows."""
        t = time or datetime.now(UTC)
        open_ = open if open is not None else (prev_close or price)
        high = high if high is not None else max(open_, price)
        low = low if low is not None else min(open_, price)
        quote = FakeQuote(
            symbol=symbol,
            price=price,
            prev_close=prev_close,
            open=open_,
            high=high,
            low=low,
            volume=volume,
            currency=currency,
            time=t,
            tz=tz or sessions.market_for(symbol).tz.key,
            bars=bars if bars is not None else _generated_bars(t, open_, price, high, low, volume),
            name=name or f"{symbol} Inc.",
            instrument_type=instrument_type or _instrument_type(symbol),
            daily=daily or [],
            shares_outstanding=shares_outstanding,
        )
        with self._lock:
            self.quotes[symbol.upper()] = quote
        return quote

    def empty(self, symbol: str) -> None:
        """Answer ``symbol`` with a valid meta but no bars (weekend, holiday)."""
        with self._lock:
            self.quotes[symbol.upper()].empty = True

    def remove(self, symbol: str) -> None:
        with self._lock:
            self.quotes.pop(symbol.upper(), None)

    def rate_limit(self, symbols: list[str] | str | None = None, *, times: int = 1) -> None:
        """Answer the next ``times`` chart requests (of ``symbols``, or of any symbol)
        with 429 Too Many Requests.  yfinance retries a 4xx once by itself, so a symbol
        needs times >= 2 to surface as rate limited."""
        keys = [None] if symbols is None else [symbols] if isinstance(symbols, str) else symbols
        with self._lock:
            for key in keys:
                self._rate_limits[key.upper() if key else None] = times

    def clear_rate_limit(self) -> None:
        with self._lock:
            self._rate_limits.clear()

    def expire_crumb_once(self) -> None:
        """The next chart request answers 401 Invalid Crumb."""
        with self._lock:
            self._expire_crumb += 1

    def reset_counters(self) -> None:
        with self._lock:
            self.chart_requests.clear()
            self.requests.clear()
            self.bytes_served = 0
            self.quote_symbols = 0

    # ---- answers (called by the handler) -----------------------------------------

    def _take_rate_limit(self, symbol: str) -> bool:
        with self._lock:
            for key in (symbol, None):
                if self._rate_limits.get(key, 0) > 0:
                    self._rate_limits[key] -= 1
                    return True
        return False

    def _take_crumb_expiry(self) -> bool:
        with self._lock:
            if self._expire_crumb > 0:
                self._expire_crumb -= 1
                return True
        return False

    def _count(self, kind: str, symbol: str | None = None) -> None:
        with self._lock:
            self.requests[kind] += 1
            if symbol:
                self.chart_requests[symbol] += 1

    def _served(self, n: int) -> None:
        with self._lock:
            self.bytes_served += n

    def next_crumb(self) -> str:
        with self._lock:
            self._crumbs += 1
            return f"fakeCrumb{self._crumbs}"

    def chart_answer(self, symbol: str, query: dict[str, list[str]]) -> tuple[int, Any]:
        self._count("chart", symbol)
        if self._take_rate_limit(symbol):
            return 429, "Too Many Requests\r\n"
        if self._take_crumb_expiry():
            return 401, INVALID_CRUMB
        with self._lock:
            quote = self.quotes.get(symbol)
        if quote is None:
            return 404, NOT_FOUND
        interval = (query.get("interval") or ["1d"])[0]
        return 200, chart_json(quote, interval, (query.get("range") or ["1d"])[0])

    def quote_answer(self, query: dict[str, list[str]]) -> tuple[int, Any]:
        """``/v7/finance/quote?symbols=A,B&crumb=..``: one row per known symbol (unknown
        ones are simply left out, as Yahoo does); 401 without a crumb."""
        symbols = [
            s.strip().upper() for s in (query.get("symbols") or [""])[0].split(",") if s.strip()
        ]
        self._count("quote")
        with self._lock:
            self.quote_symbols += len(symbols)
        if any(self._take_rate_limit(s) for s in symbols or [""]):
            return 429, "Too Many Requests\r\n"
        if self._take_crumb_expiry() or not (query.get("crumb") or [""])[0]:
            return 401, INVALID_CRUMB
        with self._lock:
            rows = [quote_row(self.quotes[s]) for s in symbols if s in self.quotes]
        return 200, {"quoteResponse": {"result": rows, "error": None}}


def quote_row(q: FakeQuote) -> dict[str, Any]:
    """One row of Yahoo's v7 quote answer for ``q``."""
    return {
        "symbol": q.symbol,
        "quoteType": q.instrument_type,
        "currency": q.currency,
        "exchangeTimezoneName": q.tz,
        "regularMarketPrice": q.price,
        "regularMarketPreviousClose": q.prev_close,
        "regularMarketOpen": q.open,
        "regularMarketDayHigh": q.high,
        "regularMarketDayLow": q.low,
        "regularMarketVolume": q.volume,
        "regularMarketTime": _epoch(q.time),
        "longName": q.name,
        "shortName": q.name[:20],
        "marketState": "REGULAR",
        **({"sharesOutstanding": q.shares_outstanding} if q.shares_outstanding else {}),
    }


def chart_json(q: FakeQuote, interval: str, range_: str) -> dict[str, Any]:
    """Chart JSON shaped like Yahoo's v8 answer for ``q``."""
    daily = interval == "1d"
    meta = _meta(q, interval, range_)
    result: dict[str, Any] = {"meta": meta}
    rows = _daily_rows(q) if daily else [] if q.empty else q.bars
    if rows:
        result["timestamp"] = [_epoch(r[0]) for r in rows]
        result["indicators"] = {
            "quote": [
                {
                    "open": [r[1] for r in rows],
                    "high": [r[2] for r in rows],
                    "low": [r[3] for r in rows],
                    "close": [r[4] for r in rows],
                    "volume": [r[5] for r in rows],
                }
            ]
        }
        if daily:
            result["indicators"]["adjclose"] = [{"adjclose": [r[4] for r in rows]}]
    else:
        # What Yahoo sends for a day without trades: meta, no timestamps, empty quote.
        result["indicators"] = {"quote": [{}], "adjclose": [{}]} if daily else {"quote": [{}]}
    return {"chart": {"result": [result], "error": None}}


def _session_open(q: FakeQuote):
    market = sessions.market_for(q.symbol)
    return market.sessions[0][0] if market.sessions else datetime.min.time()


def _daily_rows(q: FakeQuote) -> list[tuple[Any, ...]]:
    zone = _zone(q.tz)
    return [
        (datetime.combine(d, _session_open(q), tzinfo=zone), o, h, lo, c, v)
        for d, o, h, lo, c, v in q.daily
    ]


def _trading_period(q: FakeQuote) -> dict[str, Any]:
    market = sessions.market_for(q.symbol)
    day = sessions.trading_day(q.symbol, q.time)
    regular = market.sessions_on(day)
    if not regular:
        start = datetime.combine(day, datetime.min.time(), tzinfo=market.tz)
        regular = [(start, start + timedelta(days=1))]
    start, end = regular[0][0], regular[-1][1]
    pre_start = (
        datetime.combine(day, market.pre_open, tzinfo=market.tz) if market.pre_open else start
    )
    post_end = (
        datetime.combine(day, market.post_close, tzinfo=market.tz) if market.post_close else end
    )
    return {
        "pre": _period(pre_start, start, q.tz),
        "regular": _period(start, end, q.tz),
        "post": _period(end, post_end, q.tz),
    }


def _meta(q: FakeQuote, interval: str, range_: str) -> dict[str, Any]:
    ctp = _trading_period(q)
    meta: dict[str, Any] = {
        "currency": q.currency,
        "symbol": q.symbol,
        "exchangeName": "NMS",
        "fullExchangeName": "NasdaqGS",
        "instrumentType": q.instrument_type,
        "firstTradeDate": 917015400,
        "regularMarketTime": _epoch(q.time),
        "hasPrePostMarketData": True,
        "gmtoffset": ctp["regular"]["gmtoffset"],
        "timezone": ctp["regular"]["timezone"],
        "exchangeTimezoneName": q.tz,
        "regularMarketPrice": q.price,
        "fiftyTwoWeekHigh": max(q.high, q.price) * 1.3,
        "fiftyTwoWeekLow": min(q.low, q.price) * 0.6,
        "regularMarketDayHigh": q.high,
        "regularMarketDayLow": q.low,
        "regularMarketVolume": q.volume,
        "longName": q.name,
        "shortName": q.name[:20],
        "chartPreviousClose": q.prev_close,
        "priceHint": 2,
        "currentTradingPeriod": ctp,
        "dataGranularity": interval,
        "range": range_,
        "validRanges": ["1d", "5d", "1mo", "3mo", "6mo", "1y", "2y", "5y", "10y", "ytd", "max"],
    }
    if range_ == "1d" and interval != "1d":
        # Yahoo adds previousClose (and scale) only to one-day intraday charts.
        meta["previousClose"] = q.prev_close
        meta["scale"] = 3
        meta["tradingPeriods"] = {k: [[v]] for k, v in ctp.items()}
    return meta


class _Handler(BaseHTTPRequestHandler):
    server_fake: FakeYahoo
    disable_nagle_algorithm = True
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # keep test output quiet

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        fake = self.server_fake
        parts = urlsplit(self.path)
        if parts.path.startswith("/v8/finance/chart/"):
            symbol = unquote(parts.path.rsplit("/", 1)[1]).upper()
            status, body = fake.chart_answer(symbol, parse_qs(parts.query))
            self._send(status, body)
        elif parts.path == "/v7/finance/quote":
            status, body = fake.quote_answer(parse_qs(parts.query))
            self._send(status, body)
        elif parts.path == "/v1/test/getcrumb":
            fake._count("crumb")
            self._send(200, fake.next_crumb(), content_type="text/plain")
        elif parts.path == "/":
            fake._count("cookie")
            self._send(
                404,
                "<html>fake fc.yahoo.com</html>",
                content_type="text/html",
                headers={
                    "Set-Cookie": "A3=d=AQABBFAKE&S=AQAAAFAKE; "
                    "Max-Age=31557600; Path=/; SameSite=None"
                },
            )
        else:
            fake._count("other")
            self._send(404, "<html>not here</html>", content_type="text/html")

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self.server_fake._count("other")
        self._send(404, "<html>not here</html>", content_type="text/html")

    def _send(
        self,
        status: int,
        body: Any,
        *,
        content_type: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        if isinstance(body, str):
            data = body.encode()
            content_type = content_type or "text/plain"
        else:
            data = json.dumps(body).encode()
            content_type = content_type or "application/json;charset=utf-8"
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)
        self.server_fake._served(len(data))


def fake_session(server: FakeYahoo) -> Any:
    """A curl_cffi Session that sends every Yahoo URL to ``server`` instead."""
    from curl_cffi import requests as curl_requests

    class FakeYahooSession(curl_requests.Session):
        def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
            for host in YAHOO_HOSTS:
                if url == host or url.startswith(host + "/") or url.startswith(host + "?"):
                    headers = dict(kwargs.get("headers") or {})
                    headers["Host"] = host.removeprefix("https://")
                    kwargs["headers"] = headers
                    url = server.base_url + (url[len(host) :] or "/")
                    break
            return super().request(method, url, *args, **kwargs)

    return FakeYahooSession(trust_env=False)


def reset_yfinance(cache_dir: Path) -> None:
    """Forget yfinance's process-wide state and point its caches at ``cache_dir``.

    yfinance keeps a singleton data layer (session, cookie, crumb), an lru cache of GET
    answers keyed by URL (so one test's answers would leak into the next) and cache
    managers bound to the first cache location used.  Tests call this before each use.
    """
    import yfinance as yf
    from yfinance import cache as yf_cache
    from yfinance import data as yf_data

    yf_data.SingletonMeta._instances.pop(yf_data.YfData, None)
    yf_data.YfData.cache_get.cache_clear()
    yf.set_tz_cache_location(str(cache_dir))
    yf_cache._TzCacheManager._tz_cache = None
    yf_cache._CookieCacheManager._Cookie_cache = None
    yf_cache._ISINCacheManager._isin_cache = None


def fake_async_session(server: FakeYahoo, cookies: Any = None) -> Any:
    """A curl_cffi AsyncSession that sends every Yahoo URL to ``server`` instead."""
    from curl_cffi import requests as curl_requests

    class FakeYahooAsyncSession(curl_requests.AsyncSession):
        async def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
            for host in YAHOO_HOSTS:
                if url == host or url.startswith(host + "/") or url.startswith(host + "?"):
                    headers = dict(kwargs.get("headers") or {})
                    headers["Host"] = host.removeprefix("https://")
                    kwargs["headers"] = headers
                    url = server.base_url + (url[len(host) :] or "/")
                    break
            return await super().request(method, url, *args, **kwargs)

    return FakeYahooAsyncSession(trust_env=False, cookies=cookies)
