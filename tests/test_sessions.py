"""Market sessions: which market, open or not, trading days, open time, staleness."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

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


def utc(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=UTC)


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


def test_holiday_tables_hold_weekdays_only():
    for table in (sessions.NYSE_HOLIDAYS, sessions.HK_HOLIDAYS):
        assert all(d.weekday() < 5 for d in table)
    per_year = {
        y: sum(d.year == y for d in sessions.NYSE_HOLIDAYS) for y in (2024, 2025, 2026, 2027)
    }
    assert per_year == {2024: 10, 2025: 11, 2026: 10, 2027: 10}


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
