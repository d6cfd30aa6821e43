"""Market sessions by symbol suffix: when each market trades, in its own time zone.

Pure: no I/O, no clock.  Every function takes aware datetimes.  Markets are chosen by
Yahoo's symbol conventions: no suffix (and ``^`` indexes) = US; ``.SS``/``.SZ``/``.BJ`` =
mainland China; ``.HK``; ``.L``; ``.T``; ``.DE``/``.PA``/``.AS``; ``-USD``/``-USDT`` =
crypto (always open); ``=X`` = forex (24x5); ``=F`` = futures (CME Globex, ~23x5).

Holidays: full NYSE lists for 2024-2027 (with early closes), mainland China 2024-2026 and
Hong Kong 2025.  Other markets and years know weekends only: extend the tables yearly.

``data_delay`` is how late Yahoo's free quotes usually are for that market (its
"Exchanges and data providers" page): US real time; Shanghai/Shenzhen 30 min; Hong
Kong, Xetra, Paris, Amsterdam 15 min; London, Tokyo 20 min; CME futures 10 min.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from monitor.model import MarketState, Quote

Interval = tuple[datetime, datetime]


def _days(*isodates: str) -> frozenset[date]:
    return frozenset(date.fromisoformat(d) for d in isodates)


def _span(first: str, last: str) -> list[str]:
    a, b = date.fromisoformat(first), date.fromisoformat(last)
    return [(a + timedelta(n)).isoformat() for n in range((b - a).days + 1)]


NYSE_HOLIDAYS = _days(
    # 2024
    "2024-01-01",
    "2024-01-15",
    "2024-02-19",
    "2024-03-29",
    "2024-05-27",
    "2024-06-19",
    "2024-07-04",
    "2024-09-02",
    "2024-11-28",
    "2024-12-25",
    # 2025 (01-09: national day of mourning for President Carter)
    "2025-01-01",
    "2025-01-09",
    "2025-01-20",
    "2025-02-17",
    "2025-04-18",
    "2025-05-26",
    "2025-06-19",
    "2025-07-04",
    "2025-09-01",
    "2025-11-27",
    "2025-12-25",
    # 2026 (07-03: Independence Day observed)
    "2026-01-01",
    "2026-01-19",
    "2026-02-16",
    "2026-04-03",
    "2026-05-25",
    "2026-06-19",
    "2026-07-03",
    "2026-09-07",
    "2026-11-26",
    "2026-12-25",
    # 2027 (06-18, 07-05, 12-24: observed)
    "2027-01-01",
    "2027-01-18",
    "2027-02-15",
    "2027-03-26",
    "2027-05-31",
    "2027-06-18",
    "2027-07-05",
    "2027-09-06",
    "2027-11-25",
    "2027-12-24",
)

#: NYSE closes at 13:00 on these days.
NYSE_EARLY_CLOSES: Mapping[date, time] = {
    d: time(13, 0)
    for d in _days(
        "2024-07-03",
        "2024-11-29",
        "2024-12-24",
        "2025-07-03",
        "2025-11-28",
        "2025-12-24",
        "2026-11-27",
        "2026-12-24",
        "2027-11-26",
    )
}

#: Shanghai/Shenzhen/Beijing closures on weekdays (State Council holiday notices).
CHINA_HOLIDAYS = _days(
    "2024-01-01",
    *_span("2024-02-09", "2024-02-17"),
    *_span("2024-04-04", "2024-04-05"),
    *_span("2024-05-01", "2024-05-03"),
    "2024-06-10",
    *_span("2024-09-16", "2024-09-17"),
    *_span("2024-10-01", "2024-10-07"),
    "2025-01-01",
    *_span("2025-01-28", "2025-02-04"),
    "2025-04-04",
    *_span("2025-05-01", "2025-05-05"),
    "2025-06-02",
    *_span("2025-10-01", "2025-10-08"),
    *_span("2026-01-01", "2026-01-02"),
    *_span("2026-02-16", "2026-02-23"),
    "2026-04-06",
    *_span("2026-05-01", "2026-05-05"),
    "2026-06-19",
    "2026-09-25",
    *_span("2026-10-01", "2026-10-07"),
)

HK_HOLIDAYS = _days(
    "2025-01-01",
    "2025-01-29",
    "2025-01-30",
    "2025-01-31",
    "2025-04-04",
    "2025-04-18",
    "2025-04-21",
    "2025-05-01",
    "2025-05-05",
    "2025-07-01",
    "2025-10-01",
    "2025-10-07",
    "2025-10-29",
    "2025-12-25",
    "2025-12-26",
)

NEW_YORK = ZoneInfo("America/New_York")


@dataclass(frozen=True, slots=True)
class Market:
    """One market's trading calendar.

    ``kind`` is "exchange" (sessions on weekdays that are not holidays), "crypto"
    (always open), "forex" (Sunday 17:00 to Friday 17:00 New York) or "futures"
    (CME Globex: 18:00 to 17:00 New York, Sunday evening to Friday).
    """

    name: str
    tz: ZoneInfo
    sessions: tuple[tuple[time, time], ...] = ()
    pre_open: time | None = None
    post_close: time | None = None
    holidays: frozenset[date] = frozenset()
    early_closes: Mapping[date, time] = field(default_factory=dict)
    data_delay: float = 0.0
    kind: str = "exchange"

    def is_trading_day(self, d: date) -> bool:
        if self.kind == "crypto":
            return True
        return d.weekday() < 5 and d not in self.holidays

    def sessions_on(self, d: date) -> list[Interval]:
        """The regular sessions of local day ``d`` as aware datetimes (may cross midnight)."""
        if not self.is_trading_day(d):
            return []
        if self.kind == "crypto":
            return [_local(d, time(0), self.tz, days=1)]
        if self.kind == "forex":
            # The session of day d runs from 17:00 the evening before to 17:00 on d.
            return [(_at(d - timedelta(1), time(17), self.tz), _at(d, time(17), self.tz))]
        if self.kind == "futures":
            return [(_at(d - timedelta(1), time(18), self.tz), _at(d, time(17), self.tz))]
        out = []
        early = self.early_closes.get(d)
        for start, end in self.sessions:
            if early is not None and early <= start:
                break
            end = min(end, early) if early is not None else end
            out.append((_at(d, start, self.tz), _at(d, end, self.tz)))
        return out


def _at(d: date, t: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(d, t, tzinfo=tz)


def _local(d: date, t: time, tz: ZoneInfo, *, days: int) -> Interval:
    start = _at(d, t, tz)
    return start, _at(d + timedelta(days), t, tz)


US = Market(
    "US",
    NEW_YORK,
    ((time(9, 30), time(16, 0)),),
    time(4, 0),
    time(20, 0),
    NYSE_HOLIDAYS,
    NYSE_EARLY_CLOSES,
    0.0,
)
_CHINA_SESSIONS = ((time(9, 30), time(11, 30)), (time(13, 0), time(15, 0)))
_SHANGHAI = ZoneInfo("Asia/Shanghai")
CHINA = Market("China A-shares", _SHANGHAI, _CHINA_SESSIONS, None, None, CHINA_HOLIDAYS, {}, 1800.0)
HONG_KONG = Market(
    "Hong Kong",
    ZoneInfo("Asia/Hong_Kong"),
    ((time(9, 30), time(12, 0)), (time(13, 0), time(16, 0))),
    None,
    None,
    HK_HOLIDAYS,
    {},
    900.0,
)
LONDON = Market(
    "London", ZoneInfo("Europe/London"), ((time(8, 0), time(16, 30)),), data_delay=1200.0
)
TOKYO = Market(
    "Tokyo",
    ZoneInfo("Asia/Tokyo"),
    ((time(9, 0), time(11, 30)), (time(12, 30), time(15, 30))),
    data_delay=1200.0,
)
_EU_SESSION = ((time(9, 0), time(17, 30)),)
XETRA = Market("Xetra", ZoneInfo("Europe/Berlin"), _EU_SESSION, data_delay=900.0)
PARIS = Market("Paris", ZoneInfo("Europe/Paris"), _EU_SESSION, data_delay=900.0)
AMSTERDAM = Market("Amsterdam", ZoneInfo("Europe/Amsterdam"), _EU_SESSION, data_delay=900.0)
CRYPTO = Market("Crypto", ZoneInfo("UTC"), kind="crypto")
FOREX = Market("Forex", NEW_YORK, kind="forex")
FUTURES = Market("Futures", NEW_YORK, data_delay=600.0, kind="futures")

_BY_SUFFIX: Mapping[str, Market] = {
    ".SS": CHINA,
    ".SZ": CHINA,
    ".BJ": CHINA,
    ".HK": HONG_KONG,
    ".L": LONDON,
    ".T": TOKYO,
    ".DE": XETRA,
    ".PA": PARIS,
    ".AS": AMSTERDAM,
    "-USD": CRYPTO,
    "-USDT": CRYPTO,
    "=X": FOREX,
    "=F": FUTURES,
}


@lru_cache(maxsize=1024)
def market_for(symbol: str) -> Market:
    """The market a Yahoo symbol trades on; US when the suffix is not known."""
    upper = symbol.upper()
    for suffix, market in _BY_SUFFIX.items():
        if upper.endswith(suffix):
            return market
    return US


_AROUND: dict[tuple[int, date], list[Interval]] = {}


def _sessions_around(market: Market, t: datetime) -> list[Interval]:
    """Sessions of the day before, of and after ``t``: memoized per market and day, since
    every quote of every batch asks (200 symbols share a handful of markets)."""
    d = t.astimezone(market.tz).date()
    key = (id(market), d)
    around = _AROUND.get(key)
    if around is None:
        if len(_AROUND) > 4096:
            _AROUND.clear()
        around = [s for n in (-1, 0, 1) for s in market.sessions_on(d + timedelta(n))]
        _AROUND[key] = around
    return around


def market_state(symbol: str, t: datetime) -> MarketState:
    """The market's state at ``t``.  A print exactly at the close still counts as regular."""
    market = market_for(symbol)
    if any(start <= t <= end for start, end in _sessions_around(market, t)):
        return MarketState.REGULAR
    if market.kind != "exchange" or not market.sessions:
        return MarketState.CLOSED
    local = t.astimezone(market.tz)
    regular = market.sessions_on(local.date())
    if not regular:
        return MarketState.CLOSED
    if market.pre_open and _at(local.date(), market.pre_open, market.tz) <= t < regular[0][0]:
        return MarketState.PRE
    if market.post_close and regular[-1][1] < t < _at(local.date(), market.post_close, market.tz):
        return MarketState.POST
    return MarketState.CLOSED


def is_open(symbol: str, t: datetime) -> bool:
    """True during a regular session (close time included)."""
    return market_state(symbol, t) is MarketState.REGULAR


def is_trading_day(symbol: str, d: date) -> bool:
    return market_for(symbol).is_trading_day(d)


def previous_trading_day(symbol: str, d: date) -> date:
    """The last trading day strictly before ``d`` (weekends and known holidays skipped)."""
    market = market_for(symbol)
    day = d - timedelta(1)
    for _ in range(30):
        if market.is_trading_day(day):
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
    return d if market.is_trading_day(d) else previous_trading_day(symbol, d)


def open_intervals(symbols: Iterable[str], a: datetime, b: datetime) -> list[Interval]:
    """Merged UTC intervals within [a, b) when at least one symbol's market is open."""
    if b <= a:
        return []
    found: list[Interval] = []
    markets = {m.name: m for m in map(market_for, symbols)}  # Market is not hashable
    for market in markets.values():
        first, last = a.astimezone(market.tz).date(), b.astimezone(market.tz).date()
        for n in range(-1, (last - first).days + 2):
            for start, end in market.sessions_on(first + timedelta(n)):
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
    """Older than max(3 polls, the market's usual data delay) while its market is open."""
    if not is_open(quote.symbol, now):
        return False
    if quote.as_of is None:
        return True
    limit = max(3.0 * quotes_every, market_for(quote.symbol).data_delay)
    return (now - quote.as_of).total_seconds() > limit
