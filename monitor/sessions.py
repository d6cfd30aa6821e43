"""Market sessions by symbol suffix: when each market trades, in its own time zone.

No I/O, no clock: every function takes aware datetimes.  Markets are chosen by Yahoo's
symbol conventions: no suffix (and ``^`` indexes) = US; ``.SS``/``.SZ``/``.BJ`` = mainland
China; ``.HK``; ``.L``; ``.T``; ``.KS``/``.KQ``; ``.TW``/``.TWO``; ``.DE``/``.PA``/``.AS``;
``-USD``/``-USDT`` = crypto (always open); ``=X`` = forex (24x5); ``=F`` = futures (CME
Globex, ~23x5).  Any other ``.XX`` suffix is an *unknown* market: no calendar, and it says
so (``Market.calendar_note``) rather than borrowing another market's hours.

Holidays and early closes come from the ``holidays`` package's financial calendars (ISO
10383 codes: XNYS, XSHG, XHKG, XLON, XJPX, XKRX, XTAI, XETR, XPAR, XAMS, XCME), for any
year it knows, one-off closures included.  It is imported on first use (~0.1 s), not at
start-up.  A half day ends at the market's ``early_close``: one constant per exchange.

Today's session: a quote source that reads Yahoo's own trading period (the
``currentTradingPeriod`` of a v7 quote or v8 chart meta) hands it to
``note_trading_period``; that period then wins over the calendar for its day.

``data_delay`` is how late Yahoo's free quotes usually are for that market (its
"Exchanges and data providers" page): US real time; Shanghai/Shenzhen 30 min; Hong
Kong, Xetra, Paris, Amsterdam 15 min; London, Tokyo, Seoul, Taipei 20 min; CME 10 min.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from monitor import calendar_cache
from monitor.model import MarketState, Quote

Interval = tuple[datetime, datetime]


@lru_cache(maxsize=256)
def _calendar_year(code: str, year: int) -> calendar_cache.Year:
    """(closed weekdays with names, half days) of an exchange's year: kept on disk or
    shipped with the package, else made by ``holidays`` (~0.15 s for the first)."""
    if (cached := calendar_cache.load(code, year)) is not None:
        return cached
    if (shipped := calendar_cache.shipped(code, year)) is not None:
        return shipped
    return calendar_cache.save(code, year, calendar_cache.make(code, year))


@dataclass(frozen=True, slots=True)
class Market:
    """One market's trading calendar.

    ``kind`` is "exchange" (sessions on weekdays that are not holidays), "crypto"
    (always open), "forex" (Sunday 17:00 to Friday 17:00 New York), "futures"
    (CME Globex: 18:00 to 17:00 New York, Sunday evening to Friday) or "unknown"
    (no calendar: weekdays, hours only from Yahoo's reported trading period).
    ``calendar`` is the ``holidays`` financial calendar (None: ``calendar_note`` says why).
    """

    name: str
    tz: ZoneInfo
    sessions: tuple[tuple[time, time], ...] = ()
    pre_open: time | None = None
    post_close: time | None = None
    calendar: str | None = None
    early_close: time | None = None
    data_delay: float = 0.0
    kind: str = "exchange"
    calendar_note: str = ""

    def closed_for(self, d: date) -> str | None:
        """Why the market does not trade on local day ``d`` (None: it trades)."""
        if self.kind == "crypto":
            return None
        if d.weekday() >= 5:
            return "weekend"
        if self.calendar is None:
            return None
        return _calendar_year(self.calendar, d.year)[0].get(d)

    def is_trading_day(self, d: date) -> bool:
        return self.closed_for(d) is None

    def closes_early(self, d: date) -> time | None:
        """The early-close time of a half day, else None."""
        if self.calendar is None or self.early_close is None:
            return None
        return self.early_close if d in _calendar_year(self.calendar, d.year)[1] else None

    def sessions_on(self, d: date) -> list[Interval]:
        """The regular sessions of local day ``d`` by the calendar (may cross midnight)."""
        if not self.is_trading_day(d):
            return []
        early = self.closes_early(d)
        if self.kind == "crypto":
            return [(_at(d, time(0), self.tz), _at(d + timedelta(1), time(0), self.tz))]
        if self.kind == "forex":
            # The session of day d runs from 17:00 the evening before to 17:00 on d.
            return [(_at(d - timedelta(1), time(17), self.tz), _at(d, time(17), self.tz))]
        if self.kind == "futures":
            end = early or time(17)
            return [(_at(d - timedelta(1), time(18), self.tz), _at(d, end, self.tz))]
        out = []
        for start, end in self.sessions:
            if early is not None and early <= start:
                break
            end = min(end, early) if early is not None else end
            out.append((_at(d, start, self.tz), _at(d, end, self.tz)))
        return out


def _at(d: date, t: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(d, t, tzinfo=tz)


NEW_YORK = ZoneInfo("America/New_York")
_UTC_ZONE = ZoneInfo("UTC")


def _exchange(
    name: str, zone: str, hours: str, calendar: str, early: str = "", delay: float = 0.0
) -> Market:
    """A market from its zone, sessions ("09:30-11:30 13:00-15:00"), calendar, half-day
    close and Yahoo data delay in seconds."""
    pairs = [h.split("-") for h in hours.split()]
    spans = tuple((time.fromisoformat(a), time.fromisoformat(b)) for a, b in pairs)
    early_close = time.fromisoformat(early) if early else None
    return Market(name, ZoneInfo(zone), spans, None, None, calendar, early_close, delay)


# Nasdaq (XNAS) keeps the NYSE's days; Shenzhen (XSHE) and Beijing those of Shanghai
US = replace(
    _exchange("US", "America/New_York", "09:30-16:00", "XNYS", "13:00"),
    pre_open=time(4, 0),
    post_close=time(20, 0),
)
CHINA = _exchange("China A-shares", "Asia/Shanghai", "09:30-11:30 13:00-15:00", "XSHG", "", 1800)
HONG_KONG = _exchange(
    "Hong Kong", "Asia/Hong_Kong", "09:30-12:00 13:00-16:00", "XHKG", "12:00", 900
)
LONDON = _exchange("London", "Europe/London", "08:00-16:30", "XLON", "12:30", 1200)
TOKYO = _exchange("Tokyo", "Asia/Tokyo", "09:00-11:30 12:30-15:30", "XJPX", "", 1200)
SEOUL = _exchange("Korea", "Asia/Seoul", "09:00-15:30", "XKRX", "", 1200)
TAIPEI = _exchange("Taiwan", "Asia/Taipei", "09:00-13:30", "XTAI", "", 1200)
XETRA = _exchange("Xetra", "Europe/Berlin", "09:00-17:30", "XETR", "", 900)
PARIS = _exchange("Paris", "Europe/Paris", "09:00-17:30", "XPAR", "14:05", 900)
AMSTERDAM = _exchange("Amsterdam", "Europe/Amsterdam", "09:00-17:30", "XAMS", "14:05", 900)
CRYPTO = Market("Crypto", _UTC_ZONE, kind="crypto", calendar_note="none needed: never closes")
FOREX = Market(
    "Forex", NEW_YORK, kind="forex", calendar_note="none: over the counter, 24x5, no holidays"
)
# CME Globex: half days pause at 12:00 Chicago
FUTURES = Market("Futures", NEW_YORK, (), None, None, "XCME", time(13, 0), 600.0, "futures")

_BY_SUFFIX: Mapping[str, Market] = {
    ".SS": CHINA,
    ".SZ": CHINA,
    ".BJ": CHINA,
    ".HK": HONG_KONG,
    ".L": LONDON,
    ".T": TOKYO,
    ".KS": SEOUL,
    ".KQ": SEOUL,
    ".TW": TAIPEI,
    ".TWO": TAIPEI,
    ".DE": XETRA,
    ".PA": PARIS,
    ".AS": AMSTERDAM,
    "-USD": CRYPTO,
    "-USDT": CRYPTO,
    "=X": FOREX,
    "=F": FUTURES,
}

#: Every market a symbol can map to (the unknown ones aside).
MARKETS: tuple[Market, ...] = tuple({m.name: m for m in (US, *_BY_SUFFIX.values())}.values())
#: the holiday calendar of every market known here (those shipped with the package)
CALENDARS = tuple(sorted({m.calendar for m in MARKETS if m.calendar}))


@lru_cache(maxsize=1024)
def market_for(symbol: str) -> Market:
    """The market a Yahoo symbol trades on: US without a suffix, *unknown* for a ``.XX``
    suffix that has no calendar here."""
    upper = symbol.upper()
    for suffix, market in _BY_SUFFIX.items():
        if upper.endswith(suffix):
            return market
    head, dot, suffix = upper.rpartition(".")
    if dot and head and not upper.startswith("^"):
        return Market(
            f"Unknown market (.{suffix})",
            _UTC_ZONE,
            kind="unknown",
            calendar_note=f"none: no calendar for suffix .{suffix}; hours only from Yahoo",
        )
    return US


@dataclass(frozen=True, slots=True)
class TradingPeriod:
    """A day's periods as the data source reported them (aware datetimes)."""

    regular: Interval
    pre: Interval | None = None
    post: Interval | None = None


_REPORTED: dict[str, dict[date, TradingPeriod]] = {}
_AROUND: dict[tuple[str, date], list[Interval]] = {}


def note_trading_period(
    symbol: str, regular: Interval, pre: Interval | None = None, post: Interval | None = None
) -> None:
    """Record the trading period a quote source read for ``symbol``'s market (Yahoo's
    ``currentTradingPeriod``).  It wins over the calendar for the local day its regular
    session ends on; the calendar's lunch breaks inside it stay.  Crypto ignores it (it
    never closes); an empty, reversed or over-a-day period is ignored."""
    start, end = regular
    market = market_for(symbol)
    if market.kind == "crypto" or not timedelta(0) < end - start <= timedelta(days=1):
        return
    day = end.astimezone(market.tz).date()
    period = TradingPeriod(regular, pre, post)
    days = _REPORTED.setdefault(market.name, {})
    if days.get(day) == period:
        return
    days[day] = period
    for old in sorted(days)[:-4]:
        del days[old]
    _AROUND.clear()


def forget_trading_periods() -> None:
    """Drop every reported period (tests; a source that stops reporting)."""
    _REPORTED.clear()
    _AROUND.clear()


def _reported(market: Market, d: date) -> TradingPeriod | None:
    days = _REPORTED.get(market.name)
    return days.get(d) if days else None


def _trades_on(market: Market, d: date) -> bool:
    return _reported(market, d) is not None or market.is_trading_day(d)


def _sessions_of(market: Market, d: date) -> list[Interval]:
    """Day ``d``'s regular sessions: the reported period when there is one (minus the
    calendar's breaks), else the calendar's."""
    period = _reported(market, d)
    if period is None:
        if market.kind == "unknown" and d.weekday() < 5:
            return [(_at(d, time(0), market.tz), _at(d + timedelta(1), time(0), market.tz))]
        return market.sessions_on(d)
    pieces = [period.regular]
    for (_, gap_start), (gap_end, _) in zip(market.sessions, market.sessions[1:], strict=False):
        lo, hi = _at(d, gap_start, market.tz), _at(d, gap_end, market.tz)
        pieces = [
            part
            for s, e in pieces
            for part in ((s, min(e, lo)), (max(s, hi), e))
            if part[0] < part[1]
        ]
    return pieces


def _sessions_around(market: Market, t: datetime) -> list[Interval]:
    """Sessions of the day before, of and after ``t``: memoized per market and day, since
    every quote of every batch asks (200 symbols share a handful of markets)."""
    d = t.astimezone(market.tz).date()
    key = (market.name, d)
    around = _AROUND.get(key)
    if around is None:
        if len(_AROUND) > 4096:
            _AROUND.clear()
        around = [s for n in (-1, 0, 1) for s in _sessions_of(market, d + timedelta(n))]
        _AROUND[key] = around
    return around


def market_state(symbol: str, t: datetime) -> MarketState:
    """The market's state at ``t``.  A print exactly at the close still counts as regular."""
    market = market_for(symbol)
    if any(start <= t <= end for start, end in _sessions_around(market, t)):
        return MarketState.REGULAR
    if market.kind != "exchange":
        return MarketState.CLOSED
    day = t.astimezone(market.tz).date()
    regular = _sessions_of(market, day)
    if not regular:
        return MarketState.CLOSED
    period = _reported(market, day)
    pre, post = (period.pre, period.post) if period else (None, None)
    if pre is None and market.pre_open:
        pre = (_at(day, market.pre_open, market.tz), regular[0][0])
    if post is None and market.post_close:
        post = (regular[-1][1], _at(day, market.post_close, market.tz))
    if pre and pre[0] <= t < min(pre[1], regular[0][0]):
        return MarketState.PRE
    if post and max(post[0], regular[-1][1]) < t < post[1]:
        return MarketState.POST
    return MarketState.CLOSED


def is_open(symbol: str, t: datetime) -> bool:
    """True during a regular session (close time included)."""
    return market_state(symbol, t) is MarketState.REGULAR


def is_trading_day(symbol: str, d: date) -> bool:
    return _trades_on(market_for(symbol), d)


def closed_for(symbol: str, d: date) -> str | None:
    """Why ``symbol``'s market is shut on local day ``d`` ("weekend", a holiday's name)."""
    market = market_for(symbol)
    return None if _reported(market, d) else market.closed_for(d)


def calendar_of(symbol: str) -> str:
    """The calendar behind ``symbol``'s sessions, e.g. "XNYS", or "none: <why>"."""
    market = market_for(symbol)
    return market.calendar or market.calendar_note


def previous_trading_day(symbol: str, d: date) -> date:
    """The last trading day strictly before ``d`` (weekends and holidays skipped)."""
    market = market_for(symbol)
    day = d - timedelta(1)
    for _ in range(30):
        if _trades_on(market, day):
            return day
        day -= timedelta(1)
    return day


def trading_day(symbol: str, t: datetime) -> date:
    """The exchange-local date of the session ``t`` belongs to.

    Pre- and post-market prints belong to their day; a weekend or holiday print belongs
    to the last session before it; forex/futures evenings belong to the next day.
    """
    market = market_for(symbol)
    local = t.astimezone(market.tz)
    if market.kind == "forex" and local.time() >= time(17):
        local += timedelta(days=1)
    elif market.kind == "futures" and local.time() >= time(18):
        local += timedelta(days=1)
    d = local.date()
    return d if _trades_on(market, d) else previous_trading_day(symbol, d)


def open_intervals(symbols: Iterable[str], a: datetime, b: datetime) -> list[Interval]:
    """Merged UTC intervals within [a, b) when at least one symbol's market is open."""
    if b <= a:
        return []
    found: list[Interval] = []
    markets = {m.name: m for m in map(market_for, symbols)}  # Market is not hashable
    for market in markets.values():
        first, last = a.astimezone(market.tz).date(), b.astimezone(market.tz).date()
        for n in range(-1, (last - first).days + 2):
            for start, end in _sessions_of(market, first + timedelta(n)):
                lo, hi = max(start, a), min(end, b)
                if lo < hi:
                    found.append((lo.astimezone(UTC), hi.astimezone(UTC)))
    return _merge(found)


def _merge(intervals: list[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def open_seconds_between(symbols: Sequence[str], a: datetime, b: datetime) -> float:
    """Seconds in [a, b) during which at least one symbol's regular session is open."""
    return sum((end - start).total_seconds() for start, end in open_intervals(symbols, a, b))


def is_stale(quote: Quote, now: datetime, quotes_every: float) -> bool:
    """Older than max(3 polls, the market's usual data delay) while its market is open.
    A market with no calendar and no reported period today is never called stale."""
    market = market_for(quote.symbol)
    if market.kind == "unknown" and _reported(market, now.astimezone(market.tz).date()) is None:
        return False
    if not is_open(quote.symbol, now):
        return False
    if quote.as_of is None:
        return True
    limit = max(3.0 * quotes_every, market.data_delay)
    return (now - quote.as_of).total_seconds() > limit
