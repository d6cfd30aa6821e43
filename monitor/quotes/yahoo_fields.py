"""Yahoo's answers, field by field, into a Quote (pure: no I/O, no clock of its own).

Both Yahoo sources end here: the chart ``meta`` plus the day's bars (``/v8/finance/chart``,
also what yfinance reads) and the rows of the batch quote (``/v7/finance/quote``, mapped
onto the same meta by ``meta_from_quote``).

Everything from Yahoo is checked on the way in, one symbol at a time:

- A number must be a JSON number: ``true`` or ``"118.4"`` raise ``BadField`` naming
  the field (``float(True)`` would have made a price of 1.0).  A ``null`` (or a NaN,
  pandas' null) is simply absent.  A time must be epoch seconds between 1970 and 2100
  (``1e20`` or year 1 raise ``BadField``; ``datetime.fromtimestamp`` would raise for
  every symbol of the batch).  The caller turns ``BadField`` into that symbol's status.
- Zeros are placeholders, not prices: indexes send ``0`` for the day's open, high and
  low (and volume); those read as unknown ("—" on screen) and are never used.
- Bars are lenient: a ``null`` bar (the lunch break of Tokyo, Hong Kong and the A-share
  markets, or a minute without trades) or a malformed one is skipped, not fatal.
- The day's open is the first regular-session bar's open, else Yahoo's own
  ``regularMarketOpen``; never the live price.
- Crypto trades around the clock: its state is always "regular" (Yahoo's chart says its
  session ends at 23:59 UTC) and its day is Yahoo's UTC day: the previous close is the
  price at 00:00 UTC, and bars of an earlier UTC day are dropped.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from numbers import Real
from typing import Any

from monitor import sessions
from monitor.model import MarketState, Quote, Status
from monitor.plausibility import Kind, kind_of
from monitor.text import clean_field

Bar = tuple[datetime, float, float, float, float, float]  # time, open, high, low, close, vol

#: |change| beyond this on an index means a broken previous close, not a crash.
INDEX_MAX_MOVE = 0.60
#: ... but a volatility index spikes: ^VIX closed +115.6% on 2018-02-05 (17.31 -> 37.32)
#: and was up 180% intraday on 2024-08-05 (its record fall is about -30%).  A rise up
#: to +300% is a price; the quote book still asks a second print to confirm such a
#: move (monitor.plausibility) before a rule sees it.
VOLATILITY_MAX_RISE = 3.0

#: the times Yahoo may plausibly send: 1970-01-01 .. 2100-01-01
EARLIEST, LATEST = 0, 4_102_444_800

#: the fields of a chart's ``meta`` a quote is made of (``quote_from_chart``): a chart
#: kept between polls holds these only, not the rest of Yahoo's meta (every session's
#: trading periods, valid ranges, 52-week figures...: most of a kept chart's memory)
META_KEYS = (
    "currency",
    "instrumentType",
    "exchangeTimezoneName",
    "regularMarketPrice",
    "previousClose",
    "chartPreviousClose",
    "regularMarketDayHigh",
    "regularMarketDayLow",
    "regularMarketVolume",
    "regularMarketTime",
    "regularMarketOpen",
    "currentTradingPeriod",
    "longName",
    "shortName",
)


class BadField(ValueError):
    """One field of Yahoo's answer is not what it must be; names the field."""

    def __init__(self, field: str, value: Any, what: str) -> None:
        shown = repr(value)
        shown = shown if len(shown) <= 40 else shown[:37] + "..."
        super().__init__(f"{field} {shown} is not {what}")
        self.field = field


# ---- fields ---------------------------------------------------------------------------


def loose_number(value: Any) -> float | None:
    """A finite JSON number, else None (for bars, where a bad point is just skipped)."""
    if isinstance(value, bool) or not isinstance(value, Real):
        return None
    x = float(value)
    return x if math.isfinite(x) else None


def number(meta: Mapping[str, Any], key: str) -> float | None:
    """``meta[key]`` as a float; None when absent, null or not finite (pandas' NaN for
    missing); ``BadField`` when it is not a number at all."""
    value = meta.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, Real):
        raise BadField(key, value, "a number")
    return loose_number(value)


def nonzero(x: float | None) -> float | None:
    """Yahoo's 0 placeholder (indexes' open/high/low) read as unknown."""
    return None if x == 0 else x


def loose_time(value: Any) -> datetime | None:
    """Epoch seconds (or an aware datetime: yfinance hands pandas Timestamps) as aware
    UTC; None when malformed or out of range."""
    if isinstance(value, datetime):
        return datetime.fromtimestamp(value.timestamp(), UTC) if value.tzinfo else None
    seconds = loose_number(value)
    if seconds is None or not EARLIEST <= seconds < LATEST:
        return None
    return datetime.fromtimestamp(seconds, UTC)


def epoch(meta: Mapping[str, Any], key: str) -> datetime | None:
    """``meta[key]`` as a time; None when absent; ``BadField`` when malformed."""
    value = meta.get(key)
    if value is None:
        return None
    t = loose_time(value)
    if t is None:
        raise BadField(key, value, "a time")
    return t


def note_trading_period(symbol: str, meta: Mapping[str, Any]) -> None:
    """Hand the market calendar the session Yahoo reports (``currentTradingPeriod``): for
    its day it wins over the calendar (a one-off closure or early close the library does
    not know yet).  A malformed period is ignored: the calendar then decides."""
    if (regular := _period(meta, "regular")) is None:
        return
    sessions.note_trading_period(symbol, regular, _period(meta, "pre"), _period(meta, "post"))


def text(meta: Mapping[str, Any], key: str) -> str | None:
    """A text field of Yahoo's answer (currency, name...), cleaned where it enters: it is
    outside input, and reaches the screen, the output and the store."""
    return clean_field(meta.get(key))


# ---- trading periods and the day's figures --------------------------------------------


def _period(meta: Mapping[str, Any], part: str) -> tuple[datetime, datetime] | None:
    periods = meta.get("currentTradingPeriod")
    span = periods.get(part) if isinstance(periods, Mapping) else None
    if not isinstance(span, Mapping):
        return None
    start, end = loose_time(span.get("start")), loose_time(span.get("end"))
    return (start, end) if start and end else None


def yahoo_market_state(meta: Mapping[str, Any], now: datetime) -> MarketState | None:
    """The state Yahoo's ``currentTradingPeriod`` implies at ``now`` (None if absent)."""
    regular = _period(meta, "regular")
    if regular is None:
        return None
    if regular[0] <= now <= regular[1]:
        return MarketState.REGULAR
    for part, state in (("pre", MarketState.PRE), ("post", MarketState.POST)):
        span = _period(meta, part)
        if span and span[0] <= now < span[1] and span[0] != span[1]:
            return state
    return MarketState.CLOSED


def is_crypto(symbol: str, meta: Mapping[str, Any]) -> bool:
    kind = meta.get("instrumentType")
    return kind == "CRYPTOCURRENCY" or sessions.market_for(symbol).kind == "crypto"


def _is_index(symbol: str, meta: Mapping[str, Any]) -> bool:
    return symbol.startswith("^") or meta.get("instrumentType") == "INDEX"


def day_open(meta: Mapping[str, Any], bars: Sequence[Bar]) -> float | None:
    """The first regular-session bar's open, else Yahoo's ``regularMarketOpen``."""
    regular = _period(meta, "regular")
    for t, open_, *_ in bars:
        if regular is None or regular[0] <= t <= regular[1]:
            value = nonzero(loose_number(open_))
            if value is not None:
                return value
    return nonzero(number(meta, "regularMarketOpen"))


def previous_close(meta: Mapping[str, Any]) -> float | None:
    prev = number(meta, "previousClose")
    return prev if prev is not None else number(meta, "chartPreviousClose")


def suspect_reason(
    symbol: str, meta: Mapping[str, Any], price: float, prev: float | None
) -> str | None:
    """Why a quote's previous close cannot be trusted, or None (Yahoo's ^VIX/^RUT zero
    closes; an index "moving" 60% is a broken close, not a crash).  The print itself
    is judged by the quote book (``monitor.plausibility``: a price that is not
    positive, except a future's, a time ahead, a move no print makes)."""
    if prev is None:
        return "previous close missing"
    if prev < 1e-6:
        return f"previous close {prev:g} is not a price"
    move = price / prev - 1.0
    if not _is_index(symbol, meta):
        return None
    spikes = kind_of(symbol) is Kind.VOLATILITY
    if move < -INDEX_MAX_MOVE or move > (VOLATILITY_MAX_RISE if spikes else INDEX_MAX_MOVE):
        return f"index move of {move:+.0%} against previous close {prev:g} is implausible"
    return None


def utc_day_start(t: datetime) -> datetime:
    day = t.astimezone(UTC)
    return day.replace(hour=0, minute=0, second=0, microsecond=0)


def quote_from_chart(
    symbol: str,
    meta: Mapping[str, Any],
    bars: Sequence[Bar],
    now: datetime,
    *,
    live: Bar | None = None,
) -> Quote:
    """A Quote from one chart answer: ``meta`` plus the day's bars (may be empty), and
    ``live``, a bar of the batch quote's newer price (extends the day, never its open).

    Raises ``BadField`` for a malformed field of this symbol."""
    note_trading_period(symbol, meta)
    price, as_of = number(meta, "regularMarketPrice"), epoch(meta, "regularMarketTime")
    prev = previous_close(meta)
    if is_crypto(symbol, meta):
        state: MarketState = MarketState.REGULAR
        bars = [b for b in bars if b[0] >= utc_day_start(now)]
    else:
        state = yahoo_market_state(meta, now) or sessions.market_state(symbol, now)
    day = [*bars, live] if live is not None else list(bars)
    status, error = Status.OK, None
    if price is None:
        status, error = Status.NO_DATA, "no price in Yahoo's answer"
    elif not day:
        if state is MarketState.REGULAR:
            status, error = Status.NO_DATA, "no bars while the market is open"
        else:
            status = Status.MARKET_CLOSED
    if price is not None and (reason := suspect_reason(symbol, meta, price, prev)):
        status, error = Status.SUSPECT, reason
        if prev is not None and prev < 1e-6:
            prev = None
    volume = number(meta, "regularMarketVolume")
    return Quote(
        symbol=symbol,
        price=price,
        prev_close=prev,
        open=day_open(meta, bars),
        high=nonzero(number(meta, "regularMarketDayHigh")),
        low=nonzero(number(meta, "regularMarketDayLow")),
        volume=None if volume == 0 and _is_index(symbol, meta) else volume,
        currency=text(meta, "currency"),
        market_state=state,
        as_of=as_of,
        status=status,
        error=error,
        name=text(meta, "longName") or text(meta, "shortName"),
        intraday=tuple(c for *_, c, _v in day if loose_number(c) is not None),
    )


def failure_status(exc: BaseException) -> Status:
    """The status of a symbol whose request raised ``exc`` (no usable answer)."""
    kind = type(exc).__name__
    if kind == "YFRateLimitError":
        return Status.RATE_LIMITED
    if kind in ("YFTzMissingError", "YFTickerMissingError"):
        return Status.UNKNOWN_SYMBOL
    if kind == "YFPricesMissingError":
        # Yahoo explains a missing symbol ("No data found, symbol may be delisted");
        # an answer without a chart at all (e.g. a second 401) is an error instead.
        return Status.UNKNOWN_SYMBOL if getattr(exc, "yahoo_reason", None) else Status.ERROR
    if "Timeout" in kind or isinstance(exc, TimeoutError):
        return Status.TIMEOUT
    if isinstance(exc, OSError):  # curl_cffi and requests errors are OSErrors
        return Status.UNREACHABLE
    return Status.ERROR


# ---- chart and batch-quote JSON -------------------------------------------------------


def chart_result(payload: Any) -> Mapping[str, Any] | None:
    """``chart.result[0]`` of a v8 chart answer, or None."""
    chart = payload.get("chart") if isinstance(payload, Mapping) else None
    results = chart.get("result") if isinstance(chart, Mapping) else None
    first = results[0] if isinstance(results, list) and results else None
    return first if isinstance(first, Mapping) else None


def chart_meta(result: Mapping[str, Any]) -> dict[str, Any]:
    """The ``META_KEYS`` of a chart result's meta (empty when it has none)."""
    meta = result.get("meta")
    return {k: meta[k] for k in META_KEYS if k in meta} if isinstance(meta, Mapping) else {}


def chart_error(payload: Any) -> str | None:
    """Yahoo's own words for a failed chart ("No data found, symbol may be delisted")."""
    chart = payload.get("chart") if isinstance(payload, Mapping) else None
    error = chart.get("error") if isinstance(chart, Mapping) else None
    described = error.get("description") if isinstance(error, Mapping) else None
    return described if isinstance(described, str) else None


def bars_from_chart(result: Mapping[str, Any]) -> list[Bar]:
    """The (time, open, high, low, close, volume) bars of one chart result; points
    without a time or a close (lunch breaks, minutes without trades) are skipped."""
    times = result.get("timestamp")
    indicators = result.get("indicators")
    quotes = indicators.get("quote") if isinstance(indicators, Mapping) else None
    quote = quotes[0] if isinstance(quotes, list) and quotes else None
    if not isinstance(times, list) or not isinstance(quote, Mapping):
        return []
    columns: list[list[Any]] = []
    for key in ("open", "high", "low", "close", "volume"):
        column = quote.get(key)
        columns.append(column if isinstance(column, list) else [])
    bars: list[Bar] = []
    for i, stamp in enumerate(times):
        t = loose_time(stamp)
        values = [loose_number(col[i]) if i < len(col) else None for col in columns]
        if t is not None and values[3] is not None:
            bars.append((t, *values))  # type: ignore[arg-type]
    return bars


def meta_from_quote(row: Mapping[str, Any], chart: Mapping[str, Any]) -> dict[str, Any]:
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
    if "currentTradingPeriod" in chart:
        meta["currentTradingPeriod"] = chart["currentTradingPeriod"]
    return meta


def live_bar(row: Mapping[str, Any], bars: Sequence[Bar]) -> Bar | None:
    """The batch quote's price as a bar when it is newer than the chart's last bar."""
    price, when = number(row, "regularMarketPrice"), epoch(row, "regularMarketTime")
    if price is None or when is None or (bars and when <= bars[-1][0]):
        return None
    return (when, price, price, price, price, 0.0)


def live_bars(bars: Sequence[Bar], row: Mapping[str, Any]) -> list[Bar]:
    """The chart's bars extended by the live price when it is newer than the last bar."""
    extra = live_bar(row, bars)
    return [*bars, extra] if extra else list(bars)
