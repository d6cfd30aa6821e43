"""Rows 1-7: Yahoo misbehaving, through the real yfinance path and the real engine
(row 7b: through the live path, our own client).

A fake Yahoo on 127.0.0.1 answers yfinance's chart requests; the engine runs on a
manual clock, so each test picks the market hour it needs.
"""

from __future__ import annotations

import logging
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor.clock import ManualClock
from monitor.events import SourceEvent
from monitor.model import MarketState, RuleStatus, Status
from monitor.quotes.backoff import Backoff
from monitor.quotes.yahoo import YahooQuotes
from monitor.quotes.yahoo_live import YahooLiveQuotes
from monitor.ui.widgets.statusbar import source_health
from tests.fake_yahoo import FakeYahoo, fake_async_session, fake_session, reset_yfinance
from tests.faults.kit import US_OPEN, config_text, open_engine, quote_status, rule_state

TEN = ["NVDA", "AMD", "AVGO", "TSM", "MU", "MSFT", "META", "GOOGL", "AMZN", "SMH"]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(US_OPEN)


@pytest.fixture
async def yahoo(fake: FakeYahoo, clock: ManualClock, tmp_path: Path) -> AsyncIterator[YahooQuotes]:
    reset_yfinance(tmp_path / "yfinance")
    session = fake_session(fake)
    source_ = YahooQuotes(
        clock=clock,
        cache_dir=tmp_path,
        session=session,
        backoff=Backoff(base=60, cap=600, rng=random.Random(7)),
    )
    yield source_
    session.close()


async def _engine(tmp_path, clock, yahoo, symbols, rules):
    text = config_text(symbols=symbols, rules=rules)
    return await open_engine(tmp_path, text, clock=clock, quote_source=yahoo)


# ---- row 1 ---------------------------------------------------------------------------


async def test_row01_rate_limited_for_several_cycles_keeps_values_backs_off_recovers(
    fake, clock, yahoo, tmp_path
) -> None:
    symbols = ["NVDA", "AMD", "^SOX"]
    for sym, price in (("NVDA", 120.0), ("AMD", 110.0), ("^SOX", 4853.0)):
        fake.set_quote(sym, price=price, prev_close=price * 1.1, time=clock.now())
    engine, events = await _engine(
        tmp_path, clock, yahoo, symbols, [("nvda drop", "NVDA day% <= -5")]
    )
    try:
        await engine.poll_quotes()
        good_time = clock.now()
        assert engine.quotes()["NVDA"].status is Status.OK
        assert len(events.alerts) == 1  # the drop fired once on good data
        events.clear()

        fake.rate_limit(times=10_000)  # every symbol, every request
        clock.advance(30)
        await engine.poll_quotes()
        nvda = engine.quotes()["NVDA"]
        assert nvda.status is Status.RATE_LIMITED
        assert nvda.price == 120.0 and nvda.as_of == good_time  # last good value, its age
        quotes = quote_status(engine)
        assert quotes.status is Status.RATE_LIMITED and quotes.next_try is not None
        first_wait = (quotes.next_try - clock.now()).total_seconds()
        assert 45 <= first_wait <= 75 and first_wait != 60  # base 60 s, with jitter
        assert "rate-limited, retry in " in source_health(quotes, clock.now(), UTC).plain
        state = rule_state(engine, "nvda drop")
        assert state.status is RuleStatus.NOT_EVALUATED and "rate limited" in state.why

        # Inside the backoff: no request at all, values still shown.
        charts = sum(fake.chart_requests.values())
        clock.advance(20)
        await engine.poll_quotes()
        assert sum(fake.chart_requests.values()) == charts
        assert engine.quotes()["NVDA"].price == 120.0
        assert engine.quotes()["NVDA"].status is Status.BACKOFF

        # Next attempt is still rate-limited: the wait grows.
        clock.set(quotes.next_try + timedelta(seconds=1))
        await engine.poll_quotes()
        second = quote_status(engine)
        assert second.status is Status.RATE_LIMITED
        assert (second.next_try - clock.now()).total_seconds() > first_wait
        assert events.alerts == []  # rules never fired on missing data

        # The wave ends: recovers by itself on the next due poll.
        fake.clear_rate_limit()
        clock.set(second.next_try + timedelta(seconds=1))
        for sym in symbols:
            fake.quotes[sym].time = clock.now()
        await engine.poll_quotes()
        assert quote_status(engine).status is Status.OK
        assert all(q.status is Status.OK for q in engine.quotes().values())
        assert rule_state(engine, "nvda drop").status is not RuleStatus.NOT_EVALUATED
    finally:
        await engine.stop()


# ---- row 2 ---------------------------------------------------------------------------


async def test_row02_expired_crumb_costs_one_silent_retry(fake, clock, yahoo, tmp_path) -> None:
    fake.set_quote("NVDA", price=120.0, prev_close=121.0, time=clock.now())
    engine, events = await _engine(tmp_path, clock, yahoo, ["NVDA"], [])
    try:
        fake.expire_crumb_once()
        await engine.poll_quotes()
        assert engine.quotes()["NVDA"].status is Status.OK
        assert fake.chart_requests["NVDA"] == 2  # the 401, then one retry
        assert all(
            s.status in (Status.OK, Status.PENDING)
            for s in [e.status for e in events.of(SourceEvent) if e.status.kind == "quotes"]
        )
        assert events.notices == []
    finally:
        await engine.stop()


# ---- row 3 ---------------------------------------------------------------------------


async def test_row03_one_unknown_symbol_in_ten(fake, clock, yahoo, tmp_path) -> None:
    for sym in TEN[:9]:
        fake.set_quote(sym, price=100.0, prev_close=101.0, time=clock.now())
    engine, _ = await _engine(tmp_path, clock, yahoo, TEN, [("smh", "SMH day% <= -3")])
    try:
        await engine.poll_quotes()
        quotes = engine.quotes()
        assert [s for s in TEN if quotes[s].status is Status.OK] == TEN[:9]
        bad = quotes["SMH"]
        assert bad.status is Status.UNKNOWN_SYMBOL and "unknown symbol" in (bad.error or "")
        status = quote_status(engine)
        assert status.status is Status.OK and "SMH" in (status.detail or "")
        state = rule_state(engine, "smh")
        assert state.status is RuleStatus.NOT_EVALUATED and "unknown symbol" in state.why
        assert "rate" not in state.why
    finally:
        await engine.stop()


# ---- row 4 ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "now, last_session_close",
    [
        (datetime(2025, 1, 25, 17, 0, tzinfo=UTC), datetime(2025, 1, 24, 21, 0, tzinfo=UTC)),
        # 2025-01-09: NYSE closed (national day of mourning), a Thursday
        (datetime(2025, 1, 9, 17, 0, tzinfo=UTC), datetime(2025, 1, 8, 21, 0, tzinfo=UTC)),
    ],
    ids=["weekend", "holiday"],
)
async def test_row04_empty_answer_when_closed_keeps_last_close_no_alert(
    fake, clock, yahoo, tmp_path, now, last_session_close
) -> None:
    clock.set(now)
    fake.set_quote("NVDA", price=118.42, prev_close=142.62, time=last_session_close)
    fake.empty("NVDA")
    engine, events = await _engine(
        tmp_path, clock, yahoo, ["NVDA"], [("nvda drop", "NVDA day% <= -5")]
    )
    try:
        await engine.poll_quotes()
        await engine.poll_quotes()
        q = engine.quotes()["NVDA"]
        assert q.status is Status.MARKET_CLOSED and q.price == 118.42
        assert q.as_of == last_session_close
        assert q.market_state is MarketState.CLOSED
        assert events.alerts == []
        state = rule_state(engine, "nvda drop")
        assert state.status is RuleStatus.NOT_EVALUATED and "market closed" in state.why
    finally:
        await engine.stop()


# ---- row 5 ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "symbol, prev_close",
    [("NVDA", None), ("NVDA", 0.0), ("NVDA", float("nan")), ("^SOX", 5.3)],
    ids=["missing", "zero", "nan", "absurd"],
)
async def test_row05_bad_previous_close_is_suspect_no_alert_logged_once(
    fake, clock, yahoo, tmp_path, caplog, symbol, prev_close
) -> None:
    fake.set_quote(symbol, price=4853.0, prev_close=prev_close, time=clock.now())
    engine, events = await _engine(
        tmp_path, clock, yahoo, [symbol], [("move", f"{symbol} day% <= -5 or {symbol} day% >= 5")]
    )
    try:
        with caplog.at_level(logging.WARNING):
            for _ in range(3):
                fake.quotes[symbol].time = clock.now()
                await engine.poll_quotes()
                clock.advance(30)
        q = engine.quotes()[symbol]
        assert q.status is Status.SUSPECT
        assert events.alerts == []
        state = rule_state(engine, "move")
        assert state.status is RuleStatus.NOT_EVALUATED and "data suspect" in state.why
        logged = [
            r for r in caplog.records if "suspect" in r.getMessage() and symbol in r.getMessage()
        ]
        assert len(logged) == 1, [r.getMessage() for r in caplog.records]
    finally:
        await engine.stop()


# ---- row 6 ---------------------------------------------------------------------------


async def test_row06_stale_quote_in_market_hours_shown_stale_rules_wait(
    fake, clock, yahoo, tmp_path
) -> None:
    fake.set_quote("NVDA", price=100.0, prev_close=120.0, time=clock.now() - timedelta(minutes=30))
    engine, events = await _engine(
        tmp_path, clock, yahoo, ["NVDA"], [("nvda drop", "NVDA day% <= -5")]
    )
    try:
        await engine.poll_quotes()
        q = engine.quotes()["NVDA"]
        assert q.status is Status.STALE and q.price == 100.0
        assert events.quote_batches[-1].quotes["NVDA"].status is Status.STALE
        assert events.alerts == []
        state = rule_state(engine, "nvda drop")
        assert state.status is RuleStatus.NOT_EVALUATED and "stale" in state.why
    finally:
        await engine.stop()


# ---- row 7 ---------------------------------------------------------------------------


async def test_row07_gbp_pence_kept_consistent_percent_rules_unaffected(
    fake, clock, yahoo, tmp_path
) -> None:
    clock.set(datetime(2025, 1, 27, 12, 0, tzinfo=UTC))  # London open
    fake.set_quote("VOD.L", price=7250.0, prev_close=7000.0, currency="GBp", time=clock.now())
    engine, events = await _engine(
        tmp_path, clock, yahoo, ["VOD.L"], [("vod up", "VOD.L day% >= 3")]
    )
    try:
        await engine.poll_quotes()
        q = engine.quotes()["VOD.L"]
        assert q.status is Status.OK and q.currency == "GBp"
        # price, previous close, range and sparkline all in pence: one unit throughout
        assert (q.price, q.prev_close) == (7250.0, 7000.0)
        assert q.low >= 6900 and q.high <= 7300 and all(p > 1000 for p in q.intraday)
        assert q.change_pct == pytest.approx(3.5714, abs=1e-3)
        assert [a.rule for a in events.alerts] == ["vod up"]
        assert events.alerts[0].value == pytest.approx(3.5714, abs=1e-3)
        stored = await engine.store.read(lambda s: s.latest_quotes())
        assert stored["VOD.L"].currency == "GBp" and stored["VOD.L"].price == 7250.0
    finally:
        await engine.stop()


# ---- row 7b: the live path (our own client), through the engine ------------------------


@pytest.fixture
async def live(fake: FakeYahoo, clock: ManualClock, tmp_path: Path) -> AsyncIterator[Any]:
    source_ = YahooLiveQuotes(
        clock=clock,
        cache_dir=tmp_path,
        live_session_factory=lambda cookies: fake_async_session(fake, cookies),
        backoff=Backoff(base=60, cap=600, rng=random.Random(7)),
    )
    yield source_
    await source_.aclose()


@pytest.mark.parametrize("yahoo", ["answers", "refuses the crumb"])
async def test_row07b_one_symbols_bad_timestamp_leaves_the_others_alerting(
    fake, clock, live, tmp_path, yahoo
) -> None:
    fake.refuse_crumbs = yahoo == "refuses the crumb"
    fake.set_quote("NVDA", price=118.42, prev_close=142.62, time=clock.now())
    fake.set_quote("AMD", price=110.0, prev_close=111.0, time=clock.now(),
                   raw={"regularMarketTime": 1e20})  # fmt: skip
    engine, events = await _engine(
        tmp_path, clock, live, ["NVDA", "AMD"], [("nvda drop", "NVDA day% <= -5")]
    )
    try:
        await engine.poll_quotes()
        nvda, amd = engine.quotes()["NVDA"], engine.quotes()["AMD"]
        assert nvda.status is Status.OK and nvda.price == 118.42
        assert amd.status is Status.ERROR and "regularMarketTime 1e+20" in (amd.error or "")
        assert [a.rule for a in events.alerts] == ["nvda drop"]
        status = quote_status(engine)
        assert status.status is Status.OK and "AMD: error" in (status.detail or "")
        if yahoo == "refuses the crumb":
            assert "per-symbol charts" in (status.error or "")
    finally:
        await engine.stop()
