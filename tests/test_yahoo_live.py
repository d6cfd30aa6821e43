"""YahooLiveQuotes (batch quote endpoint + rolling charts) against a fake Yahoo on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from monitor.clock import ManualClock
from monitor.model import MarketState, Status
from monitor.quotes.backoff import Backoff
from monitor.quotes.base import QuoteSource
from monitor.quotes.yahoo_fields import bars_from_chart, live_bars
from monitor.quotes.yahoo_live import YahooLiveQuotes
from tests.fake_yahoo import FakeYahoo, fake_async_session, fake_session, reset_yfinance

NOW = datetime(2025, 1, 27, 20, 0, tzinfo=UTC)  # 15:00 in New York: regular session


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
async def source(
    fake: FakeYahoo, clock: ManualClock, tmp_path: Path
) -> AsyncIterator[YahooLiveQuotes]:
    reset_yfinance(tmp_path / "yfinance")
    session = fake_session(fake)
    live_session = fake_async_session(fake)
    live = YahooLiveQuotes(
        clock=clock,
        cache_dir=tmp_path,
        session=session,
        live_session=live_session,
        quotes_every=30,
        backoff=Backoff(base=60, cap=600),
    )
    yield live
    await live.aclose()
    session.close()
    await live_session.close()


def _bar(t: datetime, o: float, c: float, v: float = 1000.0):
    return (t, o, max(o, c), min(o, c), c, v)


async def test_one_quote_request_refreshes_every_symbol(fake, source, clock):
    assert isinstance(source, QuoteSource)
    symbols = [f"S{i}" for i in range(100)]
    for i, symbol in enumerate(symbols):
        fake.set_quote(symbol, price=100.0 + i, prev_close=100.0, time=NOW)
    await source.fetch(symbols)  # the first refresh charts every symbol once
    assert fake.requests["chart"] == 100

    fake.reset_counters()
    clock.advance(30)
    batch = await source.fetch(symbols)

    assert {q.status for q in batch.quotes.values()} == {Status.OK}
    assert batch.quotes["S7"].price == 107.0
    # one quote request, plus the rolling chart share: at most 100 x 30 s / 600 s = 5
    assert fake.requests["quote"] == 1 and fake.quote_symbols == 100
    assert fake.requests["chart"] <= 5
    assert fake.requests["crumb"] == 0  # the crumb is kept


async def test_quote_matches_the_chart_mapping(fake, source):
    premarket = datetime(2025, 1, 27, 12, 0, tzinfo=UTC)
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
            _bar(NOW - timedelta(minutes=5), 121.0, 120.7),
        ],
    )

    nvda = (await source.fetch(["NVDA"])).quotes["NVDA"]

    assert nvda.status is Status.OK
    assert (nvda.price, nvda.prev_close, nvda.open) == (120.5, 142.62, 124.8)
    assert (nvda.high, nvda.low, nvda.volume) == (127.8, 116.25, 700_000_000)
    assert nvda.intraday == (129.0, 121.0, 120.7, 120.5)  # the live price extends the bars
    assert nvda.market_state is MarketState.REGULAR
    assert nvda.name == "NVIDIA Corporation" and nvda.currency == "USD"
    assert nvda.as_of == NOW - timedelta(seconds=5)


async def test_unknown_symbol_among_good_ones(fake, source):
    fake.set_quote("NVDA", price=120.0, prev_close=142.62, time=NOW)
    batch = await source.fetch(["NVDA", "NOSUCH"])
    assert batch.quotes["NVDA"].status is Status.OK
    unknown = batch.quotes["NOSUCH"]
    assert unknown.status is Status.UNKNOWN_SYMBOL and unknown.price is None
    assert "No data found" in (unknown.error or "")
    status = source.source_status()
    assert status.status is Status.OK and "NOSUCH: unknown_symbol" in (status.detail or "")


async def test_rate_limit_backs_off_without_requests(fake, source, clock):
    fake.set_quote("NVDA", price=120.0, prev_close=142.62, time=NOW)
    fake.rate_limit(times=100)

    batch = await source.fetch(["NVDA"])
    assert batch.quotes["NVDA"].status is Status.RATE_LIMITED
    status = source.source_status()
    assert status.status is Status.RATE_LIMITED and status.next_try > NOW

    sent = sum(fake.requests.values())
    clock.advance(30)
    batch = await source.fetch(["NVDA"])
    assert batch.quotes["NVDA"].status is Status.BACKOFF
    assert sum(fake.requests.values()) == sent

    fake.clear_rate_limit()
    clock.set(status.next_try + timedelta(seconds=1))
    batch = await source.fetch(["NVDA"])
    assert batch.quotes["NVDA"].status is Status.OK
    assert source.source_status().next_try is None


async def test_expired_crumb_costs_one_silent_retry(fake, source):
    fake.set_quote("NVDA", price=120.0, prev_close=142.62, time=NOW)
    await source.fetch(["NVDA"])
    fake.reset_counters()
    fake.expire_crumb_once()

    quote = (await source.fetch(["NVDA"])).quotes["NVDA"]

    assert quote.status is Status.OK and quote.price == 120.0
    assert fake.requests["quote"] == 2 and fake.requests["crumb"] == 1


async def test_empty_weekend_answer_is_market_closed(fake, source, clock):
    friday_close = datetime(2025, 1, 24, 21, 0, tzinfo=UTC)
    clock.set(datetime(2025, 1, 25, 16, 0, tzinfo=UTC))  # Saturday
    fake.set_quote("NVDA", price=142.62, prev_close=147.22, time=friday_close)
    fake.empty("NVDA")

    quote = (await source.fetch(["NVDA"])).quotes["NVDA"]

    assert quote.status is Status.MARKET_CLOSED and quote.usable
    assert (quote.price, quote.prev_close) == (142.62, 147.22)
    assert quote.market_state is MarketState.CLOSED and quote.intraday == ()


async def test_empty_answer_while_open_is_no_data(fake, source):
    fake.set_quote("NVDA", price=142.62, prev_close=147.22, time=NOW)
    fake.empty("NVDA")
    quote = (await source.fetch(["NVDA"])).quotes["NVDA"]
    assert quote.status is Status.NO_DATA and not quote.usable


async def test_zero_previous_close_is_suspect(fake, source):
    fake.set_quote("^SOX", price=4853.24, prev_close=0.0, time=NOW)
    sox = (await source.fetch(["^SOX"])).quotes["^SOX"]
    assert sox.status is Status.SUSPECT and sox.price == 4853.24 and sox.prev_close is None


async def test_unreachable_server(fake, source):
    fake.stop()
    quote = (await source.fetch(["NVDA"])).quotes["NVDA"]
    assert quote.status is Status.UNREACHABLE and quote.price is None
    assert source.source_status().status is Status.UNREACHABLE


async def test_history_comes_from_the_daily_chart_without_pandas(fake, source, clock):
    days = [date(2025, 1, 22), date(2025, 1, 23), date(2025, 1, 24)]
    fake.set_quote(
        "NVDA",
        price=118.42,
        prev_close=142.62,
        time=NOW,
        daily=[(d, 140.0, 150.0, 138.0, 145.0 + i, 2e8) for i, d in enumerate(days)],
    )
    bars = await source.history("NVDA", days=10)
    assert [b.day for b in bars] == days and bars[-1].close == 147.0
    assert fake.requests["chart"] >= 1
    again = await source.history("NVDA", days=10)
    assert again == bars


def test_the_live_source_imports_no_pandas():
    import subprocess
    import sys

    code = (
        "import sys, asyncio, monitor.quotes.yahoo_live as y;"
        "print('pandas' in sys.modules or 'yfinance' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert out.stdout.strip() == "False"


def test_bars_from_chart_skips_points_without_a_close():
    result = {
        "timestamp": [1, 2, 3],
        "indicators": {
            "quote": [
                {
                    "open": [1, 2, 3],
                    "high": [1, 2, 3],
                    "low": [1, 2, 3],
                    "close": [1, None, 3],
                    "volume": [5, 5, 5],
                }
            ]
        },
    }
    assert [b[4] for b in bars_from_chart(result)] == [1.0, 3.0]
    assert bars_from_chart({"meta": {}}) == []


def test_live_bars_appends_only_a_newer_price():
    t = datetime(2025, 1, 27, 20, 0, tzinfo=UTC)
    bars = [(t, 1.0, 1.0, 1.0, 1.0, 0.0)]
    assert (
        live_bars(bars, {"regularMarketPrice": 2.0, "regularMarketTime": int(t.timestamp())})
        == bars
    )
    later = live_bars(
        bars, {"regularMarketPrice": 2.0, "regularMarketTime": int(t.timestamp()) + 60}
    )
    assert later[-1][4] == 2.0 and len(later) == 2


async def test_shares_outstanding_reach_the_quote_for_market_value_context(fake, source):
    fake.set_quote("NVDA", price=118.42, prev_close=142.62, time=NOW, shares_outstanding=24.49e9)
    fake.set_quote("^SOX", price=4853.24, prev_close=5341.94, time=NOW)
    batch = await source.fetch(["NVDA", "^SOX"])
    assert batch.quotes["NVDA"].shares_outstanding == 24.49e9
    assert batch.quotes["^SOX"].shares_outstanding is None


async def test_the_session_is_closed_between_polls_and_its_cookie_and_crumb_kept(
    fake, clock, tmp_path
):
    """An open curl_cffi AsyncSession wakes the loop 10 times a second: between polls
    the source holds none, and the next poll reuses Yahoo's cookie and crumb."""
    made = []

    def factory(cookies):
        session = fake_async_session(fake, cookies)
        made.append(session)
        return session

    source = YahooLiveQuotes(
        clock=clock,
        cache_dir=tmp_path,
        live_session_factory=factory,
        quotes_every=30,
        backoff=Backoff(base=60, cap=600),
    )
    fake.set_quote("NVDA", price=118.42, prev_close=142.62, time=NOW)
    first = await source.fetch(["NVDA"])
    assert not source.holds_session, "no session (and no 0.1 s timer) between polls"
    fake.reset_counters()
    clock.advance(30)
    second = await source.fetch(["NVDA"])
    assert first.quotes["NVDA"].price == second.quotes["NVDA"].price == 118.42
    assert len(made) == 2 and not source.holds_session
    assert fake.requests["crumb"] == 0, "the crumb (and its cookie) survive the session"
    await source.aclose()


def test_curl_failures_read_as_one_short_line():
    from monitor.quotes.yahoo_http import short_reason

    raw = Exception(
        "Failed to perform, curl: (6) Could not resolve host: fc.yahoo.com "
        "(Domain name not found). See https://curl.se/libcurl/c/libcurl-errors"
        ".html first for more details."
    )
    assert short_reason(raw) == "name not resolved"
    assert short_reason(Exception("curl: (7) Failed to connect")) == "connection refused"
    assert short_reason(Exception("odd\nsecond line")) == "odd"
