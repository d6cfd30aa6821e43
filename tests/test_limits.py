"""China A-share price limits: boards, half-up cents, limit flags, streaks."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

import pytest

from monitor.model import DailyBar, Quote
from monitor.price_limits import (
    at_limit_down,
    at_limit_up,
    board_limit,
    is_risk_warning,
    limit_prices,
    limit_up_streak,
)


@pytest.mark.parametrize(
    ("symbol", "name", "limit"),
    [
        ("600519.SS", None, "0.10"),  # Kweichow Moutai, Shanghai main board
        ("000001.SZ", None, "0.10"),  # Ping An Bank, Shenzhen main board
        ("002594.SZ", None, "0.10"),
        ("003816.SZ", None, "0.10"),
        ("688981.SS", None, "0.20"),  # SMIC, STAR Market
        ("689009.SS", None, "0.20"),
        ("300766.SZ", None, "0.20"),  # Tigermed, ChiNext
        ("301269.SZ", None, "0.20"),
        ("430047.BJ", None, "0.30"),
        ("830799.BJ", None, "0.30"),
        ("920099.BJ", None, "0.30"),
        ("600243.SS", "*ST海华", "0.05"),
        ("000004.SZ", "ST国华", "0.05"),
        ("000004.SZ", "ST Guohua", "0.05"),
        ("300108.SZ", "*ST吉药", "0.20"),  # ChiNext ST keeps 20%
        ("688555.SS", "*ST泽达", "0.20"),  # STAR ST keeps 20%
        ("600000.SS", "Stanley Ltd", "0.10"),  # "St..." is not a risk warning
    ],
)
def test_board_limits(symbol, name, limit):
    assert board_limit(symbol, name) == Decimal(limit)


@pytest.mark.parametrize(
    "symbol",
    ["NVDA", "^SOX", "9988.HK", "000001.SS", "399001.SZ", "510300.SS", "BTC-USD", "60051.SS"],
)
def test_no_limit_outside_a_share_stocks(symbol):
    assert board_limit(symbol) is None
    assert limit_prices(symbol, 10.0) is None


def test_risk_warning_names():
    assert is_risk_warning("*ST中润") and is_risk_warning("S*ST前锋") and is_risk_warning("ST")
    assert not is_risk_warning("STAR Market ETF") and not is_risk_warning(None)


def test_main_board_ten_percent():
    assert limit_prices("600519.SS", 10.00) == (Decimal("9.00"), Decimal("11.00"))


def test_chinext_rounds_half_up_to_the_cent():
    # 40.33 × 1.2 = 48.396 -> 48.40; 40.33 × 0.8 = 32.264 -> 32.26
    assert limit_prices("300766.SZ", 40.33) == (Decimal("32.26"), Decimal("48.40"))


def test_exact_half_cent_rounds_up_not_to_even():
    # 10.15 × 1.1 = 11.165 exactly: the exchange says 11.17; banker's rounding 11.16.
    down, up = limit_prices("600000.SS", 10.15)
    assert up == Decimal("11.17")
    assert Decimal("11.165").quantize(Decimal("0.01"), ROUND_HALF_EVEN) == Decimal("11.16")
    assert down == Decimal("9.14")  # 9.135 -> 9.14


def test_st_five_percent_and_beijing_thirty():
    assert limit_prices("600243.SS", 5.25, "*ST海华") == (Decimal("4.99"), Decimal("5.51"))
    assert limit_prices("430047.BJ", 10.00) == (Decimal("7.00"), Decimal("13.00"))


def test_limit_prices_need_a_positive_previous_close():
    assert limit_prices("600519.SS", 0.0) is None


def test_at_limit_flags():
    up = Quote("300766.SZ", price=48.40, prev_close=40.33)
    assert at_limit_up(up) and not at_limit_down(up)
    assert not at_limit_up(Quote("300766.SZ", price=48.39, prev_close=40.33))
    assert at_limit_down(Quote("300766.SZ", price=32.26, prev_close=40.33))
    assert not at_limit_up(Quote("NVDA", price=200.0, prev_close=100.0))
    assert not at_limit_up(Quote("300766.SZ", price=None, prev_close=40.33))
    st = Quote("600243.SS", price=5.51, prev_close=5.25, name="*ST海华")
    assert at_limit_up(st)


def _bars(closes):
    start = date(2025, 1, 6)
    return [DailyBar(start + timedelta(days=i), None, None, None, c) for i, c in enumerate(closes)]


def test_limit_up_streak():
    # 10.00 -> 11.00 -> 12.10 -> 13.31: three sessions closing at limit up
    bars = _bars([9.5, 10.00, 11.00, 12.10, 13.31])
    assert limit_up_streak(bars, "600519.SS") == 3
    today_up = Quote("600519.SS", price=14.64, prev_close=13.31)  # 14.641 -> 14.64
    assert limit_up_streak(bars, "600519.SS", today=today_up) == 4
    today_off = Quote("600519.SS", price=14.00, prev_close=13.31)
    assert limit_up_streak(bars, "600519.SS", today=today_off) == 0
    assert limit_up_streak(_bars([10.0, 11.0, 11.5, 12.65]), "600519.SS") == 1
    assert limit_up_streak(_bars([10.0]), "600519.SS") == 0
    assert limit_up_streak(bars, "NVDA") == 0
