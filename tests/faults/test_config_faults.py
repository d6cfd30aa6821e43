"""Row 24: the config file broken while running; a config of 1,000 feeds and symbols."""

from __future__ import annotations

import asyncio

import pytest

from monitor.clock import ManualClock
from monitor.config import Settings
from monitor.model import Quote, Status
from tests.faults.kit import (
    US_OPEN,
    StaticQuotes,
    config_text,
    open_engine,
    rss,
    rss_item,
    wait_until,
)

#: the config's default feed deadline, in seconds
FEED_TIMEOUT = Settings().feed_timeout.total_seconds()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(US_OPEN)


@pytest.mark.parametrize(
    "broken, named",
    [
        ("[watchlist\nmain = [", "watchlist.toml:1"),  # not TOML at all
        ("[watchlist]\nmain = ['NVDA']\n[settings]\nquotes_evry = '30s'\n", "quotes_evry"),
        (
            "[watchlist]\nmain = ['NVDA']\n[[alerts]]\nname = 'x'\nwhen = 'NVDA day% <<= 5'\n",
            "when",
        ),
    ],
    ids=["toml", "unknown-key", "bad-rule"],
)
async def test_row24_invalid_edit_keeps_running_config_and_says_why(
    feed_server, clock, tmp_path, broken, named
) -> None:
    feed_server.serve("/wire", rss([rss_item("Chips story", link="https://example.com/1")]))
    text = config_text(
        symbols=["NVDA", "AMD"],
        feeds=[("wire", feed_server.url("/wire"))],
        rules=[("drop", "NVDA day% <= -5")],
    )
    quotes = StaticQuotes(
        {"NVDA": Quote("NVDA", price=1.0, prev_close=1.0, as_of=clock.now())}, clock=clock
    )
    engine, _ = await open_engine(tmp_path, text, clock=clock, quote_source=quotes)
    try:
        engine.config_path.write_text(broken, encoding="utf-8")
        error = await engine.reload_config()
        assert error is not None and named in error
        assert engine.symbols == ["NVDA", "AMD"]  # the running config stays
        assert [s.name for s in engine.rule_states()] == ["drop"]
        assert len(await engine.poll_news(force=True)) == 1  # and keeps polling
        await engine.poll_quotes()
        assert engine.quotes()["NVDA"].status is Status.OK

        engine.config_path.write_text(text.replace('"AMD"', '"AMD", "MU"'), encoding="utf-8")
        assert await engine.reload_config() is None  # fixed: taken on the next reload
        assert engine.symbols == ["NVDA", "AMD", "MU"]
    finally:
        await engine.stop()


async def test_row24_a_thousand_feeds_and_symbols_load_and_poll(
    feed_server, clock, tmp_path
) -> None:
    n = 1000
    for i in range(n):
        feed_server.serve(
            f"/f{i}",
            rss(
                [
                    rss_item(
                        f"Feed {i} chips story {k}",
                        link=f"https://example.com/{i}/{k}",
                        guid=f"{i}-{k}",
                    )
                    for k in range(3)
                ]
            ),
        )
    symbols = [f"T{i:04d}" for i in range(n)]
    text = config_text(
        symbols=symbols, feeds=[(f"feed {i}", feed_server.url(f"/f{i}")) for i in range(n)]
    )
    quotes = StaticQuotes(
        {s: Quote(s, price=10.0, prev_close=9.0, as_of=clock.now()) for s in symbols}, clock=clock
    )
    # The feed deadline is the config's default (30 s), not the suite's scaled-down 5 s:
    # the loopback server shares this process (and a loaded CI machine) with the 1,000
    # fetches, and a fetch waiting over 5 s for a CPU is not what this row measures
    # (3 of 1,000 feeds timed out that way, 2,991 of 3,000 headlines).  "Within its
    # intervals" is the bound below.
    engine, _ = await open_engine(
        tmp_path, text, clock=clock, quote_source=quotes, deadline=FEED_TIMEOUT
    )
    try:
        assert len(engine.settings.feeds) == n and len(engine.symbols) == n
        # "within its intervals": one whole poll inside news_every / quotes_every
        async with asyncio.timeout(engine.settings.news_every):
            headlines = await engine.poll_news(force=True)
        async with asyncio.timeout(engine.settings.quotes_every):
            await engine.poll_quotes()
        assert len(headlines) == 3 * n
        assert sum(1 for r in feed_server.requests if r.path.startswith("/f")) == n
        assert all(s.status is Status.OK for s in engine.sources() if s.kind == "feed")
        assert sum(q.status is Status.OK for q in engine.quotes().values()) == n
    finally:
        await engine.stop()


async def test_row24_polling_goes_on_after_reloads_good_and_bad(clock, tmp_path) -> None:
    quotes = StaticQuotes(
        {"NVDA": Quote("NVDA", price=1.0, prev_close=1.0, as_of=clock.now())}, clock=clock
    )
    text = config_text(symbols=["NVDA"])
    engine, _ = await open_engine(tmp_path, text, clock=clock, quote_source=quotes)
    try:
        engine.settings.quotes_every = 0.2  # accelerated (the config's floor is 5 s)
        await engine.start()
        assert await wait_until(lambda: quotes.calls >= 2)
        engine.config_path.write_text("[watchlist\n", encoding="utf-8")
        assert await engine.reload_config() is not None
        engine.config_path.write_text(text.replace('"NVDA"', '"NVDA", "AMD"'), encoding="utf-8")
        assert await engine.reload_config() is None
        engine.settings.quotes_every = 0.2
        engine.schedule.reschedule()
        jobs = engine.schedule.scheduler.get_jobs()
        assert jobs and all(job.next_run_time is not None for job in jobs)  # none paused
        calls = quotes.calls
        assert await wait_until(lambda: quotes.calls >= calls + 2)  # still polling
    finally:
        await engine.stop()
