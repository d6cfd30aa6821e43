"""The markets a Yahoo symbol can trade on, each with its time zone, sessions, holiday
calendar and data delay (``monitor.sessions`` works out from them when each trades).

Markets are chosen by Yahoo's symbol conventions: no suffix (and ``^`` indexes) = US;
``.SS``/``.SZ``/``.BJ`` = mainland China; ``.HK``; ``.L``; ``.T``; ``.KS``/``.KQ``;
``.TW``/``.TWO``; ``.DE``/``.PA``/``.AS``; ``-USD``/``-USDT`` = crypto (always open);
``=X`` = forex (24x5); ``=F`` = futures (CME Globex, ~23x5).  Any other ``.XX`` suffix is
an *unknown* market: no calendar, and it says so (``Market.calendar_note``) rather than
borrowing another market's hours.

Holidays and early closes come from the ``holidays`` package's financial calendars (ISO
10383 codes: XNYS, XSHG, XHKG, XLON, XJPX, XKRX, XTAI, XETR, XPAR, XAMS, XCME), for any
year it knows, one-off closures included.  It is imported on first use (~0.1 s), not at
start-up.  A half day ends at the market's ``early_close``: one constant per exchange.

``data_delay`` is how late Yahoo's free quotes usually are for that market (its
"Exchanges and data providers" page): US real time; Shanghai/Shenzhen 30 min; Hong
Kong, Xetra, Paris, Amsterdam 15 min; London, Tokyo, Seoul, Taipei 20 min; CME 10 min.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from monitor import calendar_cache

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
            return [(at_time(d, time(0), self.tz), at_time(d + timedelta(1), time(0), self.tz))]
        if self.kind == "forex":
            # The session of day d runs from 17:00 the evening before to 17:00 on d.
            return [(at_time(d - timedelta(1), time(17), self.tz), at_time(d, time(17), self.tz))]
        if self.kind == "futures":
            end = early or time(17)
            return [(at_time(d - timedelta(1), time(18), self.tz), at_time(d, end, self.tz))]
        out = []
        for start, end in self.sessions:
            if early is not None and early <= start:
                break
            end = min(end, early) if early is not None else end
            out.append((at_time(d, start, self.tz), at_time(d, end, self.tz)))
        return out


def at_time(d: date, t: time, tz: ZoneInfo) -> datetime:
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
