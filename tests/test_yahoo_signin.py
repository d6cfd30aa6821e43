"""Signing in to Yahoo as yfinance does, and prices without it: the live source against
the strict fake on 127.0.0.1 (cookie, crumb, EU consent flow, refusals)."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor.clock import ManualClock
from monitor.model import MarketState, Status
from monitor.quotes.backoff import Backoff
from monitor.quotes.yahoo_live import YahooLiveQuotes
from tests.fake_yahoo import FakeYahoo, fake_async_session

NOW = datetime(2025, 1, 27, 20, 0, tzinfo=UTC)  # 15:00 in New York: regular session
THREE = ["NVDA", "^SOX", "AMD"]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


def live_source(fake: FakeYahoo, clock: ManualClock, tmp_path: Path, **kw: Any) -> Any:
    return YahooLiveQuotes(
        clock=clock,
        cache_dir=tmp_path,
        live_session_factory=lambda cookies: fake_async_session(fake, cookies),
        quotes_every=30,
        backoff=Backoff(base=60, cap=600, rng=random.Random(3)),
        **kw,
    )


@pytest.fixture
async def source(fake: FakeYahoo, clock: ManualClock, tmp_path: Path) -> AsyncIterator[Any]:
    for i, symbol in enumerate(THREE):
        fake.set_quote(symbol, price=100.0 + i, prev_close=110.0 + i, time=NOW)
    live = live_source(fake, clock, tmp_path)
    yield live
    await live.aclose()


def prices(batch: Any) -> dict[str, float | None]:
    return {s: q.price for s, q in batch.quotes.items()}


# ---- the fake is as strict as Yahoo ---------------------------------------------------


async def test_getcrumb_wants_the_cookie_and_v7_wants_cookie_and_crumb(fake):
    from monitor.quotes.yahoo_http import YahooHttp

    http = YahooHttp(factory=lambda cookies: fake_async_session(fake, cookies))
    async with http.open():
        q1 = "https://query1.finance.yahoo.com"
        assert (await http.get(q1 + "/v1/test/getcrumb")).status == 401  # no cookie yet
        no_crumb = await http.get(q1 + "/v7/finance/quote", {"symbols": "NVDA"})
        assert no_crumb.status == 401 and "unable to access" in no_crumb.text
        await http.get("https://fc.yahoo.com")
        crumb = (await http.get(q1 + "/v1/test/getcrumb")).text
        wrong = await http.get(q1 + "/v7/finance/quote", {"symbols": "NVDA", "crumb": "x"})
        assert wrong.status == 401 and "Invalid Crumb" in wrong.text
        good = await http.get(q1 + "/v7/finance/quote", {"symbols": "NVDA", "crumb": crumb})
        assert good.status == 200
    await http.aclose()


# ---- sign-in --------------------------------------------------------------------------


async def test_basic_sign_in_is_cookie_crumb_then_one_batch(fake, source):
    batch = await source.fetch(THREE)
    assert prices(batch) == {"NVDA": 100.0, "^SOX": 101.0, "AMD": 102.0}
    assert (fake.requests["cookie"], fake.requests["crumb"], fake.requests["quote"]) == (1, 1, 1)
    assert source.source_status().error is None


async def test_fc_yahoo_unreachable_signs_in_through_guce(fake, source):
    """Ad-blockers and Pi-hole block fc.yahoo.com (yfinance #2386): the csrf strategy
    (guce.yahoo.com, crumb from query2) still gets the batch quote."""
    fake.unreachable_hosts.add("fc.yahoo.com")
    batch = await source.fetch(THREE)
    assert all(q.status is Status.OK for q in batch.quotes.values())
    assert fake.requests["cookie"] == 0 and fake.requests["consent"] == 1
    assert fake.requests["quote"] == 1


async def test_eu_consent_form_is_accepted(fake, source):
    fake.consent_required = True
    batch = await source.fetch(THREE)
    assert all(q.status is Status.OK for q in batch.quotes.values())
    # guce -> collectConsent (form) -> POST -> copyConsent (the cookie)
    assert fake.requests["consent"] == 4 and fake.requests["quote"] == 1


async def test_crumb_page_instead_of_a_crumb_tries_the_other_strategy(fake, source):
    fake.crumb_mode = "html"
    batch = await source.fetch(THREE)
    assert fake.requests["crumb"] == 2  # query1 (basic), then query2 (csrf)
    assert all(q.status is Status.OK for q in batch.quotes.values())  # from charts
    assert fake.requests["quote"] == 0 and fake.requests["chart"] == 3
    assert "page, not a crumb" in (source.source_status().error or "")


async def test_getcrumb_429_goes_on_without_a_crumb_and_backs_off(fake, source, clock):
    fake.crumb_mode = "429"
    first = await source.fetch(THREE)
    assert prices(first) == {"NVDA": 100.0, "^SOX": 101.0, "AMD": 102.0}
    assert fake.requests["crumb"] == 1, "a 429 is not worth the other strategy"
    status = source.source_status()
    assert status.status is Status.OK
    assert "prices from per-symbol charts" in status.error and "429" in status.error
    fake.reset_counters()
    for _ in range(5):  # 2.5 minutes: the sign-in waits at least 225 s (300 s, jitter)
        clock.advance(30)
        await source.fetch(THREE)
    assert fake.requests["crumb"] == fake.requests["cookie"] == 0
    assert fake.requests["chart"] == 15  # the prices, one chart per symbol per poll


async def test_sign_in_backs_off_with_jitter(fake, clock, tmp_path):
    fake.crumb_mode = "429"
    fake.set_quote("NVDA", price=1.0, prev_close=1.0, time=NOW)
    waits = []
    for seed in range(4):
        source = live_source(
            fake, clock, tmp_path, signin_backoff=Backoff(300, 3600, rng=random.Random(seed))
        )
        await source.fetch(["NVDA"])
        waits.append((source._signin.next_try - NOW).total_seconds())
        await source.aclose()
    assert all(225 <= w <= 375 for w in waits) and len(set(waits)) == 4


async def test_a_persistent_401_is_not_four_requests_every_poll(fake, source, clock):
    fake.refuse_crumbs = True
    await source.fetch(THREE)
    fake.reset_counters()
    for _ in range(6):
        clock.advance(30)
        batch = await source.fetch(THREE)
        assert all(q.price is not None for q in batch.quotes.values())
    assert fake.requests["quote"] == fake.requests["crumb"] == fake.requests["cookie"] == 0
    assert "401" in (source.source_status().error or "")


async def test_the_batch_quote_comes_back_when_yahoo_gives_crumbs_again(fake, source, clock):
    fake.crumb_mode = "429"
    await source.fetch(THREE)
    fake.crumb_mode = "ok"
    clock.advance(400)  # past the longest first wait (375 s)
    fake.reset_counters()
    batch = await source.fetch(THREE)
    assert fake.requests["quote"] == 1 and source.source_status().error is None
    assert all(q.status is Status.OK for q in batch.quotes.values())


# ---- per-symbol isolation -------------------------------------------------------------


@pytest.mark.parametrize(
    "field, value, named",
    [
        ("regularMarketTime", 1e20, "regularMarketTime 1e+20 is not a time"),
        ("regularMarketTime", -62135596800, "is not a time"),  # year 1
        ("regularMarketPrice", True, "regularMarketPrice True is not a number"),
        ("regularMarketPrice", "118.42", "regularMarketPrice '118.42' is not a number"),
        ("regularMarketDayHigh", [1], "regularMarketDayHigh [1] is not a number"),
    ],
)
@pytest.mark.parametrize("path", ["batch", "charts"])
async def test_a_malformed_field_fails_its_symbol_only(fake, source, field, value, named, path):
    if path == "charts":
        fake.crumb_mode = "429"
    fake.set_quote("AMD", price=102.0, prev_close=112.0, time=NOW, raw={field: value})
    batch = await source.fetch(THREE)
    amd = batch.quotes["AMD"]
    assert amd.status is Status.ERROR and named in (amd.error or "")
    assert prices(batch) | {"AMD": None} == {"NVDA": 100.0, "^SOX": 101.0, "AMD": None}
    assert batch.quotes["NVDA"].status is Status.OK
    assert "AMD: error" in (source.source_status().detail or "")


async def test_a_null_price_is_no_data_for_that_symbol(fake, source):
    fake.set_quote("AMD", price=102.0, prev_close=112.0, time=NOW, raw={"regularMarketPrice": None})
    batch = await source.fetch(THREE)
    assert batch.quotes["AMD"].status is Status.NO_DATA
    assert batch.quotes["NVDA"].price == 100.0


# ---- right fields ---------------------------------------------------------------------


async def test_index_zero_placeholders_are_never_used(fake, source):
    fake.set_quote("^SOX", price=4853.24, prev_close=5341.94, time=NOW, zero_placeholders=True)
    sox = (await source.fetch(["^SOX"])).quotes["^SOX"]
    assert sox.price == 4853.24 and sox.status is Status.OK
    assert (sox.high, sox.low, sox.volume) == (None, None, None)
    assert sox.open is not None and sox.open > 0  # the first regular bar's, not the 0


async def test_lunch_break_bars_are_skipped(fake, source):
    t0 = datetime(2025, 1, 27, 1, 30, tzinfo=UTC)  # 09:30 in Shanghai
    bars: list[Any] = [
        (t0, 10.0, 10.2, 9.9, 10.1, 100.0),
        (t0 + timedelta(hours=2), None, None, None, None, None),  # 11:30, lunch
        (t0 + timedelta(hours=3, minutes=30), 10.1, 10.4, 10.0, 10.3, 100.0),
    ]
    fake.crumb_mode = "429"
    fake.set_quote("300766.SZ", price=10.3, prev_close=10.0, time=t0 + timedelta(hours=4),
                   bars=bars)  # fmt: skip
    quote = (await source.fetch(["300766.SZ"])).quotes["300766.SZ"]
    assert quote.intraday == (10.1, 10.3) and quote.open == 10.0


async def test_crypto_is_never_closed_and_its_day_starts_at_0000_utc(fake, source, clock):
    before = datetime(2025, 1, 27, 23, 56, tzinfo=UTC)
    clock.set(before)
    fake.set_quote("BTC-USD", price=101_000.0, prev_close=100_000.0, open=100_000.0, time=before)
    await source.fetch(["BTC-USD"])  # charted at 23:56: bars of 2025-01-27
    after = datetime(2025, 1, 28, 0, 4, tzinfo=UTC)
    clock.set(after)  # the chart is not due yet (10 min): its bars are yesterday's
    fake.set_quote("BTC-USD", price=101_500.0, prev_close=101_200.0, open=101_200.0, time=after)
    btc = (await source.fetch(["BTC-USD"])).quotes["BTC-USD"]
    assert btc.market_state is MarketState.REGULAR and btc.status is Status.OK
    assert btc.open == 101_200.0 and btc.prev_close == 101_200.0  # the new UTC day
    assert btc.intraday == (101_500.0,)  # yesterday's bars are not today's


# ---- never hammer ---------------------------------------------------------------------


async def test_a_failing_chart_is_not_requested_every_poll(fake, source, clock):
    fake.set_quote("NVDA", price=100.0, prev_close=110.0, time=NOW)
    fake.rate_limit("NVDA", times=1_000)  # NVDA's chart (and the batch) answer 429
    fake.crumb_mode = "429"
    polls = 10
    for _ in range(polls):
        await source.fetch(THREE)
        clock.advance(30)
    # 60 s, 120 s, 240 s (with jitter) between tries: at most 4 in 5 minutes, not 10
    assert fake.chart_requests["NVDA"] <= 4
    assert fake.chart_requests["AMD"] == polls  # the others keep their price


async def test_rate_limited_everywhere_backs_off_without_requests(fake, source, clock):
    fake.rate_limit(times=10_000)
    batch = await source.fetch(THREE)
    assert {q.status for q in batch.quotes.values()} == {Status.RATE_LIMITED}
    status = source.source_status()
    assert status.status is Status.RATE_LIMITED and status.next_try > NOW
    sent = fake.total
    clock.advance(30)
    batch = await source.fetch(THREE)
    assert {q.status for q in batch.quotes.values()} == {Status.BACKOFF}
    assert fake.total == sent


async def test_no_cookie_at_all_still_gives_prices_from_charts(fake, source):
    fake.unreachable_hosts |= {"fc.yahoo.com", "guce.yahoo.com"}
    batch = await source.fetch(THREE)
    assert prices(batch) == {"NVDA": 100.0, "^SOX": 101.0, "AMD": 102.0}
    assert fake.requests["crumb"] == fake.requests["quote"] == 0
    error = source.source_status().error or ""
    assert "no cookie: fc.yahoo.com: connection refused" in error
    assert "no cookie: guce.yahoo.com: connection refused" in error
