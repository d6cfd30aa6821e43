"""Market sessions by symbol: when each market trades, in its own time zone.

No I/O, no clock: every function takes aware datetimes.  The markets themselves (which
suffix names which, their hours, holiday calendars and data delays) are in
``monitor.markets``.

Today's session: a quote source that reads Yahoo's own trading period (the
``currentTradingPeriod`` of a v7 quote or v8 chart meta) hands it to
``note_trading_period``; that period then wins over the calendar for its day.

Every quote of every batch asks for its market's state (staleness, the rules' closed
markets, the state cells): the answer is kept per market and moment until a reported
period changes (``market_state``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from monitor.markets import CALENDARS, MARKETS, Interval, Market, at_time, market_for
from monitor.model import MarketState, Quote

__all__ = ["CALENDARS", "MARKETS", "Interval", "Market", "market_for"]


@dataclass(frozen=True, slots=True)
class TradingPeriod:
    """A day's periods as the data source reported them (aware datetimes)."""

    regular: Interval
    pre: Interval | None = None
    post: Interval | None = None


_REPORTED: dict[str, dict[date, TradingPeriod]] = {}
_AROUND: dict[tuple[str, date], list[Interval]] = {}
#: each market's state at each moment asked about; cleared with ``_AROUND``
_STATES: dict[tuple[str, datetime], MarketState] = {}


def _forget_worked_out() -> None:
    """What was worked out from the reported periods: stale once one changes."""
    _AROUND.clear()
    _STATES.clear()


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
    _forget_worked_out()


def forget_trading_periods() -> None:
    """Drop every reported period (tests; a source that stops reporting)."""
    _REPORTED.clear()
    _forget_worked_out()


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
            return [(at_time(d, time(0), market.tz), at_time(d + timedelta(1), time(0), market.tz))]
        return market.sessions_on(d)
    pieces = [period.regular]
    for (_, gap_start), (gap_end, _) in zip(market.sessions, market.sessions[1:], strict=False):
        lo, hi = at_time(d, gap_start, market.tz), at_time(d, gap_end, market.tz)
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
    """The market's state at ``t``.  A print exactly at the close still counts as regular.
    Kept per market and moment (a batch asks once per quote, at one moment)."""
    market = market_for(symbol)
    if t.tzinfo is None:
        return _state_at(market, t)  # compared with aware times below: it raises
    key = (market.name, t.astimezone(UTC))  # one instant, whatever its zone and fold
    state = _STATES.get(key)
    if state is None:
        if len(_STATES) > 4096:
            _STATES.clear()
        state = _STATES[key] = _state_at(market, t)
    return state


def _state_at(market: Market, t: datetime) -> MarketState:
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
        pre = (at_time(day, market.pre_open, market.tz), regular[0][0])
    if post is None and market.post_close:
        post = (regular[-1][1], at_time(day, market.post_close, market.tz))
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
