"""The plausibility rule alone (monitor/plausibility.py): real crashes pass, glitches do
not.  Prices of real days where they exist: NVDA and ^SOX on 2025-01-27 (the DeepSeek
shock), CL=F on 2020-04-20, ChiNext 300766.SZ at its 20% limit."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from monitor.plausibility import Doubt, Kind, confirms, judge, kind_of
from monitor.price_limits import listing_without_limit

NOW = datetime(2025, 1, 27, 15, 0, tzinfo=UTC)


def _judge(symbol: str, price: float, prev: float | None, **kw):
    as_of = kw.pop("as_of", NOW)
    return judge(symbol, price, as_of, NOW, prev_close=prev, **kw)


@pytest.mark.parametrize(
    "symbol, price, prev, kw",
    [
        ("NVDA", 118.42, 142.62, {}),  # -17%, 2025-01-27
        ("^SOX", 4853.24, 5341.94, {"last_good": 5341.94}),  # -9.15%
        ("^GSPC", 5021.84, 6040.53, {"last_good": 5021.84 * 1.01}),  # within 2% of a good print
        ("300766.SZ", 48.40, 40.33, {}),  # ChiNext +20% limit up
        ("300766.SZ", 32.26, 40.33, {}),  # ChiNext -20% limit down
        ("600519.SS", 1650.0, 1500.0, {}),  # main board +10%
        ("830799.BJ", 13.0, 10.0, {}),  # Beijing +30%
        ("301600.SZ", 80.0, 20.0, {"listing": True}),  # +300% in its listing days: no band
        ("NVDA", 72.0, 142.62, {}),  # -49.5%: a large move, still one step
        ("^VIX", 34.0, 23.39, {"last_good": 23.39}),  # +45% step: volatility skips the step
        ("^VXN", 34.0, None, {"last_good": 23.39}),  # (^NDX so: a suspect, below)
        ("CL=F", -37.63, -37.0, {"last_good": -37.0}),  # a future below zero, near its last
        ("NVDA", 118.42, None, {}),  # no previous close: nothing to measure against
        ("NVDA", 118.42, 142.62, {"as_of": NOW + timedelta(seconds=59)}),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_plausible_prints(symbol, price, prev, kw):
    assert _judge(symbol, price, prev, **kw) is None


@pytest.mark.parametrize(
    "symbol, price, prev, kw, doubt, words",
    [
        ("BTC-USD", 0.0001, 100.0, {}, Doubt.MOVE, "-100% from the previous close 100"),
        ("NVDA", 285.3, 142.62, {}, Doubt.MOVE, "beyond ±50%"),
        ("NVDA", 0.0, 142.62, {}, Doubt.PRICE, "price 0 is not a price"),
        ("NVDA", -1.0, 142.62, {}, Doubt.PRICE, "not a price"),
        ("NVDA", math.nan, 142.62, {}, Doubt.PRICE, "not a number"),
        ("NVDA", math.inf, 142.62, {}, Doubt.PRICE, "not a number"),
        ("^SOX", 0.0, 5341.94, {}, Doubt.PRICE, "not a price"),
        ("NVDA", 118.42, 142.62, {"as_of": NOW + timedelta(days=1)}, Doubt.TIME, "1 d ahead"),
        ("NVDA", 118.42, 142.62, {"as_of": NOW + timedelta(minutes=2)}, Doubt.TIME, "2 min"),
        ("300766.SZ", 49.0, 40.33, {}, Doubt.MOVE, "beyond ±21%"),  # ChiNext +21.5%
        ("600519.SS", 1672.5, 1500.0, {}, Doubt.MOVE, "beyond ±11%"),  # main board +11.5%
        ("600519.SS", 1060.0, 1200.0, {"name": "*ST Moutai"}, Doubt.MOVE, "beyond ±6%"),
        ("830799.BJ", 13.2, 10.0, {}, Doubt.MOVE, "beyond ±31%"),
        ("301600.SZ", 80.0, 20.0, {}, Doubt.MOVE, "beyond ±21%"),  # not in its listing days
        ("^SOX", 3900.0, 5341.94, {"last_good": 5341.94}, Doubt.MOVE, "from the last good"),
        ("^GSPC", 4400.0, None, {"last_good": 6040.53}, Doubt.MOVE, "beyond ±25%"),
        ("^VIX", 38.57, 23.39, {"last_good": 23.39}, Doubt.MOVE, "previous close 23.39"),
        ("^NDX", 34.0, None, {"last_good": 23.39}, Doubt.MOVE, "+45% from the last good"),
        # CL=F on 2020-04-20: below zero is a price for a future, but a move to confirm
        ("CL=F", -37.63, 18.27, {}, Doubt.MOVE, "from the previous close 18.27"),
    ],
)
def test_suspect_prints(symbol, price, prev, kw, doubt, words):
    suspicion = _judge(symbol, price, prev, **kw)
    assert suspicion is not None and suspicion.doubt is doubt
    assert words in suspicion.reason
    assert suspicion.confirmable is (doubt is not Doubt.PRICE)


@pytest.mark.parametrize(
    "symbol, kind",
    [
        ("NVDA", Kind.OTHER),
        ("BTC-USD", Kind.OTHER),
        ("EURUSD=X", Kind.OTHER),
        ("9988.HK", Kind.OTHER),
        ("000001.SS", Kind.OTHER),  # the SSE Composite: no limit band
        ("300766.SZ", Kind.A_SHARE),
        ("688316.SS", Kind.A_SHARE),
        ("830799.BJ", Kind.A_SHARE),
        ("^SOX", Kind.INDEX),
        ("^GSPC", Kind.INDEX),
        ("^HSI", Kind.INDEX),
        ("^VIX", Kind.VOLATILITY),
        ("^VIX9D", Kind.VOLATILITY),
        ("^VVIX", Kind.VOLATILITY),
        ("^VXN", Kind.VOLATILITY),
        ("^OVX", Kind.VOLATILITY),
        ("^V2TX", Kind.VOLATILITY),
        ("CL=F", Kind.FUTURE),
        ("es=f", Kind.FUTURE),
    ],
)
def test_kinds(symbol, kind):
    assert kind_of(symbol) is kind


@pytest.mark.parametrize(
    "price, suspect, ok",
    [
        (100.0, 101.9, True),
        (101.9, 100.0, True),
        (97.9, 100.0, False),
        (102.1, 100.0, False),
        (-37.0, -37.63, True),
        (0.0001, 0.0001, True),
        (None, 100.0, False),
        (math.nan, 100.0, False),
    ],
)
def test_confirms_within_two_percent(price, suspect, ok):
    assert confirms(price, suspect) is ok


@pytest.mark.parametrize(
    "symbol, sessions, without",
    [
        ("301600.SZ", 0, True),
        ("301600.SZ", 4, True),
        ("301600.SZ", 5, False),
        ("603000.SS", 2, True),
        ("830799.BJ", 0, True),
        ("830799.BJ", 1, False),
        ("NVDA", 0, False),
        ("000001.SS", 0, False),
    ],
)
def test_listing_sessions_without_limit(symbol, sessions, without):
    assert listing_without_limit(symbol, sessions) is without
