"""A fake Yahoo Finance on 127.0.0.1, as strict as the real one, and sessions that talk
to it.

Reusable from tests and benchmarks (no pytest here)::

    server = FakeYahoo().start()
    server.set_quote("NVDA", price=118.42, prev_close=142.62, time=...)
    session = fake_session(server)            # yfinance's (sync curl_cffi)
    live = fake_async_session(server)         # the live path's (async curl_cffi)
    ... YahooQuotes(clock=..., cache_dir=tmp_path, session=session) ...
    server.stop()

One server plays every Yahoo host; the sessions rewrite ``https://<host>.yahoo.com`` to
it and send the host in the ``Host`` header, and they follow redirects themselves (a
redirect to a real Yahoo URL must never reach the internet).  Like Yahoo:

- ``fc.yahoo.com`` sets the ``A3`` cookie; getcrumb (query1/query2) answers a crumb only
  to a cookie it set (401 otherwise); ``/v7/finance/quote`` wants that cookie and its
  crumb (401 "Invalid Crumb" otherwise, the recorded "User is unable to access this
  feature" without any crumb); ``/v8/finance/chart`` wants neither.
- ``consent_required``: the EU.  ``fc.yahoo.com`` sets no cookie but redirects to
  ``guce.yahoo.com/consent`` → ``consent.yahoo.com/v2/collectConsent`` (a form with a
  csrfToken) → POST → ``guce.yahoo.com/copyConsent`` → the cookie.  Without it
  (elsewhere), ``guce.yahoo.com/consent`` redirects straight back with a cookie, as in
  the recorded geo-nl answers.
- ``crumb_mode``: "429" (Too Many Requests), "html" (a page, not a crumb), "empty".
- ``refuse_crumbs``: v7 answers 401 Invalid Crumb to every crumb.
- ``unreachable_hosts``: the sessions send those hosts to a port nothing listens on.
- ``rate_limit``, ``expire_crumb_once``, ``empty`` (meta, no bars), ``stop()``;
  ``set_quote(bars=...)`` may hold ``None`` (lunch breaks), ``zero_placeholders=True``
  sends 0 for an index's open/high/low/volume, ``raw={...}`` sends any field as is
  (``regularMarketTime: 1e20``, ``regularMarketPrice: True``), ``row_raw={...}`` in the
  batch quote's row only (a glitch of v7 that the chart does not share).

Counters: ``requests`` (per kind: cookie, consent, crumb, quote, chart, search, other),
``total`` (every request), ``chart_requests`` (per symbol), ``bytes_served``.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from datetime import UTC, date, datetime
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from monitor import sessions
from tests.fake_yahoo_answers import (
    INVALID_COOKIE,
    INVALID_CRUMB,
    NO_CRUMB,
    NOT_FOUND,
    Bar,
    FakeQuote,
    chart_json,
    consent_page,
    generated_bars,
    instrument_type,
    quote_row,
)
from tests.fake_yahoo_search import SearchMixin

YAHOO_HOSTS = (
    "query1.finance.yahoo.com",
    "query2.finance.yahoo.com",
    "fc.yahoo.com",
    "finance.yahoo.com",
    "guce.yahoo.com",
    "consent.yahoo.com",
)
Reply = tuple[int, Any, dict[str, str]]


class FakeYahoo(SearchMixin):
    """A threaded HTTP server answering like Yahoo's hosts (see the module docstring)."""

    def __init__(self) -> None:
        self.quotes: dict[str, FakeQuote] = {}
        self.chart_requests: Counter[str] = Counter()
        self.requests: Counter[str] = Counter()
        self.bytes_served = 0
        self.quote_symbols = 0  # symbols asked for in /v7/finance/quote requests
        self.consent_required = False
        self.crumb_mode = "ok"
        self.refuse_crumbs = False
        self.unreachable_hosts: set[str] = set()
        self.recorded_charts: dict[str, tuple[int, str]] = {}  # symbol -> (status, body)
        self.recorded_rows: dict[str, dict[str, Any]] = {}  # symbol -> a recorded v7 row
        self._rate_limits: dict[str | None, int] = {}
        self._expire_crumb = 0
        self._cookies: dict[str, str | None] = {}  # A3 value -> its crumb
        self._consents: dict[str, tuple[str, bool]] = {}  # session id -> (csrf, agreed)
        self._serial = 0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._port: int | None = None
        self._init_search()

    # ---- lifecycle ---------------------------------------------------------------

    def start(self) -> FakeYahoo:
        fake = self

        class Handler(_Handler):
            server_fake = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._port = self._server.server_address[1]
        thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        thread.start()
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

    @property
    def total(self) -> int:
        """Every HTTP request the fake has answered."""
        return sum(self.requests.values())

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
        zero_placeholders: bool = False,
        raw: dict[str, Any] | None = None,
        row_raw: dict[str, Any] | None = None,
    ) -> FakeQuote:
        """Serve ``symbol``.  ``time`` is regularMarketTime (default: now); ``bars`` are
        (time, open, high, low, close, volume) 5-minute bars, ``None`` for a bar without
        trades (default: 12 generated ones ending at ``time``); ``daily`` are (day, open,
        high, low, close, volume) rows; ``raw`` fields are sent as they are."""
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
            bars=bars if bars is not None else generated_bars(t, open_, price, high, low, volume),
            name=name or f"{symbol} Inc.",
            instrument_type=instrument_type or _kind(symbol),
            daily=daily or [],
            shares_outstanding=shares_outstanding,
            zero_placeholders=zero_placeholders,
            raw=dict(raw or {}),
            row_raw=dict(row_raw or {}),
        )
        with self._lock:
            self.quotes[symbol.upper()] = quote
        return quote

    def serve_recorded(self, payload: dict[str, Any], status: int = 200) -> None:
        """Serve a recorded answer (tests/data/yahoo/) as it is: a v7 quote's rows join
        the batch answers; a v8 chart (or its error) answers that symbol's charts."""
        rows = (payload.get("quoteResponse") or {}).get("result")
        with self._lock:
            for row in rows or []:
                self.recorded_rows[row["symbol"].upper()] = row
            chart = payload.get("chart")
            for result in (chart or {}).get("result") or []:
                symbol = result["meta"]["symbol"].upper()
                self.recorded_charts[symbol] = (status, json.dumps(payload))

    def empty(self, symbol: str) -> None:
        """Answer ``symbol`` with a valid meta but no bars (weekend, holiday)."""
        with self._lock:
            self.quotes[symbol.upper()].empty = True

    def remove(self, symbol: str) -> None:
        with self._lock:
            self.quotes.pop(symbol.upper(), None)

    def rate_limit(self, symbols: list[str] | str | None = None, *, times: int = 1) -> None:
        """Answer the next ``times`` chart and quote requests (of ``symbols``, or of any
        symbol) with 429 Too Many Requests.  yfinance retries a 4xx once by itself, so
        a symbol needs times >= 2 to surface as rate limited there."""
        keys = [None] if symbols is None else [symbols] if isinstance(symbols, str) else symbols
        with self._lock:
            for key in keys:
                self._rate_limits[key.upper() if key else None] = times

    def clear_rate_limit(self) -> None:
        with self._lock:
            self._rate_limits.clear()

    def expire_crumb_once(self) -> None:
        """The next chart or quote request answers 401 Invalid Crumb (and that crumb is
        dead: getcrumb gives a new one)."""
        with self._lock:
            self._expire_crumb += 1

    def reset_counters(self) -> None:
        with self._lock:
            self.chart_requests.clear()
            self.requests.clear()
            self.bytes_served = 0
            self.quote_symbols = 0

    # ---- state (called by the handler) -------------------------------------------

    def _next(self, prefix: str) -> str:
        with self._lock:
            self._serial += 1
            return f"{prefix}{self._serial}"

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
                for cookie in self._cookies:
                    self._cookies[cookie] = None
                return True
        return False

    def count(self, kind: str, symbol: str | None = None) -> None:
        with self._lock:
            self.requests[kind] += 1
            if symbol:
                self.chart_requests[symbol] += 1

    def served(self, n: int) -> None:
        with self._lock:
            self.bytes_served += n

    def new_cookie(self) -> dict[str, str]:
        """A Set-Cookie header with a fresh A3 cookie for every Yahoo host, as Yahoo's.
        (curl files cookies under the Host header's name; no ``Secure``: the fake is
        plain HTTP.)"""
        value = self._next("d=AQABBFAKE")
        with self._lock:
            self._cookies[value] = None
        return {"Set-Cookie": f"A3={value}; Max-Age=31557600; Domain=.yahoo.com; Path=/"}

    def crumb_for(self, cookie: str | None) -> str | None:
        """The crumb of a cookie this fake set (a new one after an expiry)."""
        with self._lock:
            if cookie not in self._cookies:
                return None
            crumb = self._cookies[cookie]
        if crumb is None:
            crumb = self._next("fakeCrumb")
            with self._lock:
                self._cookies[cookie] = crumb
        return crumb

    def crumb_is_good(self, cookie: str | None, crumb: str) -> bool:
        with self._lock:
            return bool(crumb) and cookie in self._cookies and self._cookies[cookie] == crumb

    # ---- answers -----------------------------------------------------------------

    def answer(self, method: str, host: str, url: str, cookies: dict[str, str], body: str) -> Reply:
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        cookie = cookies.get("A3")
        if host in ("query1.finance.yahoo.com", "query2.finance.yahoo.com"):
            return self._api(parts.path, query, cookie)
        if host == "fc.yahoo.com":
            self.count("cookie")
            if self.consent_required:
                return self._to_consent("https://www.yahoo.com/")
            return 404, "<html><body>fc.yahoo.com</body></html>", self.new_cookie()
        if host in ("guce.yahoo.com", "consent.yahoo.com"):
            self.count("consent")
            return self._consent(method, parts.path, query, body)
        self.count("other")
        if host == "finance.yahoo.com" and self.consent_required and cookie is None:
            return self._to_consent(f"https://finance.yahoo.com{parts.path}")
        return 200, "<html><body>Yahoo Finance</body></html>", {}

    def _api(self, path: str, query: dict[str, list[str]], cookie: str | None) -> Reply:
        if path.startswith("/v8/finance/chart/"):
            return self._chart(unquote(path.rsplit("/", 1)[1]).upper(), query)
        if path == "/v7/finance/quote":
            return self._quote(query, cookie)
        if path == "/v1/finance/search":
            return self._search(query)
        if path == "/v1/test/getcrumb":
            self.count("crumb")
            if self.crumb_mode == "429":
                return 429, "Too Many Requests\r\n", {}
            if self.crumb_mode == "html":
                return 200, "<html><head><title>Yahoo</title></head><body></body></html>", {}
            if self.crumb_mode == "empty":
                return 200, "", {}
            crumb = self.crumb_for(cookie)
            return (200, crumb, {}) if crumb else (401, INVALID_COOKIE, {})
        self.count("other")
        return 404, "<html>not here</html>", {}

    def _chart(self, symbol: str, query: dict[str, list[str]]) -> Reply:
        self.count("chart", symbol)
        if self._take_rate_limit(symbol):
            return 429, "Too Many Requests\r\n", {}
        if self._take_crumb_expiry():
            return 401, INVALID_CRUMB, {}
        with self._lock:
            quote, recorded = self.quotes.get(symbol), self.recorded_charts.get(symbol)
        if recorded is not None:
            return recorded[0], recorded[1], {"Content-Type": "application/json;charset=utf-8"}
        if quote is None:
            return 404, NOT_FOUND, {}
        interval = (query.get("interval") or ["1d"])[0]
        return 200, chart_json(quote, interval, (query.get("range") or ["1d"])[0]), {}

    def _quote(self, query: dict[str, list[str]], cookie: str | None) -> Reply:
        """One row per known symbol (unknown ones are simply left out, as Yahoo does)."""
        symbols = [
            s.strip().upper() for s in (query.get("symbols") or [""])[0].split(",") if s.strip()
        ]
        self.count("quote")
        with self._lock:
            self.quote_symbols += len(symbols)
        if any(self._take_rate_limit(s) for s in symbols or [""]):
            return 429, "Too Many Requests\r\n", {}
        crumb = (query.get("crumb") or [""])[0]
        if not crumb:
            return 401, NO_CRUMB, {}
        expired = self._take_crumb_expiry()
        if expired or self.refuse_crumbs or not self.crumb_is_good(cookie, crumb):
            return 401, INVALID_CRUMB, {}
        with self._lock:
            rows = [quote_row(self.quotes[s]) for s in symbols if s in self.quotes]
            rows += [self.recorded_rows[s] for s in symbols if s in self.recorded_rows]
        return 200, {"quoteResponse": {"result": rows, "error": None}}, {}

    # ---- the EU consent flow -----------------------------------------------------

    def _to_consent(self, done: str) -> Reply:
        target = "https://guce.yahoo.com/consent?brandType=eu&gcrumb=FAKE&done=" + quote(done)
        gucs = {"Set-Cookie": "GUCS=AQFAKE; Max-Age=1800; Domain=.yahoo.com; Path=/"}
        return 302, "", {"Location": target, **gucs}

    def _consent(self, method: str, path: str, query: dict[str, list[str]], body: str) -> Reply:
        session = (query.get("sessionId") or [""])[0]
        if path == "/consent" and not self.consent_required:
            done = (query.get("done") or ["https://finance.yahoo.com/"])[0]
            return 302, "", {"Location": done + "?guccounter=1", **self.new_cookie()}
        if path == "/consent":
            session, csrf = self._next("3_cc-session_fake"), self._next("csrf")
            with self._lock:
                self._consents[session] = (csrf, False)
            target = f"https://consent.yahoo.com/v2/collectConsent?sessionId={session}"
            return 302, "", {"Location": target}
        with self._lock:
            csrf, agreed = self._consents.get(session, ("", False))
        done = "https://finance.yahoo.com/"
        if path == "/v2/collectConsent" and csrf and method == "GET":
            return 200, consent_page(session, csrf, done), {"Content-Type": "text/html"}
        if path == "/v2/collectConsent" and csrf and method == "POST":
            form = parse_qs(body)
            if form.get("csrfToken") != [csrf] or "agree" not in form.get("agree", []):
                return 200, consent_page(session, csrf, done), {"Content-Type": "text/html"}
            with self._lock:
                self._consents[session] = (csrf, True)
            target = f"https://guce.yahoo.com/copyConsent?sessionId={session}&lang=en-GB"
            return (
                302,
                "",
                {"Location": target, "Set-Cookie": "CFC=AQFAKE; Domain=consent.yahoo.com; Path=/"},
            )
        if path == "/copyConsent" and agreed:
            return 302, "", {"Location": done, **self.new_cookie()}
        return 404, "<html>no such consent session</html>", {}


def _kind(symbol: str) -> str:
    return instrument_type(symbol)


class _Handler(BaseHTTPRequestHandler):
    server_fake: FakeYahoo
    disable_nagle_algorithm = True
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # keep test output quiet

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._answer("GET", "")

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        self._answer("POST", self.rfile.read(length).decode("utf-8", "replace"))

    def _answer(self, method: str, body: str) -> None:
        host = (self.headers.get("Host") or "").split(":")[0].lower()
        if host not in YAHOO_HOSTS:
            host = "query1.finance.yahoo.com"
        jar = SimpleCookie(self.headers.get("Cookie") or "")
        cookies = {k: v.value for k, v in jar.items()}
        status, reply, headers = self.server_fake.answer(method, host, self.path, cookies, body)
        self._send(status, reply, headers)

    def _send(self, status: int, body: Any, headers: dict[str, str]) -> None:
        if isinstance(body, str):
            data = body.encode()
            content_type = "text/html" if body.startswith("<") else "text/plain"
        else:
            data = json.dumps(body).encode()
            content_type = "application/json;charset=utf-8"
        self.send_response(status)
        self.send_header("Content-Type", headers.pop("Content-Type", content_type))
        self.send_header("Content-Length", str(len(data)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)
        self.server_fake.served(len(data))


# ---- sessions that talk to the fake -----------------------------------------------------


def _route(server: Any, url: str) -> tuple[str, dict[str, str]]:
    """``url`` on one of Yahoo's hosts -> the same path on the fake, and its Host header.
    Any other host is refused: a test never reaches the internet."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host == "127.0.0.1":
        return url, {}
    if host not in YAHOO_HOSTS:
        raise RuntimeError(f"a test tried to reach {url}")
    base = server.base_url
    if host in getattr(server, "unreachable_hosts", ()):
        base = _dead_base()
    path = parts.path or "/"
    return base + path + (f"?{parts.query}" if parts.query else ""), {"Host": host}


_DEAD: list[str] = []


def _dead_base() -> str:
    """A loopback base URL nothing listens on (connection refused), one per process."""
    if not _DEAD:
        from tests.feedserver import unused_url

        _DEAD.append(unused_url(""))
    return _DEAD[0]


def _rerouted(server: Any, url: str, kwargs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    target, host = _route(server, url)
    args = dict(kwargs)
    args["headers"] = {**dict(args.get("headers") or {}), **host}
    args["allow_redirects"] = False
    return target, args


def _next_hop(url: str, response: Any) -> str | None:
    location = response.headers.get("location")
    if response.status_code in (301, 302, 303, 307, 308) and location:
        from urllib.parse import urljoin

        return urljoin(url, location)
    return None


def fake_session(server: FakeYahoo) -> Any:
    """A curl_cffi Session (yfinance's) that sends every Yahoo URL to ``server``."""
    from curl_cffi import requests as curl_requests

    class FakeYahooSession(curl_requests.Session):
        def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
            follow = kwargs.get("allow_redirects", True)
            for _ in range(10):
                target, args_ = _rerouted(server, url, kwargs)
                response = super().request(method, target, *args, **args_)
                hop = _next_hop(url, response) if follow else None
                if hop is None:
                    return response
                method, url, kwargs = "GET", hop, {"timeout": kwargs.get("timeout")}
            return response

    return FakeYahooSession(trust_env=False)


def fake_async_session(server: FakeYahoo, cookies: Any = None) -> Any:
    """A curl_cffi AsyncSession (the live path's) that sends every Yahoo URL to
    ``server``."""
    from curl_cffi import requests as curl_requests

    class FakeYahooAsyncSession(curl_requests.AsyncSession):
        async def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
            follow = kwargs.get("allow_redirects", True)
            for _ in range(10):
                target, args_ = _rerouted(server, url, kwargs)
                response = await super().request(method, target, *args, **args_)
                hop = _next_hop(url, response) if follow else None
                if hop is None:
                    return response
                method, url, kwargs = "GET", hop, {"timeout": kwargs.get("timeout")}
            return response

    return FakeYahooAsyncSession(trust_env=False, cookies=cookies)


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


def route_live_quotes(server: Any) -> None:
    """Make every live Yahoo source of this process talk to ``server`` (an object with
    ``base_url`` and ``unreachable_hosts``): how the CLI tests run the real command."""
    from monitor.quotes import stream, yahoo_http

    yahoo_http.SESSION_FACTORY = lambda cookies: fake_async_session(server, cookies)
    # the streamer too: the server's, or a closed local port (never the real one)
    stream.STREAM_URL = getattr(server, "stream_url", "ws://127.0.0.1:9/?version=2")
