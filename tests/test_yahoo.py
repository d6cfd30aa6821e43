"""YahooQuotes through the real yfinance code path against a fake Yahoo on 127.0.0.1."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from monitor.clock import ManualClock
from monitor.model import MarketState, Status
from monitor.quotes.backoff import Backoff
from monitor.quotes.base import QuoteSource
from monitor.quotes.yahoo import YahooQuotes
from monitor.quotes.yahoo_fields import failure_status, quote_from_chart, yahoo_market_state
from tests.fake_yahoo import FakeYahoo, fake_session, reset_yfinance

# Monday 2025-01-27, 15:00 in New York: the US regular session is open.
MONDAY_CLOSE = datetime(2025, 1, 27, 21, 0, tzinfo=UTC)
NOW = datetime(2025, 1, 27, 20, 0, tzinfo=UTC)
SHENZHEN_CLOSE = datetime(2025, 1, 27, 7, 0, tzinfo=UTC)  # 15:00 Asia/Shanghai


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
async def source(fake: FakeYahoo, clock: ManualClock, tmp_path: Path) -> AsyncIterator[YahooQuotes]:
    reset_yfinance(tmp_path / "yfinance")
    session = fake_session(fake)
    yq = YahooQuotes(
        clock=clock, cache_dir=tmp_path, session=session, backoff=Backoff(base=60, cap=600)
    )
    yield yq
    await yq.aclose()
    session.close()


def _bar(t: datetime, o: float, c: float, v: float = 1000.0):
    return (t, o, max(o, c), min(o, c), c, v)


async def test_normal_quotes_for_stock_index_a_share_and_crypto(fake, source, tmp_path):
    premarket = datetime(2025, 1, 27, 12, 0, tzinfo=UTC)  # 07:00 New York
    first_regular = datetime(2025, 1, 27, 14, 30, tzinfo=UTC)
    fake.set_quote(
        "NVDA",
        price=120.5,
        prev_close=142.62,
        high=127.8,
        low=116.25,
        volume=700_000_000,
        time=NOW - timedelta(seconds=5),
        name="NVIDIA Corporation",
        bars=[
            _bar(premarket, 130.0, 129.0),
            _bar(first_regular, 124.8, 121.0),
            _bar(NOW - timedelta(minutes=5), 121.0, 120.5),
        ],
    )
    fake.set_quote("^SOX", price=4853.24, prev_close=5341.94, time=NOW)
    fake.set_quote(
        "300766.SZ",
        price=48.40,
        prev_close=40.33,
        currency="CNY",
        time=SHENZHEN_CLOSE,
        name="Tigermed",
    )
    fake.set_quote("BTC-USD", price=102_000.0, prev_close=104_000.0, time=NOW)

    batch = await source.fetch(["NVDA", "^SOX", "300766.SZ", "BTC-USD"])

    nvda = batch.quotes["NVDA"]
    assert nvda.status is Status.OK
    assert (nvda.price, nvda.prev_close) == (120.5, 142.62)
    assert nvda.change_pct == pytest.approx(-15.51, abs=0.01)
    assert nvda.open == 124.8  # first regular bar, not the pre-market one
    assert (nvda.high, nvda.low, nvda.volume) == (127.8, 116.25, 700_000_000)
    assert nvda.intraday == (129.0, 121.0, 120.5)
    assert nvda.market_state is MarketState.REGULAR
    assert nvda.as_of == NOW - timedelta(seconds=5) and nvda.as_of.tzinfo is not None
    assert nvda.name == "NVIDIA Corporation" and nvda.currency == "USD"

    sox = batch.quotes["^SOX"]
    assert sox.status is Status.OK and sox.change_pct == pytest.approx(-9.15, abs=0.01)

    tigermed = batch.quotes["300766.SZ"]
    assert tigermed.status is Status.OK and tigermed.currency == "CNY"
    assert tigermed.market_state is MarketState.CLOSED  # 04:00 in Shanghai
    assert tigermed.as_of == SHENZHEN_CLOSE and len(tigermed.intraday) == 12

    btc = batch.quotes["BTC-USD"]
    assert btc.status is Status.OK and btc.market_state is MarketState.REGULAR

    assert batch.time == NOW
    assert isinstance(source, QuoteSource)
    assert source.source_status().status is Status.OK
    # yfinance's caches live under the given cache dir, never ~/.cache
    assert (tmp_path / "yfinance" / "tkr-tz.db").exists()
    # one chart request per symbol: the tz lookup request is avoided
    assert fake.chart_requests == {"NVDA": 1, "^SOX": 1, "300766.SZ": 1, "BTC-USD": 1}


async def test_rate_limit_backs_off_without_requests(fake, source, clock):
    fake.set_quote("NVDA", price=120.0, prev_close=142.62, time=NOW)
    fake.set_quote("AMD", price=115.0, prev_close=122.0, time=NOW)
    fake.rate_limit(times=100)

    batch = await source.fetch(["NVDA", "AMD"])
    assert {q.status for q in batch.quotes.values()} == {Status.RATE_LIMITED}, batch
    status = source.source_status()
    assert status.status is Status.RATE_LIMITED
    assert status.next_try is not None and status.next_try > NOW
    assert status.next_try <= NOW + timedelta(seconds=60 * 1.25)

    sent = sum(fake.chart_requests.values())
    clock.advance(30)  # still inside the backoff window
    batch = await source.fetch(["NVDA", "AMD"])
    assert {q.status for q in batch.quotes.values()} == {Status.BACKOFF}
    assert "backing off" in (batch.quotes["NVDA"].error or "")
    assert sum(fake.chart_requests.values()) == sent
    assert await source.history("NVDA") == []
    assert sum(fake.chart_requests.values()) == sent

    fake.clear_rate_limit()
    clock.set(status.next_try + timedelta(seconds=1))
    batch = await source.fetch(["NVDA", "AMD"])
    assert {q.status for q in batch.quotes.values()} == {Status.OK}
    assert source.source_status().status is Status.OK
    assert source.source_status().next_try is None


async def test_second_rate_limit_doubles_the_wait():
    backoff = Backoff(base=60, cap=600)
    first = backoff.fail(NOW) - NOW
    second = backoff.fail(NOW) - NOW
    assert timedelta(seconds=45) <= first <= timedelta(seconds=75)
    assert timedelta(seconds=90) <= second <= timedelta(seconds=150)
    for _ in range(10):
        backoff.fail(NOW)
    assert backoff.next_try - NOW <= timedelta(seconds=750)


async def test_unknown_symbol_among_nine_good_ones(fake, source):
    good = ["NVDA", "AVGO", "TSM", "ASML", "AMD", "MU", "MSFT", "META", "GOOGL"]
    for i, symbol in enumerate(good):
        fake.set_quote(symbol, price=100.0 + i, prev_close=100.0, time=NOW)

    batch = await source.fetch([*good, "NOSUCH"])

    assert [s for s, q in batch.quotes.items() if q.status is Status.OK] == good
    unknown = batch.quotes["NOSUCH"]
    assert unknown.status is Status.UNKNOWN_SYMBOL and unknown.price is None
    assert "No data found" in (unknown.error or "")
    status = source.source_status()
    assert status.status is Status.OK and "NOSUCH: unknown_symbol" in (status.detail or "")


async def test_empty_weekend_answer_is_market_closed_with_last_close(fake, source, clock):
    friday_close = datetime(2025, 1, 24, 21, 0, tzinfo=UTC)
    clock.set(datetime(2025, 1, 25, 16, 0, tzinfo=UTC))  # Saturday
    fake.set_quote("NVDA", price=142.62, prev_close=147.22, time=friday_close)
    fake.empty("NVDA")

    quote = (await source.fetch(["NVDA"])).quotes["NVDA"]

    assert quote.status is Status.MARKET_CLOSED and quote.usable
    assert (quote.price, quote.prev_close) == (142.62, 147.22)
    assert quote.market_state is MarketState.CLOSED
    assert quote.as_of == friday_close and quote.intraday == ()


async def test_empty_answer_while_open_is_no_data(fake, source):
    fake.set_quote("NVDA", price=142.62, prev_close=147.22, time=NOW)
    fake.empty("NVDA")
    quote = (await source.fetch(["NVDA"])).quotes["NVDA"]
    assert quote.status is Status.NO_DATA and not quote.usable


async def test_expired_crumb_costs_one_silent_retry(fake, source):
    fake.set_quote("NVDA", price=120.0, prev_close=142.62, time=NOW)
    await source.fetch(["NVDA"])
    fake.reset_counters()
    fake.expire_crumb_once()

    quote = (await source.fetch(["NVDA"])).quotes["NVDA"]

    assert quote.status is Status.OK and quote.price == 120.0
    assert fake.chart_requests["NVDA"] == 2  # the 401, then the retry
    assert fake.requests["crumb"] == 1  # a fresh crumb for the retry


async def test_zero_previous_close_is_suspect(fake, source):
    fake.set_quote("^SOX", price=4853.24, prev_close=0.0, time=NOW)
    fake.set_quote("^VIX", price=30.0, prev_close=90.0, time=NOW)  # -67%: bad close

    batch = await source.fetch(["^SOX", "^VIX"])

    sox = batch.quotes["^SOX"]
    assert sox.status is Status.SUSPECT and sox.price == 4853.24
    assert sox.prev_close is None and sox.change_pct is None
    assert "previous close" in (sox.error or "")
    assert batch.quotes["^VIX"].status is Status.SUSPECT
    assert "implausible" in (batch.quotes["^VIX"].error or "")


async def test_a_volatility_spike_is_a_price_not_a_broken_close(fake, source):
    # ^VIX on 2018-02-05: 17.31 -> 37.32 (+115.6%), its largest one-day rise; an
    # equity index "up" 115% would be a broken close
    fake.set_quote("^VIX", price=37.32, prev_close=17.31, time=NOW)
    fake.set_quote("^SOX", price=9706.48, prev_close=4853.24, time=NOW)

    batch = await source.fetch(["^VIX", "^SOX"])

    vix = batch.quotes["^VIX"]
    assert vix.status is Status.OK and vix.change_pct is not None
    assert round(vix.change_pct, 1) == 115.6
    assert batch.quotes["^SOX"].status is Status.SUSPECT


async def test_pence_currency_is_kept(fake, source):
    london = datetime(2025, 1, 27, 16, 30, tzinfo=UTC)
    fake.set_quote("VOD.L", price=68.9, prev_close=68.44, currency="GBp", time=london)
    quote = (await source.fetch(["VOD.L"])).quotes["VOD.L"]
    assert quote.currency == "GBp" and quote.price == 68.9


async def test_unreachable_server(fake, source):
    fake.set_quote("NVDA", price=120.0, prev_close=142.62, time=NOW)
    fake.stop()
    batch = await source.fetch(["NVDA", "AMD"])
    assert {q.status for q in batch.quotes.values()} == {Status.UNREACHABLE}, batch
    assert batch.quotes["NVDA"].price is None
    assert source.source_status().status is Status.UNREACHABLE


async def test_history_returns_daily_bars_before_today_and_caches(fake, source, clock):
    days = [
        date(2025, 1, 21),
        date(2025, 1, 22),
        date(2025, 1, 23),
        date(2025, 1, 24),
        date(2025, 1, 27),
    ]
    closes = [140.83, 147.07, 147.22, 142.62, 118.42]
    fake.set_quote(
        "NVDA",
        price=118.42,
        prev_close=142.62,
        time=NOW,
        daily=[(d, c, c + 1, c - 1, c, 1e8) for d, c in zip(days, closes, strict=True)],
    )

    bars = await source.history("NVDA", days=30)

    assert [b.day for b in bars] == days[:-1]  # today's session is not history
    assert [b.close for b in bars] == closes[:-1]
    assert bars[0].high == 141.83 and bars[0].volume == 1e8
    # days are calendar days: 5 days before Monday 01-27 reach back to 01-22
    assert (await source.history("NVDA", days=5)) == bars[-3:]
    assert fake.chart_requests["NVDA"] == 1  # the second call came from the cache


async def test_history_of_unknown_symbol_is_empty(fake, source):
    assert await source.history("NOSUCH") == []


def test_import_does_not_load_yfinance_or_pandas():
    code = (
        "import sys, monitor.quotes.yahoo, monitor.quotes.recorded; "
        "print('yfinance' in sys.modules, 'pandas' in sys.modules)"
    )
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False False"


# ---- pure parts ------------------------------------------------------------------------


def _meta(**extra):
    regular = {
        "start": int(datetime(2025, 1, 27, 14, 30, tzinfo=UTC).timestamp()),
        "end": int(datetime(2025, 1, 27, 21, 0, tzinfo=UTC).timestamp()),
    }
    pre = {"start": regular["start"] - 5 * 3600 - 1800, "end": regular["start"]}
    post = {"start": regular["end"], "end": regular["end"] + 4 * 3600}
    meta = {
        "regularMarketPrice": 118.42,
        "chartPreviousClose": 142.62,
        "currentTradingPeriod": {"pre": pre, "regular": regular, "post": post},
        "regularMarketTime": int(MONDAY_CLOSE.timestamp()),
        "currency": "USD",
    }
    meta.update(extra)
    return meta


@pytest.mark.parametrize(
    ("now", "state"),
    [
        (datetime(2025, 1, 27, 10, 0, tzinfo=UTC), MarketState.PRE),
        (datetime(2025, 1, 27, 14, 30, tzinfo=UTC), MarketState.REGULAR),
        (MONDAY_CLOSE, MarketState.REGULAR),  # a print at the close is regular
        (datetime(2025, 1, 27, 22, 0, tzinfo=UTC), MarketState.POST),
        (datetime(2025, 1, 28, 2, 0, tzinfo=UTC), MarketState.CLOSED),
    ],
)
def test_yahoo_trading_period_decides_market_state(now, state):
    assert yahoo_market_state(_meta(), now) is state


def test_previous_close_prefers_previous_close_then_chart_previous_close():
    q = quote_from_chart("NVDA", _meta(previousClose=142.0), [], MONDAY_CLOSE)
    assert q.prev_close == 142.0
    q = quote_from_chart("NVDA", _meta(), [], MONDAY_CLOSE)
    assert q.prev_close == 142.62


def test_missing_previous_close_is_suspect():
    q = quote_from_chart("NVDA", _meta(chartPreviousClose=None), [], MONDAY_CLOSE)
    assert q.status is Status.SUSPECT and q.price == 118.42


def test_failure_status_by_exception():
    from yfinance.exceptions import YFPricesMissingError, YFRateLimitError

    assert failure_status(YFRateLimitError()) is Status.RATE_LIMITED
    unknown = YFPricesMissingError("X", "", yahoo_reason="No data found")
    assert failure_status(unknown) is Status.UNKNOWN_SYMBOL
    assert failure_status(YFPricesMissingError("X", "")) is Status.ERROR
    assert failure_status(ConnectionRefusedError()) is Status.UNREACHABLE
    assert failure_status(TimeoutError()) is Status.TIMEOUT
    assert failure_status(ValueError("bad json")) is Status.ERROR


async def test_confirm_asks_the_chart_again(fake, source):
    """What the quote book asks to check a suspect print: the chart, fetched anew."""
    fake.set_quote("NVDA", price=118.42, prev_close=142.62, time=NOW)
    await source.fetch(["NVDA"])
    fake.set_quote("NVDA", price=118.6, prev_close=142.62, time=NOW)

    quote = await source.confirm("NVDA")

    assert quote is not None and quote.price == 118.6
    assert fake.chart_requests["NVDA"] == 2
