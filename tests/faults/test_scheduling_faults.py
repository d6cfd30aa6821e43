"""Rows 8, 22 and 23: overlapping polls, slow and failing jobs, suspend, no network.

Scheduler tests run the engine's real APScheduler with accelerated intervals (the
config's floor is 5 s, so the test sets the engine's interval directly).
"""

from __future__ import annotations

import asyncio
import random
import time
from datetime import UTC, datetime

import pytest

from monitor.clock import ManualClock
from monitor.model import Quote, Status
from monitor.quotes.yahoo import Backoff, YahooQuotes
from tests.fake_yahoo import FakeYahoo, fake_session, reset_yfinance
from tests.faults.kit import (
    US_OPEN,
    StaticQuotes,
    config_text,
    items,
    open_engine,
    quote_status,
    rss,
    source,
    wait_until,
)
from tests.feedserver import FeedServer


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(US_OPEN)


# ---- row 8 ---------------------------------------------------------------------------


async def test_row08_manual_refresh_during_a_scheduled_poll_fetches_once(
    feed_server, clock, tmp_path
) -> None:
    for name in ("a", "b"):
        feed_server.serve(f"/{name}", rss(items(name, 2, when=clock.now())), delay=0.5)
    quotes = StaticQuotes(
        {"NVDA": Quote("NVDA", price=1.0, prev_close=1.0, as_of=clock.now())}, clock=clock
    )
    quotes.delay = 0.5
    text = config_text(feeds=[("a", feed_server.url("/a")), ("b", feed_server.url("/b"))])
    engine, events = await open_engine(tmp_path, text, clock=clock, quote_source=quotes)
    try:
        scheduled = asyncio.gather(engine.schedule.run_news(), engine.schedule.run_quotes())
        assert await wait_until(lambda: feed_server.hits("/a") == 1 and quotes.running == 1)
        await engine.refresh_now()  # the user presses r while the poll runs
        await scheduled
        assert feed_server.hits("/a") == 1 and feed_server.hits("/b") == 1
        assert quotes.calls == 1 and quotes.max_running == 1
        assert len(events.headlines) == 4  # each story announced once
        assert events.notices == []
    finally:
        await engine.stop()


# ---- row 22 --------------------------------------------------------------------------


async def _start_fast(engine, every: float) -> None:
    engine.settings.quotes_every = every  # accelerated: below the config's 5 s floor
    await engine.start()


async def test_row22_slow_poll_never_overlaps_and_a_raising_job_is_visible(clock, tmp_path) -> None:
    quotes = StaticQuotes(clock=clock)
    quotes.delay = 0.6  # three intervals long
    quotes.fail_on = {2}
    engine, events = await open_engine(tmp_path, config_text(), clock=clock, quote_source=quotes)
    try:
        await _start_fast(engine, 0.2)
        assert await wait_until(lambda: quotes.calls >= 4, timeout=20)
        assert quotes.max_running == 1
        failed = [n for n in events.notices if "quotes poll failed" in n]
        assert len(failed) == 1 and "RuntimeError" in failed[0] and "call 2" in failed[0]
    finally:
        await engine.stop()


async def test_row22_suspend_gives_one_catch_up_run(clock, tmp_path) -> None:
    from apscheduler.events import EVENT_JOB_EXECUTED, EVENT_JOB_MISSED

    quotes = StaticQuotes(clock=clock)
    engine, _ = await open_engine(tmp_path, config_text(), clock=clock, quote_source=quotes)
    runs: list[datetime] = []  # the scheduled time of every run that happened
    missed: list[object] = []
    try:
        await _start_fast(engine, 0.5)
        engine.schedule.scheduler.add_listener(
            lambda e: runs.append(e.scheduled_run_time), EVENT_JOB_EXECUTED
        )
        engine.schedule.scheduler.add_listener(missed.append, EVENT_JOB_MISSED)
        assert await wait_until(lambda: len(runs) >= 2)
        asleep = datetime.now(UTC)
        time.sleep(3.0)  # the loop stands still, as in a laptop's suspend (6 intervals)
        awake = datetime.now(UTC)
        assert await wait_until(lambda: any(t > awake for t in runs), timeout=10)
        during = [t for t in runs if asleep < t <= awake]
        assert len(during) == 1, during  # one catch-up run, not one per missed interval
        assert missed == []  # and not skipped as "too late" either
        later = len(runs)
        assert await wait_until(lambda: len(runs) >= later + 2)  # later runs continue
    finally:
        await engine.stop()


async def test_row22_two_hour_jump_fetches_each_feed_once(feed_server, clock, tmp_path) -> None:
    feed_server.serve("/a", rss(items("a", 2, when=clock.now())))
    engine, _ = await open_engine(
        tmp_path, config_text(feeds=[("a", feed_server.url("/a"))]), clock=clock
    )
    try:
        await engine.poll_news()
        clock.advance(2 * 3600)
        await asyncio.gather(
            engine.schedule.run_news(), engine.schedule.run_news(), engine.schedule.run_news()
        )
        assert feed_server.hits("/a") == 2
    finally:
        await engine.stop()


# ---- row 23 --------------------------------------------------------------------------


async def test_row23_no_network_at_start_up_shows_stored_data_and_backs_off(
    clock, tmp_path
) -> None:
    reset_yfinance(tmp_path / "yfinance")
    server = FeedServer().start()
    fake = FakeYahoo().start()
    url = server.url("/wire")
    server.serve("/wire", rss(items("wire", 3, when=clock.now())))
    fake.set_quote("NVDA", price=120.0, prev_close=121.0, time=clock.now())
    text = config_text(feeds=[("wire", url)])

    def yahoo(session):
        return YahooQuotes(
            clock=clock,
            cache_dir=tmp_path,
            session=session,
            backoff=Backoff(base=60, cap=600, rng=random.Random(3)),
        )

    session = fake_session(fake)
    engine, _ = await open_engine(tmp_path, text, clock=clock, quote_source=yahoo(session))
    await engine.poll_news(force=True)
    await engine.poll_quotes()
    await engine.stop()
    stored_at = clock.now()
    server.stop()
    fake.stop()  # the network is gone

    clock.advance(3600)
    engine, _ = await open_engine(tmp_path, text, clock=clock, quote_source=yahoo(session))
    try:
        q = engine.quotes()["NVDA"]  # before any poll: the stored quote and its time
        assert q.price == 120.0 and q.as_of == stored_at
        assert len(await engine.recent_headlines(matched_only=False)) == 3

        await engine.poll_news(force=True)
        await engine.poll_quotes()
        wire = source(engine, "wire")
        assert wire.status is Status.UNREACHABLE and wire.next_try > clock.now()
        q = engine.quotes()["NVDA"]
        assert q.price == 120.0 and q.as_of == stored_at and q.status is Status.UNREACHABLE
        status = quote_status(engine)
        assert status.status is Status.UNREACHABLE and status.next_try is not None
        assert status.next_try > clock.now()

        # inside the backoff nothing is tried again
        clock.advance(20)
        await engine.poll_news()
        await engine.poll_quotes()
        assert source(engine, "wire").next_try == wire.next_try
        assert engine.quotes()["NVDA"].status is Status.BACKOFF
        assert engine.quotes()["NVDA"].price == 120.0
        assert "rate limit" not in (engine.quotes()["NVDA"].error or "")
        assert len(await engine.recent_headlines(matched_only=False)) == 3
    finally:
        await engine.stop()
        session.close()
