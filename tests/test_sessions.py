"""Market sessions: which market, open or not, trading days, open time, staleness."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from monitor import sessions
from monitor.model import MarketState, Quote
from monitor.sessions import (
    is_open,
    is_stale,
    is_trading_day,
    market_for,
    market_state,
    open_seconds_between,
    previous_trading_day,
    trading_day,
)


def utc(y: int, m: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, tzinfo=UTC)


@pytest.mark.parametrize(
    ("symbol", "market"),
    [
        ("NVDA", "US"),
        ("^SOX", "US"),
        ("SMH", "US"),
        ("300766.SZ", "China A-shares"),
        ("600519.SS", "China A-shares"),
        ("430047.BJ", "China A-shares"),
        ("9988.HK", "Hong Kong"),
        ("VOD.L", "London"),
        ("7203.T", "Tokyo"),
        ("SAP.DE", "Xetra"),
        ("MC.PA", "Paris"),
        ("ASML.AS", "Amsterdam"),
        ("BTC-USD", "Crypto"),
        ("ETH-USDT", "Crypto"),
        ("EURUSD=X", "Forex"),
        ("ES=F", "Futures"),
        ("005930.KS", "Korea"),
        ("2330.TW", "Taiwan"),
        ("6488.TWO", "Taiwan"),
    ],
)
def test_market_by_suffix(symbol, market):
    assert market_for(symbol).name == market


def test_zoneinfo_has_the_zones():
    assert market_for("300766.SZ").tz.key == "Asia/Shanghai"
    assert utc(2025, 1, 27, 7).astimezone(market_for("300766.SZ").tz).hour == 15


@pytest.mark.parametrize(
    ("t", "state"),
    [
        (utc(2025, 1, 27, 8, 59), MarketState.CLOSED),  # 03:59 New York
        (utc(2025, 1, 27, 9), MarketState.PRE),
        (utc(2025, 1, 27, 14, 29), MarketState.PRE),
        (utc(2025, 1, 27, 14, 30), MarketState.REGULAR),
        (utc(2025, 1, 27, 21), MarketState.REGULAR),  # a print at the close
        (utc(2025, 1, 27, 21, 1), MarketState.POST),
        (utc(2025, 1, 28, 1), MarketState.CLOSED),  # 20:00 New York
        (utc(2025, 1, 25, 15), MarketState.CLOSED),  # Saturday
        (utc(2025, 1, 9, 15), MarketState.CLOSED),  # day of mourning for President Carter
        (utc(2025, 1, 20, 15), MarketState.CLOSED),  # Martin Luther King Jr. Day
        (utc(2025, 3, 10, 13, 30), MarketState.REGULAR),  # 09:30 EDT after the switch
        (utc(2025, 11, 28, 18), MarketState.REGULAR),  # 13:00 early close, inclusive
        (utc(2025, 11, 28, 18, 5), MarketState.POST),
    ],
)
def test_us_market_state(t, state):
    assert market_state("NVDA", t) is state


@pytest.mark.parametrize(
    ("t", "state"),
    [
        (utc(2025, 1, 27, 1), MarketState.CLOSED),  # 09:00 Shanghai: no pre-market
        (utc(2025, 1, 27, 1, 30), MarketState.REGULAR),
        (utc(2025, 1, 27, 4), MarketState.CLOSED),  # lunch break
        (utc(2025, 1, 27, 5), MarketState.REGULAR),
        (utc(2025, 1, 27, 7), MarketState.REGULAR),  # 15:00 close print
        (utc(2025, 1, 27, 7, 1), MarketState.CLOSED),
        (utc(2025, 1, 29, 2), MarketState.CLOSED),  # Spring Festival
    ],
)
def test_shenzhen_market_state(t, state):
    assert market_state("300766.SZ", t) is state


def test_hong_kong_tokyo_london():
    assert is_open("9988.HK", utc(2025, 1, 27, 2))  # 10:00 Hong Kong
    assert not is_open("9988.HK", utc(2025, 1, 27, 4, 30))  # 12:30 lunch
    assert not is_open("9988.HK", utc(2025, 1, 29, 2))  # Lunar New Year
    assert not is_open("7203.T", utc(2025, 1, 27, 3))  # 12:00 Tokyo lunch
    assert is_open("7203.T", utc(2025, 1, 27, 6, 30))  # 15:30 Tokyo close
    assert is_open("VOD.L", utc(2025, 7, 1, 7))  # 08:00 BST
    assert not is_open("VOD.L", utc(2025, 7, 1, 15, 31))


def test_crypto_forex_futures():
    saturday = utc(2025, 1, 25, 12)
    assert is_open("BTC-USD", saturday)
    assert not is_open("EURUSD=X", saturday)
    assert is_open("EURUSD=X", utc(2025, 1, 26, 22, 30))  # Sunday 17:30 New York
    assert not is_open("EURUSD=X", utc(2025, 1, 24, 22, 30))  # Friday 17:30 New York
    assert not is_open("ES=F", utc(2025, 1, 27, 22, 30))  # 17:30: daily maintenance
    assert is_open("ES=F", utc(2025, 1, 27, 23, 30))


def test_trading_days():
    assert not is_trading_day("NVDA", date(2025, 1, 20))
    assert is_trading_day("300766.SZ", date(2025, 1, 27))
    assert not is_trading_day("300766.SZ", date(2025, 2, 3))
    assert previous_trading_day("NVDA", date(2025, 1, 21)) == date(2025, 1, 17)
    assert previous_trading_day("300766.SZ", date(2025, 2, 5)) == date(2025, 1, 27)
    assert is_trading_day("BTC-USD", date(2025, 1, 25))


def test_trading_day_of_a_time():
    assert trading_day("NVDA", utc(2025, 1, 25, 15)) == date(2025, 1, 24)  # Saturday
    assert trading_day("NVDA", utc(2025, 1, 28, 3)) == date(2025, 1, 27)  # 22:00 NY
    assert trading_day("300766.SZ", utc(2025, 1, 26, 23)) == date(2025, 1, 27)  # 07:00
    assert trading_day("EURUSD=X", utc(2025, 1, 26, 22, 30)) == date(2025, 1, 27)


def test_nyse_days_come_from_the_library_calendar():
    """The NYSE days the old hand-typed table held, now read from ``holidays``' XNYS."""
    per_year = {
        y: sum(not is_trading_day("NVDA", d) for d in _weekdays(y))
        for y in (2024, 2025, 2026, 2027)
    }
    assert per_year == {2024: 10, 2025: 11, 2026: 10, 2027: 10}
    assert sessions.closed_for("NVDA", date(2025, 1, 9)).startswith("National Day of Mourning")
    assert not is_open("NVDA", utc(2025, 1, 9, 15))  # one-off: President Carter
    assert not is_open("NVDA", utc(2027, 12, 24, 15))  # Christmas observed on a Friday
    assert is_open("NVDA", utc(2024, 12, 23, 15))


def _weekdays(year: int) -> list[date]:
    first = date(year, 1, 1)
    days = (first + timedelta(n) for n in range(366))
    return [d for d in days if d.year == year and d.weekday() < 5]


def test_hong_kong_2026_lunar_new_year_is_closed():
    # the old table stopped at 2025: 2026-02-17 looked like a trading day
    assert not is_trading_day("9988.HK", date(2026, 2, 17))
    assert not is_open("9988.HK", utc(2026, 2, 17, 2))  # 10:00 Hong Kong
    assert "New Year" in sessions.closed_for("9988.HK", date(2026, 2, 17))
    assert is_open("9988.HK", utc(2026, 2, 20, 2))
    assert previous_trading_day("9988.HK", date(2026, 2, 20)) == date(2026, 2, 16)


def test_mainland_china_2026_from_the_calendar():
    assert not is_trading_day("600519.SS", date(2026, 2, 23))  # Spring Festival day off
    assert not is_trading_day("300766.SZ", date(2026, 10, 7))
    assert not is_trading_day("430047.BJ", date(2026, 10, 7))
    assert is_trading_day("300766.SZ", date(2026, 2, 24))
    assert not is_trading_day("300766.SZ", date(2026, 2, 28))  # a make-up Saturday: no trading


@pytest.mark.parametrize(
    ("symbol", "last_regular", "first_after"),
    [
        ("NVDA", utc(2025, 11, 28, 18), utc(2025, 11, 28, 18, 1)),  # 13:00 New York
        ("9988.HK", utc(2026, 2, 16, 4), utc(2026, 2, 16, 5, 30)),  # Lunar New Year's Eve
        ("VOD.L", utc(2026, 12, 24, 12, 30), utc(2026, 12, 24, 12, 31)),  # 12:30 London
        ("MC.PA", utc(2026, 12, 31, 13, 5), utc(2026, 12, 31, 13, 6)),  # 14:05 Paris
        ("ES=F", utc(2026, 11, 27, 18), utc(2026, 11, 27, 18, 1)),  # CME pauses 12:00 CT
    ],
)
def test_half_days_close_early(symbol, last_regular, first_after):
    assert is_open(symbol, last_regular)
    assert not is_open(symbol, first_after)


def test_crypto_never_closes():
    for t in (utc(2025, 12, 25, 12), utc(2026, 1, 1, 0), utc(2026, 2, 17, 23, 59, 30)):
        assert is_open("BTC-USD", t)
        assert market_state("ETH-USDT", t) is MarketState.REGULAR
    assert trading_day("BTC-USD", utc(2025, 12, 25, 23, 59)) == date(2025, 12, 25)
    sessions.note_trading_period("BTC-USD", (utc(2026, 3, 2), utc(2026, 3, 2, 23, 59)))
    assert is_open("BTC-USD", utc(2026, 3, 2, 23, 59, 30))  # Yahoo's UTC day does not close it


def test_every_market_names_its_calendar_or_says_why_not():
    import holidays

    known = holidays.list_supported_financial()
    for market in sessions.MARKETS:
        if market.calendar is not None:
            assert market.calendar in known, market.name
        else:
            assert market.calendar_note.startswith("none"), market.name
    assert sessions.calendar_of("300766.SZ") == "XSHG"
    assert sessions.calendar_of("005930.KS") == "XKRX"
    assert sessions.calendar_of("2330.TW") == "XTAI"
    assert sessions.calendar_of("EURUSD=X").startswith("none: ")


def test_an_unknown_suffix_says_so_instead_of_borrowing_us_hours():
    market = market_for("BHP.AX")
    assert market.kind == "unknown" and market.calendar is None
    assert (
        sessions.calendar_of("BHP.AX") == "none: no calendar for suffix .AX; hours only from Yahoo"
    )
    night = utc(2025, 1, 27, 3)
    old = Quote("BHP.AX", price=1.0, as_of=night - timedelta(hours=5))
    assert not is_stale(old, night, quotes_every=30)  # no hours known: not judged stale
    assert market_state("BHP.AX", utc(2025, 1, 25, 3)) is MarketState.CLOSED  # Saturday
    sydney = (utc(2025, 1, 27, 23), utc(2025, 1, 28, 5))  # 10:00-16:00 Sydney
    sessions.note_trading_period("BHP.AX", sydney)
    assert is_open("BHP.AX", utc(2025, 1, 28, 1))
    assert not is_open("BHP.AX", utc(2025, 1, 28, 6))
    assert is_stale(old, utc(2025, 1, 28, 4), quotes_every=30)


def test_yahoo_reported_period_wins_over_the_calendar_for_its_day():
    # Yahoo reports an early 12:00 close (say, a typhoon in the afternoon): the calendar's
    # lunch break stays, the afternoon session goes
    hk = (utc(2025, 7, 21, 1, 30), utc(2025, 7, 21, 4))
    sessions.note_trading_period("0700.HK", hk)
    assert is_open("9988.HK", utc(2025, 7, 21, 3))
    assert not is_open("9988.HK", utc(2025, 7, 21, 6))  # 14:00: closed by Yahoo's period
    assert is_open("9988.HK", utc(2025, 7, 22, 6))  # the next day is the calendar's again
    # a period reported for a calendar holiday opens that day (Yahoo's word wins)
    sessions.note_trading_period("NVDA", (utc(2026, 7, 3, 13, 30), utc(2026, 7, 3, 20)))
    assert is_open("NVDA", utc(2026, 7, 3, 15))
    assert trading_day("NVDA", utc(2026, 7, 3, 15)) == date(2026, 7, 3)
    # lunch breaks inside a reported period stay closed
    sh = (utc(2025, 1, 27, 1, 30), utc(2025, 1, 27, 7))
    sessions.note_trading_period("300766.SZ", sh)
    assert not is_open("600519.SS", utc(2025, 1, 27, 4))
    assert is_open("600519.SS", utc(2025, 1, 27, 5))


def test_nonsense_periods_are_ignored():
    day = utc(2025, 1, 27, 15)
    sessions.note_trading_period("NVDA", (day, day))
    sessions.note_trading_period("NVDA", (day, day - timedelta(hours=1)))
    sessions.note_trading_period("NVDA", (day - timedelta(days=3), day))
    assert is_open("NVDA", day)


@pytest.fixture(autouse=True)
def _no_reported_periods():
    sessions.forget_trading_periods()
    yield
    sessions.forget_trading_periods()


def test_open_seconds_between():
    day = (utc(2025, 1, 27), utc(2025, 1, 28))
    assert open_seconds_between(["NVDA"], *day) == 6.5 * 3600
    assert open_seconds_between(["NVDA", "^SOX"], *day) == 6.5 * 3600
    assert open_seconds_between(["NVDA", "300766.SZ"], *day) == (6.5 + 4) * 3600
    weekend = (utc(2025, 1, 24, 21), utc(2025, 1, 27, 14, 30))
    assert open_seconds_between(["NVDA"], *weekend) == 0
    assert (
        open_seconds_between(["BTC-USD"], *weekend)
        == weekend[1].timestamp() - weekend[0].timestamp()
    )
    assert open_seconds_between(["NVDA"], utc(2025, 11, 28), utc(2025, 11, 29)) == 3.5 * 3600
    assert open_seconds_between(["NVDA"], *reversed(day)) == 0


def test_is_stale():
    now = utc(2025, 1, 27, 15)
    fresh = Quote("NVDA", price=1.0, as_of=now - timedelta(seconds=60))
    old = Quote("NVDA", price=1.0, as_of=now - timedelta(seconds=100))
    assert not is_stale(fresh, now, quotes_every=30)
    assert is_stale(old, now, quotes_every=30)
    assert not is_stale(old, utc(2025, 1, 25, 15), quotes_every=30)  # market closed
    assert is_stale(Quote("NVDA"), now, quotes_every=30)
    shenzhen = utc(2025, 1, 27, 2)
    delayed = Quote("300766.SZ", price=1.0, as_of=shenzhen - timedelta(minutes=20))
    assert not is_stale(delayed, shenzhen, quotes_every=30)  # within Yahoo's 30 min delay
    late = Quote("300766.SZ", price=1.0, as_of=shenzhen - timedelta(minutes=31))
    assert is_stale(late, shenzhen, quotes_every=30)


def test_a_state_asked_again_follows_a_newly_reported_period():
    """The state is kept per market and moment: a period reported (or forgotten) after
    it was asked for must change the next answer, for the regular session and for the
    pre/post hours alike."""
    day, ny = date(2025, 1, 27), ZoneInfo("America/New_York")
    at = {h: datetime(2025, 1, 27, h, 30, tzinfo=ny) for h in (3, 8, 15, 19)}
    assert [market_state("NVDA", t) for t in at.values()] == [
        MarketState.CLOSED, MarketState.PRE, MarketState.REGULAR, MarketState.POST
    ]  # fmt: skip
    regular = (datetime.combine(day, time(9, 30), ny), datetime.combine(day, time(13), ny))
    pre = (datetime.combine(day, time(3), ny), regular[0])
    post = (regular[1], datetime.combine(day, time(19), ny))
    sessions.note_trading_period("NVDA", regular, pre, post)
    assert [market_state("NVDA", t) for t in at.values()] == [
        MarketState.PRE, MarketState.PRE, MarketState.POST, MarketState.CLOSED
    ]  # fmt: skip
    assert market_state("AAPL", at[15]) is MarketState.POST  # the same market
    shenzhen_morning = utc(2025, 1, 27, 2)  # one moment, another market: its own state
    assert market_state("NVDA", shenzhen_morning) is MarketState.CLOSED
    assert market_state("300766.SZ", shenzhen_morning) is MarketState.REGULAR
    sessions.forget_trading_periods()
    assert market_state("NVDA", at[15]) is MarketState.REGULAR
    assert market_state("NVDA", at[19]) is MarketState.POST


def test_one_moment_in_any_zone_has_one_state():
    ny = ZoneInfo("America/New_York")
    # 2025-11-02 01:30 happens twice in New York: 05:30 and 06:30 UTC
    first, second = (
        datetime(2025, 11, 2, 1, 30, tzinfo=ny),
        datetime(2025, 11, 2, 1, 30, fold=1, tzinfo=ny),
    )
    assert first.astimezone(UTC) != second.astimezone(UTC)
    for t in (first, second, first.astimezone(UTC), utc(2025, 1, 27, 15)):
        assert market_state("6E=F", t) is market_state("6E=F", t.astimezone(UTC))
    with pytest.raises(TypeError):
        market_state("NVDA", datetime(2025, 1, 27, 15))  # noqa: DTZ001 — naive: refused
