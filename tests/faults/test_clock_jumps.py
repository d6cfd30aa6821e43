"""Issue 11, case 4: a wall clock that steps back (NTP, a restored VM) or ahead (set
forward, a suspend) never stops polling.

The jump is real for every part that reads the wall clock: APScheduler's own time
source (``datetime`` in the modules that call ``datetime.now``: the scheduler, the
interval trigger, the executor's misfire check), the schedule's jump watch and the
engine's clock all step together, while the monotonic clock (the event loop's timer)
goes on.  Intervals are accelerated (the config's floor is 5 s); nothing is timed: the
tests count polls and read the run times APScheduler computed.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from datetime import datetime, timedelta
from typing import Any

import pytest
from apscheduler.events import EVENT_JOB_EXECUTED, EVENT_JOB_MISSED

from monitor.clock import ManualClock
from monitor.engine.build import EngineSettings
from monitor.engine.schedule import ClockJumps
from tests.faults.kit import US_OPEN, StaticQuotes, config_text, items, open_engine, rss, wait_until

EVERY = 0.3  # seconds, both jobs
HOUR = 3600.0


class SteppedWall:
    """The wall clock as APScheduler and the schedule read it; ``step`` moves it."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, clock: ManualClock) -> None:
        self.offset = 0.0
        self._clock = clock
        wall = self

        class Stepped(datetime):
            @classmethod
            def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
                return datetime.now(tz) + timedelta(seconds=wall.offset)

        for module in (
            "apscheduler.schedulers.base",
            "apscheduler.triggers.interval",
            "apscheduler.executors.base",
        ):
            monkeypatch.setattr(f"{module}.datetime", Stepped)

    def time(self) -> float:
        return time.time() + self.offset

    def step(self, seconds: float) -> None:
        self.offset += seconds
        self._clock.advance(seconds)  # the engine's own clock jumps too


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(US_OPEN)


async def _running_engine(feed_server, clock, tmp_path, monkeypatch):
    feed_server.serve("/a", rss(items("a", 2, when=clock.now())))
    monkeypatch.setattr(EngineSettings, "news_tick", property(lambda self: EVERY))
    quotes = StaticQuotes(clock=clock)
    text = config_text(feeds=[("a", feed_server.url("/a"))])
    engine, events = await open_engine(tmp_path, text, clock=clock, quote_source=quotes)
    wall = SteppedWall(monkeypatch, clock)
    engine.settings.quotes_every = EVERY
    # the feed is due at every tick of the news job
    engine.settings.feeds = [dataclasses.replace(f, every=EVERY / 2) for f in engine.settings.feeds]
    engine.schedule.wall = wall.time
    engine.schedule.jump_check_every = 0.05
    runs: dict[str, list[datetime]] = {"news": [], "quotes": []}
    missed: list[object] = []
    await engine.start()
    scheduler = engine.schedule.scheduler
    scheduler.add_listener(
        lambda e: runs[e.job_id].append(e.scheduled_run_time), EVENT_JOB_EXECUTED
    )
    scheduler.add_listener(missed.append, EVENT_JOB_MISSED)
    return engine, quotes, wall, runs, missed


def _gaps(times: list[datetime]) -> list[float]:
    return [(b - a).total_seconds() for a, b in zip(times, times[1:], strict=False)]


def _on_pace(gap: float) -> bool:
    """One interval plus APScheduler's jitter (at most 10 % of it)."""
    return EVERY - 0.001 <= gap <= EVERY * 1.1 + 0.001


async def test_case04_backward_jump_keeps_polling_at_its_pace(
    feed_server, clock, tmp_path, monkeypatch, caplog
) -> None:
    caplog.set_level(logging.WARNING, logger="monitor.engine.schedule")
    engine, quotes, wall, runs, missed = await _running_engine(
        feed_server, clock, tmp_path, monkeypatch
    )
    try:
        assert await wait_until(lambda: len(runs["quotes"]) >= 2 and len(runs["news"]) >= 2)
        before = (len(runs["news"]), len(runs["quotes"]))
        calls, hits = quotes.calls, feed_server.hits("/a")

        wall.step(-HOUR)

        assert await wait_until(
            lambda: quotes.calls >= calls + 4 and feed_server.hits("/a") >= hits + 4, timeout=20
        ), (quotes.calls - calls, feed_server.hits("/a") - hits)
        # "changes nothing": the run after the step is due one interval after the one
        # before it on the monotonic clock (an hour earlier on the stepped wall clock),
        # then one interval apart again: no pause, no burst.
        for job, start in zip(("news", "quotes"), before, strict=True):
            gaps = _gaps(runs[job][start - 1 :])
            assert _on_pace(gaps[0] + HOUR), (job, gaps)
            assert all(_on_pace(g) for g in gaps[1:]), (job, gaps)
        assert missed == []
        assert any("wall clock went back 1:00:00" in r.getMessage() for r in caplog.records)
    finally:
        await engine.stop()


async def test_case04_forward_jump_makes_one_catch_up_poll(
    feed_server, clock, tmp_path, monkeypatch, caplog
) -> None:
    caplog.set_level(logging.WARNING, logger="monitor.engine.schedule")
    engine, quotes, wall, runs, missed = await _running_engine(
        feed_server, clock, tmp_path, monkeypatch
    )
    try:
        assert await wait_until(lambda: len(runs["quotes"]) >= 2 and len(runs["news"]) >= 2)
        before = (len(runs["news"]), len(runs["quotes"]))
        hits = feed_server.hits("/a")

        wall.step(+HOUR)

        assert await wait_until(
            lambda: all(
                len(runs[j]) >= n + 4 for j, n in zip(("news", "quotes"), before, strict=True)
            ),
            timeout=20,
        )
        for job, start in zip(("news", "quotes"), before, strict=True):
            gaps = _gaps(runs[job][start - 1 :])
            # one run for the hour jumped over (not one per missed interval, not
            # "missed"), then the usual pace
            assert gaps[0] > HOUR - 1 and all(_on_pace(g) for g in gaps[1:]), (job, gaps)
        # each poll of the feed is one request: one catch-up fetch, not a burst
        assert feed_server.hits("/a") - hits == len(runs["news"]) - before[0]
        assert missed == []
        assert any("wall clock went ahead 1:00:00" in r.getMessage() for r in caplog.records)
    finally:
        await engine.stop()


def test_case04_clock_jumps_tells_a_step_from_drift() -> None:
    wall, mono = [1000.0], [50.0]
    jumps = ClockJumps(lambda: wall[0], lambda: mono[0])
    wall[0] += 5.0005
    mono[0] += 5.0  # NTP slewing: half a millisecond in five seconds
    assert jumps.check() == 0.0
    wall[0] += 5 - HOUR
    mono[0] += 5
    assert jumps.check() == pytest.approx(-HOUR)
    wall[0] += 7200 + 5  # a two-hour suspend: the monotonic clock stood still
    mono[0] += 5
    assert jumps.check() == pytest.approx(7200)
    assert jumps.check() == 0.0  # reported once
