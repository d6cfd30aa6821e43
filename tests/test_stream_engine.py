"""Streamed prices in the engine: the live path while a market is open, with polling
for context and as the fallback (a real websocket server on 127.0.0.1)."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta

import pytest

from monitor.clock import ManualClock
from monitor.engine import Engine
from monitor.engine import live_stream as live_stream_module
from monitor.events import AlertEvent
from monitor.model import MarketState, Quote
from tests.fake_streamer import FakeStreamer, price_frame
from tests.faults.kit import StaticQuotes, loaded_config

OPEN = datetime(2025, 1, 27, 15, 0, tzinfo=UTC)  # 10:00 New York
SATURDAY = datetime(2025, 1, 25, 15, 0, tzinfo=UTC)
CONFIG = """
[settings]
quotes_every = "30s"
database = "monitor.db"
notify = ["terminal"]

[watchlist]
chips = ["NVDA", "AMD"]

[[alerts]]
name = "NVDA crash"
when = "NVDA day% <= -5"
"""


def polled(symbol: str, price: float, prev: float, at: datetime) -> Quote:
    return Quote(
        symbol,
        price=price,
        prev_close=prev,
        open=prev,
        high=max(price, prev),
        low=min(price, prev),
        currency="USD",
        market_state=MarketState.REGULAR,
        as_of=at,
        name=f"{symbol} Inc.",
        shares_outstanding=1e9,
    )


async def until(check, what: str, timeout: float = 10.0) -> None:
    async def loop() -> None:
        while not check():
            await asyncio.sleep(0.01)

    try:
        await asyncio.wait_for(loop(), timeout)
    except TimeoutError:
        raise AssertionError(f"never: {what}") from None


@pytest.fixture
async def streamer():
    async with FakeStreamer() as server:
        yield server


async def started(tmp_path, streamer, now: datetime):
    clock = ManualClock(now)
    source = StaticQuotes(
        {
            "NVDA": polled("NVDA", 140.0, 142.62, now - timedelta(seconds=20)),
            "AMD": polled("AMD", 120.0, 121.0, now - timedelta(seconds=20)),
        },
        clock=clock,
    )
    engine = Engine(
        loaded_config(tmp_path, CONFIG),
        clock=clock,
        quote_source=source,
        database=tmp_path / "m.db",
        notify=False,
        stream_url=streamer.url,
    )
    events: list = []
    engine.subscribe(events.append)
    await engine.start()
    engine.pause()  # the test drives the polls
    return engine, source, clock, events


async def test_a_streamed_crash_alerts_without_waiting_for_a_poll(tmp_path, streamer):
    engine, source, clock, events = await started(tmp_path, streamer, OPEN)
    try:
        await streamer.wait_subscribed()
        assert sorted(streamer.subscriptions[0]) == ["AMD", "NVDA"]
        await engine.poll_quotes()  # context: names, previous close
        assert source.calls == 1
        tick = OPEN + timedelta(seconds=1)
        clock.set(tick)
        await streamer.send(price_frame("NVDA", 118.42, tick, previous_close=142.62))
        await until(lambda: any(isinstance(e, AlertEvent) for e in events), "an alert")
        nvda = engine.quotes()["NVDA"]
        assert (nvda.price, nvda.as_of, nvda.name) == (118.42, tick, "NVDA Inc.")
        assert source.calls == 1  # no poll was needed for it
        status = next(s for s in engine.sources() if s.kind == "quotes")
        assert "streaming" in (status.detail or "")
    finally:
        await engine.stop()


async def test_polls_wait_while_the_stream_is_fresh_and_return_when_it_drops(
    tmp_path, streamer, monkeypatch
):
    monkeypatch.setattr(live_stream_module, "YahooStream", _fast_retry)
    engine, source, clock, _ = await started(tmp_path, streamer, OPEN)
    try:
        await streamer.wait_subscribed()
        await engine.poll_quotes()
        for step, symbol in enumerate(["NVDA", "AMD"], 1):
            t = OPEN + timedelta(seconds=step)
            await streamer.send(price_frame(symbol, 130.0 + step, t, previous_close=142.62))
        live = engine.live
        assert live is not None
        await until(
            lambda: live.stream is not None and live.stream.last_data_time("AMD") is not None,
            "both symbols streamed",
        )
        clock.set(OPEN + timedelta(seconds=30))
        await engine.poll_quotes()
        assert source.calls == 1  # skipped: the stream keeps both fresh
        clock.set(OPEN + timedelta(seconds=20 * 30 + 1))
        await engine.poll_quotes()
        assert source.calls == 2  # context refresh, stream or not

        stream = live.stream
        assert stream is not None
        await streamer.drop()
        await until(lambda: not stream.trusted(), "the stream reported down")
        clock.set(OPEN + timedelta(seconds=20 * 30 + 31))
        await engine.poll_quotes()
        assert source.calls == 3  # the fallback
        status = next(s for s in engine.sources() if s.kind == "quotes")
        assert "polling" in (status.detail or "")
    finally:
        await engine.stop()


async def test_a_poll_behind_the_stream_keeps_the_newer_price(tmp_path, streamer):
    engine, source, clock, _ = await started(tmp_path, streamer, OPEN)
    try:
        await streamer.wait_subscribed()
        await engine.poll_quotes()
        tick = OPEN + timedelta(seconds=5)
        await streamer.send(price_frame("AMD", 119.5, tick, previous_close=121.0))
        await until(lambda: engine.quotes()["AMD"].price == 119.5, "the streamed price")
        source.quotes["AMD"] = polled("AMD", 120.5, 121.0, OPEN - timedelta(seconds=2))
        engine.live._polled_at = None  # a poll is due (context refresh)
        await engine.poll_quotes()
        amd = engine.quotes()["AMD"]
        assert (amd.price, amd.as_of) == (119.5, tick)
        assert amd.name == "AMD Inc." and amd.high == 121.0
    finally:
        await engine.stop()


async def test_no_stream_while_every_market_is_shut(tmp_path, streamer):
    engine, _, _, _ = await started(tmp_path, streamer, SATURDAY)
    try:
        await asyncio.sleep(0)  # the supervisor has looked once
        await asyncio.sleep(0)
        assert engine.live is not None and engine.live.stream is None
        assert streamer.connections == 0
    finally:
        await engine.stop()


async def test_the_stream_closes_when_the_market_does(tmp_path, streamer, monkeypatch):
    monkeypatch.setattr(live_stream_module, "CHECK_EVERY", 0.01)
    engine, _, clock, _ = await started(tmp_path, streamer, OPEN)
    try:
        await streamer.wait_subscribed()
        clock.set(OPEN + timedelta(hours=7))  # 17:00 New York
        await until(lambda: engine.live.stream is None, "the stream closed")
        await until(lambda: not streamer._open, "the server saw it go")
    finally:
        await engine.stop()


def test_live_config_streams_and_a_recording_or_stream_false_does_not(tmp_path):
    from monitor.engine import build
    from monitor.engine.build import EngineSettings
    from monitor.quotes import stream

    live = EngineSettings.from_config(loaded_config(tmp_path, CONFIG).config)
    assert build.stream_url(live) == stream.STREAM_URL
    off = CONFIG.replace('notify = ["terminal"]', 'notify = ["terminal"]\nstream = false')
    assert build.stream_url(EngineSettings.from_config(loaded_config(tmp_path, off).config)) is None


def _fast_retry(*args, **kw):
    from monitor.quotes.stream import YahooStream

    return YahooStream(*args, **kw, backoff_base=0.01, rng=random.Random(3))
