"""The bodies the fake Yahoo sends, shaped like the real ones in tests/data/yahoo/.

Pure functions of a ``FakeQuote``: the v7 batch-quote row, the v8 chart (5-minute or
daily), and the pages of the EU consent flow.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from monitor import sessions

Bar = tuple[datetime, float | None, float | None, float | None, float | None, float | None]

#: recorded: chart of an unknown symbol (HTTP 404)
NOT_FOUND = {
    "chart": {
        "result": None,
        "error": {"code": "Not Found", "description": "No data found, symbol may be delisted"},
    }
}
#: recorded: v7 quote without a crumb (HTTP 401)
NO_CRUMB = {
    "finance": {
        "result": None,
        "error": {
            "code": "Unauthorized",
            "description": "User is unable to access this feature - "
            "https://bit.ly/yahoo-finance-api-feedback",
        },
    }
}
INVALID_CRUMB = {
    "finance": {"result": None, "error": {"code": "Unauthorized", "description": "Invalid Crumb"}}
}
INVALID_COOKIE = {
    "finance": {"result": None, "error": {"code": "Unauthorized", "description": "Invalid Cookie"}}
}


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
    #: send 0 for the day's open, high, low and volume, as Yahoo does for indexes
    zero_placeholders: bool = False
    #: raw field values sent as they are, in the v7 row and the chart meta (bad data)
    raw: dict[str, Any] = field(default_factory=dict)
    #: raw field values sent in the v7 row only
    row_raw: dict[str, Any] = field(default_factory=dict)


def epoch(t: datetime) -> int:
    return int(t.timestamp())


def instrument_type(symbol: str) -> str:
    if symbol.startswith("^"):
        return "INDEX"
    if symbol.endswith(("-USD", "-USDT")):
        return "CRYPTOCURRENCY"
    if symbol.endswith("=X"):
        return "CURRENCY"
    if symbol.endswith("=F"):
        return "FUTURE"
    return "EQUITY"


def generated_bars(
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


def quote_row(q: FakeQuote) -> dict[str, Any]:
    """One row of Yahoo's v7 quote answer for ``q``."""
    zero = q.zero_placeholders
    row = {
        "symbol": q.symbol,
        "quoteType": q.instrument_type,
        "currency": q.currency,
        "exchangeTimezoneName": q.tz,
        "regularMarketPrice": q.price,
        "regularMarketPreviousClose": q.prev_close,
        "regularMarketOpen": 0 if zero else q.open,
        "regularMarketDayHigh": 0 if zero else q.high,
        "regularMarketDayLow": 0 if zero else q.low,
        "regularMarketVolume": 0 if zero else q.volume,
        "regularMarketTime": epoch(q.time),
        "longName": q.name,
        "shortName": q.name[:20],
        "marketState": "REGULAR",
        **({"sharesOutstanding": q.shares_outstanding} if q.shares_outstanding else {}),
    }
    return {**row, **q.raw, **q.row_raw}


def chart_json(q: FakeQuote, interval: str, range_: str) -> dict[str, Any]:
    """Chart JSON shaped like Yahoo's v8 answer for ``q``."""
    daily = interval == "1d"
    result: dict[str, Any] = {"meta": _meta(q, interval, range_)}
    rows = _daily_rows(q) if daily else [] if q.empty else q.bars
    if rows:
        result["timestamp"] = [epoch(r[0]) for r in rows]
        names = ("open", "high", "low", "close", "volume")
        result["indicators"] = {
            "quote": [{k: [r[i + 1] for r in rows] for i, k in enumerate(names)}]
        }
        if daily:
            result["indicators"]["adjclose"] = [{"adjclose": [r[4] for r in rows]}]
    else:
        # What Yahoo sends for a day without trades: meta, no timestamps, empty quote.
        result["indicators"] = {"quote": [{}], "adjclose": [{}]} if daily else {"quote": [{}]}
    return {"chart": {"result": [result], "error": None}}


def _daily_rows(q: FakeQuote) -> list[tuple[Any, ...]]:
    zone = ZoneInfo(q.tz)
    market = sessions.market_for(q.symbol)
    opens = market.sessions[0][0] if market.sessions else datetime.min.time()
    return [
        (datetime.combine(d, opens, tzinfo=zone), o, h, lo, c, v) for d, o, h, lo, c, v in q.daily
    ]


def _period(start: datetime, end: datetime, tz: str) -> dict[str, Any]:
    local = start.astimezone(ZoneInfo(tz))
    offset = local.utcoffset() or timedelta(0)
    return {
        "timezone": local.tzname(),
        "start": epoch(start),
        "end": epoch(end),
        "gmtoffset": int(offset.total_seconds()),
    }


def trading_period(q: FakeQuote) -> dict[str, Any]:
    """Yahoo's ``currentTradingPeriod`` for ``q``'s day.  Crypto's, as recorded
    (tests/data/yahoo/chart-BTC-USD-5m.json): the UTC day, ending at 23:59."""
    if q.instrument_type == "CRYPTOCURRENCY":
        start = q.time.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        end = start + timedelta(hours=23, minutes=59)
        return {
            "pre": _period(start, start, "UTC"),
            "regular": _period(start, end, "UTC"),
            "post": _period(end, end, "UTC"),
        }
    market = sessions.market_for(q.symbol)
    day = sessions.trading_day(q.symbol, q.time)
    regular = market.sessions_on(day)
    if not regular:
        start = datetime.combine(day, datetime.min.time(), tzinfo=market.tz)
        regular = [(start, start + timedelta(days=1))]
    start, end = regular[0][0], regular[-1][1]
    pre = datetime.combine(day, market.pre_open, tzinfo=market.tz) if market.pre_open else start
    post = datetime.combine(day, market.post_close, tzinfo=market.tz) if market.post_close else end
    return {
        "pre": _period(pre, start, q.tz),
        "regular": _period(start, end, q.tz),
        "post": _period(end, post, q.tz),
    }


def _meta(q: FakeQuote, interval: str, range_: str) -> dict[str, Any]:
    ctp = trading_period(q)
    zero = q.zero_placeholders
    meta: dict[str, Any] = {
        "currency": q.currency,
        "symbol": q.symbol,
        "exchangeName": "NMS",
        "fullExchangeName": "NasdaqGS",
        "instrumentType": q.instrument_type,
        "firstTradeDate": 917015400,
        "regularMarketTime": epoch(q.time),
        "hasPrePostMarketData": True,
        "gmtoffset": ctp["regular"]["gmtoffset"],
        "timezone": ctp["regular"]["timezone"],
        "exchangeTimezoneName": q.tz,
        "regularMarketPrice": q.price,
        "fiftyTwoWeekHigh": max(q.high, q.price) * 1.3,
        "fiftyTwoWeekLow": min(q.low, q.price) * 0.6,
        "regularMarketDayHigh": 0.0 if zero else q.high,
        "regularMarketDayLow": 0.0 if zero else q.low,
        "regularMarketVolume": 0 if zero else q.volume,
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
    chart_raw = {k: v for k, v in q.raw.items() if k != "regularMarketPreviousClose"}
    return {**meta, **chart_raw}


def consent_page(session_id: str, csrf: str, done: str) -> str:
    """The consent.yahoo.com form, in the shape yfinance and yahoo-finance2 parse: hidden
    inputs, and the two buttons (``agree`` / ``reject``)."""
    fields = {
        "csrfToken": csrf,
        "sessionId": session_id,
        "originalDoneUrl": done,
        "namespace": "yahoo",
    }
    hidden = "".join(
        f'<input type="hidden" name="{k}" value="{html.escape(v)}">' for k, v in fields.items()
    )
    return (
        '<!DOCTYPE html><html lang="en-GB"><head><title>Yahoo is part of the Yahoo '
        'family of brands</title></head><body><div class="con-wizard">'
        f'<form method="post" action="/v2/collectConsent?sessionId={session_id}" '
        f'class="consent-form">{hidden}'
        '<button type="submit" class="btn secondary reject-all" name="reject" '
        'value="reject">Reject all</button>'
        '<button type="submit" class="btn primary accept-all" name="agree" '
        'value="agree">Accept all</button></form></div></body></html>'
    )
