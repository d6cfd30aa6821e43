"""Real Yahoo answers (tests/data/yahoo/, sources in its README) through the real client:
served over loopback by the fake, fetched and parsed by ``YahooLiveQuotes``."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from monitor.clock import ManualClock
from monitor.model import MarketState, Status
from monitor.quotes.backoff import Backoff
from monitor.quotes.yahoo_fields import (
    META_KEYS,
    bars_from_chart,
    chart_meta,
    chart_result,
    quote_from_chart,
)
from monitor.quotes.yahoo_live import YahooLiveQuotes
from monitor.quotes.yahoo_signin import CRUMB
from tests.fake_yahoo import FakeYahoo, fake_async_session
from tests.fake_yahoo_answers import NO_CRUMB, NOT_FOUND

DATA = Path(__file__).parent / "data" / "yahoo"
#: 2026-10-03 08:20 UTC, a Saturday: the quote-*.json files were recorded then
SATURDAY = datetime(2026, 10, 3, 8, 20, tzinfo=UTC)
#: 2026-10-05 14:00 UTC, a Monday, 10:00 in New York: the 5-minute charts' moment
MONDAY = datetime.fromtimestamp(1791208800, UTC)


def recorded(name: str) -> Any:
    """A recorded body: the ``bodyJson`` of yahoo-finance2's envelopes, else the file."""
    payload = json.loads((DATA / name).read_text(encoding="utf-8"))
    return payload["response"]["bodyJson"] if "response" in payload else payload


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(SATURDAY)


@pytest.fixture
async def source(fake: FakeYahoo, clock: ManualClock, tmp_path: Path) -> AsyncIterator[Any]:
    live = YahooLiveQuotes(
        clock=clock,
        cache_dir=tmp_path,
        live_session_factory=lambda cookies: fake_async_session(fake, cookies),
        backoff=Backoff(base=60, cap=600),
    )
    yield live
    await live.aclose()


async def test_equity_open_comes_from_regular_market_open_without_bars(fake, source, clock):
    fake.serve_recorded(recorded("quote-AAPL.json"))
    fake.recorded_charts["AAPL"] = (404, json.dumps(recorded("chart-404.json")))

    aapl = (await source.fetch(["AAPL"])).quotes["AAPL"]

    assert aapl.usable and aapl.price == 333.69 and aapl.prev_close == 330.32
    assert aapl.open == 333.205  # Yahoo's open, not the live price (333.69)
    assert (aapl.high, aapl.low, aapl.volume) == (334.54, 330.61, 31878433)
    assert aapl.as_of == datetime.fromtimestamp(1790971201, UTC)
    assert aapl.shares_outstanding == 14594180000 and aapl.name == "Apple Inc."
    assert fake.chart_requests["AAPL"] == 1

    clock.advance(30)
    again = (await source.fetch(["AAPL"])).quotes["AAPL"]
    assert again.open == 333.205
    assert fake.chart_requests["AAPL"] == 1, "a failing chart is not asked again next poll"


async def test_index_zero_placeholders_read_as_unknown(fake, source):
    fake.serve_recorded(recorded("quote-^VXAPL.json"))
    fake.serve_recorded(recorded("chart-KOSPI-25.KS-1d.json"))  # its chart, not ^VXAPL's

    vix = (await source.fetch(["^VXAPL"])).quotes["^VXAPL"]

    assert vix.price == 26.75 and vix.prev_close == 27.39
    assert (vix.open, vix.high, vix.low, vix.volume) == (None, None, None, None)


async def test_crypto_day_is_yahoos_utc_day_not_its_rolling_24h(fake, source):
    fake.serve_recorded(recorded("quote-BTC-USD.json"))

    btc = (await source.fetch(["BTC-USD"])).quotes["BTC-USD"]

    row = recorded("quote-BTC-USD.json")["quoteResponse"]["result"][0]
    assert btc.prev_close == row["regularMarketOpen"] == 84506.336  # the 00:00 UTC price
    assert btc.change_pct == pytest.approx(0.1271, abs=1e-3)  # up on the UTC day ...
    assert row["regularMarketChangePercent"] < -1.8  # ... down on Yahoo's rolling 24 h
    assert btc.market_state is MarketState.REGULAR and btc.status is Status.OK


async def test_five_minute_charts_when_the_batch_quote_cannot_be_had(fake, source, clock):
    clock.set(MONDAY)
    fake.crumb_mode = "429"
    for name in ("chart-AAPL-5m.json", "chart-7203.T-5m.json", "chart-KOSPI-25.KS-1d.json"):
        fake.serve_recorded(recorded(name))

    batch = await source.fetch(["AAPL", "7203.T", "KOSPI-25.KS"])

    assert fake.requests["quote"] == 0 and fake.requests["chart"] == 3
    aapl = batch.quotes["AAPL"]
    assert aapl.price == 333.923 and aapl.prev_close == 333.69 and aapl.status is Status.OK
    assert aapl.open == pytest.approx(332.795)  # the first regular bar's open
    assert len(aapl.intraday) == 7 and aapl.market_state is MarketState.REGULAR
    toyota = batch.quotes["7203.T"]
    assert toyota.intraday == (2885.0, 2889.5, 2889.5, 2892.5, 2898.0, 2893.5)  # lunch: null
    assert toyota.open == 2873.5 and toyota.currency == "JPY"
    kospi = batch.quotes["KOSPI-25.KS"]
    assert kospi.price == 46539.14 and (kospi.open, kospi.high, kospi.low) == (None, None, None)
    status = source.source_status()
    assert status.status is Status.OK and "per-symbol charts" in (status.error or "")
    assert "429" in (status.error or "")


async def test_crypto_is_never_closed_after_yahoos_2359_period_end(fake, source, clock):
    clock.set(datetime.fromtimestamp(1791244770, UTC))  # 23:59:30 UTC, after 23:59
    fake.crumb_mode = "429"
    fake.serve_recorded(recorded("chart-BTC-USD-5m.json"))

    btc = (await source.fetch(["BTC-USD"])).quotes["BTC-USD"]

    period = recorded("chart-BTC-USD-5m.json")["chart"]["result"][0]["meta"]
    assert period["currentTradingPeriod"]["regular"]["end"] == 1791244740  # 23:59:00
    assert btc.market_state is MarketState.REGULAR and btc.status is Status.OK
    assert btc.price == 86466.64 and btc.prev_close == 86513.38


async def test_daily_history_from_recorded_daily_charts(fake, source, clock):
    clock.set(MONDAY)
    fake.serve_recorded(recorded("chart-^SOX-1d-1mo.json"))
    fake.serve_recorded(recorded("chart-AAPL-1d.json"))

    sox = await source.history("^SOX", days=40)
    aapl = await source.history("AAPL", days=4000)

    assert len(sox) == 19  # 20 bars; the last is today's, not history
    assert sox[0].day == date(2026, 9, 8) and sox[0].close == pytest.approx(11887.8701171875)
    assert sox[-1].day == date(2026, 10, 2) and sox[-1].close == pytest.approx(13136.669921875)
    assert [b.day for b in aapl] == [date(2022, 2, 22)] and aapl[0].close == pytest.approx(164.32)


def test_the_fake_says_what_yahoo_says():
    assert recorded("quote-401-no-crumb.json") == NO_CRUMB
    assert recorded("chart-404.json") == NOT_FOUND


def test_recorded_consent_redirects_are_what_the_client_follows():
    """As recorded from the Netherlands: finance.yahoo.com -> guce.yahoo.com/consent
    (followed: a consent host) -> finance.yahoo.com with the cookies (not followed)."""
    from monitor.quotes.yahoo_http import CONSENT_HOSTS, host_of

    first = json.loads((DATA / "getCrumb-geo-nl-20260809-quote-AAPL.json").read_text())
    second = json.loads(
        (DATA / "getCrumb-geo-nl-20260809-quote-AAPL-consent.html.json").read_text()
    )
    assert first["response"]["status"] == 307
    assert host_of(first["response"]["headers"]["location"]) in CONSENT_HOSTS
    assert second["response"]["status"] == 302
    assert host_of(second["response"]["headers"]["location"]) not in CONSENT_HOSTS
    assert any(c.startswith("A3=") for c in second["response"]["headers"]["set-cookie"])
    crumb = json.loads((DATA / "getCrumb-geo-nl-20260809-getcrumb.json").read_text())
    assert CRUMB.fullmatch(crumb["response"]["bodyText"])


@pytest.mark.parametrize(
    "name", ["chart-AAPL-5m.json", "chart-7203.T-5m.json", "chart-BTC-USD-5m.json"]
)
def test_a_kept_chart_holds_only_the_meta_a_quote_is_made_of(name):
    """A chart is kept between polls with ``META_KEYS`` of its meta (memory): the quote
    made from the kept meta is the quote the whole meta makes."""
    result = chart_result(recorded(name))
    assert result is not None
    kept = chart_meta(result)
    assert set(kept) == set(result["meta"]) & set(META_KEYS)
    assert len(kept) < len(result["meta"])
    symbol, bars = result["meta"]["symbol"], bars_from_chart(result)
    for now in (MONDAY, SATURDAY):
        whole = quote_from_chart(symbol, result["meta"], bars, now)
        assert quote_from_chart(symbol, kept, bars, now) == whole
