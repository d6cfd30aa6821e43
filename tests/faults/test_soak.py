"""Row 25: a soak of the headless engine against 100 loopback feeds that randomly fail,
stall, change and recover, with accelerated intervals (0.5 s instead of minutes).

Short by default (60 s, run by the normal test command); the long run is by hand:

    MONITOR_SOAK_SECONDS=1800 /work/venv/bin/pytest tests/faults/test_soak.py -q -s

Checked: no unhandled exception (no "poll failed", nothing reaching the loop's exception
handler), no overlapping polls, memory flat after warm-up, and every headline served at
least once is stored exactly once (one story per distinct headline, cross-posts joined).
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import os
import random
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from monitor.clock import WallClock
from monitor.engine import EngineSettings
from monitor.events import SourceEvent
from monitor.model import Quote, Status
from tests.faults.kit import StaticQuotes, config_text, open_engine, rss, rss_item
from tests.feedserver import FeedServer, Reply, failure

SOAK_SECONDS = float(os.environ.get("MONITOR_SOAK_SECONDS", "60"))
FEEDS = 100
TICK = 0.5  # accelerated poll interval of every feed and of quotes
WORDS = [
    "chips",
    "model",
    "rally",
    "export",
    "tariff",
    "earnings",
    "guidance",
    "outage",
    "merger",
    "launch",
    "probe",
    "forecast",
    "shortage",
    "record",
    "recall",
]

pytestmark = pytest.mark.timeout(SOAK_SECONDS + 240)


@dataclass
class Chaos:
    """What each feed serves, changed at random by a thread while the engine polls."""

    server: FeedServer
    rng: random.Random
    items: dict[int, list[str]] = field(default_factory=dict)
    titles: set[str] = field(default_factory=set)
    stop: threading.Event = field(default_factory=threading.Event)
    counter: int = 0

    def body(self, feed: int) -> bytes:
        return rss(self.items[feed], title=f"Outlet {feed}")

    def healthy(self, feed: int) -> None:
        self.server.serve(f"/f{feed}", self.body(feed))

    def publish(self, feed: int) -> None:
        self.counter += 1
        words = " ".join(self.rng.sample(WORDS, 3))
        title = f"Outlet {feed} headline {self.counter} on {words}"
        link = f"https://news{feed}.example/{self.counter}"
        targets = [feed]
        if self.rng.random() < 0.1:  # the same story in a second feed, another guid
            targets.append(self.rng.randrange(FEEDS))
        for target in dict.fromkeys(targets):
            self.items[target].append(rss_item(title, link=link, guid=f"{target}-{self.counter}"))
        self.titles.add(title)

    def step(self) -> None:
        feed = self.rng.randrange(FEEDS)
        roll = self.rng.random()
        path = f"/f{feed}"
        if roll < 0.45:
            self.publish(feed)
            self.healthy(feed)
        elif roll < 0.55:
            self.server.sequence(path, [failure(500)])
        elif roll < 0.62:
            self.server.sequence(path, [failure(429, retry_after=1)])
        elif roll < 0.70:  # stalls past the 1 s deadline, then answers
            self.server.sequence(path, [Reply(body=self.body(feed), delay=2.5)])
        elif roll < 0.76:
            self.server.sequence(path, [Reply(body=self.body(feed), bytes_per_second=400)])
        elif roll < 0.82:
            self.server.serve(path, b"<html><body>502 <rss><channel><item>")
        else:
            self.healthy(feed)  # recovers

    def run(self) -> None:
        while not self.stop.wait(0.05):
            self.step()


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


async def test_row25_soak_many_flaky_feeds(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(EngineSettings, "news_tick", property(lambda self: TICK))
    server = FeedServer().start()
    chaos = Chaos(server, random.Random(25), {i: [] for i in range(FEEDS)})
    for feed in range(FEEDS):
        chaos.publish(feed)
        chaos.healthy(feed)
    clock = WallClock()
    quotes = StaticQuotes({"NVDA": Quote("NVDA", price=100.0, prev_close=99.0)}, clock=clock)
    text = config_text(feeds=[(f"feed {i}", server.url(f"/f{i}")) for i in range(FEEDS)])
    engine, events = await open_engine(
        tmp_path, text, clock=clock, quote_source=quotes, deadline=1.0
    )
    loop = asyncio.get_running_loop()
    loop_errors: list[dict] = []
    loop.set_exception_handler(lambda _loop, context: loop_errors.append(context))
    polls = {"running": 0, "max": 0, "count": 0}
    fetch_all = engine.news.fetcher.fetch_all

    async def counted(feeds):
        polls["running"] += 1
        polls["max"] = max(polls["max"], polls["running"])
        polls["count"] += 1
        try:
            return await fetch_all(feeds)
        finally:
            polls["running"] -= 1

    engine.news.fetcher.fetch_all = counted
    thread = threading.Thread(target=chaos.run, daemon=True)
    memory: list[tuple[float, float]] = []
    try:
        engine.settings.news_every = engine.settings.quotes_every = TICK
        engine.settings.feeds = [dataclasses.replace(f, every=TICK) for f in engine.settings.feeds]
        await engine.start()
        thread.start()
        started = loop.time()
        while (elapsed := loop.time() - started) < SOAK_SECONDS:
            await asyncio.sleep(min(2.0, SOAK_SECONDS / 20))
            gc.collect()
            memory.append((elapsed, _rss_mb()))

        chaos.stop.set()
        thread.join()
        engine.pause()  # the scheduler idles; the last polls are forced by hand
        for feed in range(FEEDS):
            chaos.healthy(feed)
        for _ in range(3):  # the first may only wait for a poll still running
            await engine.poll_news(force=True)
    finally:
        chaos.stop.set()
        await engine.stop()
        server.stop()
        loop.set_exception_handler(None)

    assert polls["count"] >= 10 and quotes.calls >= 10, (polls, quotes.calls)  # kept polling
    assert polls["max"] == 1 and quotes.max_running == 1  # never two polls at once
    assert [n for n in events.notices if "poll failed" in n] == []
    assert loop_errors == []
    statuses = {e.status.status for e in events.of(SourceEvent) if e.status.kind == "feed"}
    assert Status.TIMEOUT in statuses and Status.RATE_LIMITED in statuses  # chaos happened
    assert Status.ERROR in statuses

    from monitor.store import Store

    store = Store(tmp_path / "m.db")
    try:
        stored = store.recent_headlines(limit=100_000, matched_only=False)
        titles = [h.title for h in stored]
        assert len(titles) == len(set(titles))  # exactly once
        assert set(titles) == chaos.titles  # every headline served is there
        cross = [h for h in stored if len(h.outlets) > 1]
        assert cross, "cross-posted stories were joined into one"
        assert store.integrity_check() == "ok"
    finally:
        store.close()
    announced = [h.title for h in events.headlines if h.new]
    assert len(announced) == len(set(announced))  # and announced once

    warm = [mb for t, mb in memory if t >= SOAK_SECONDS / 3]
    assert warm and max(warm) - warm[0] < 40, memory  # flat after warm-up
