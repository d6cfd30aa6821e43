"""Replay: play a recorded quotes file through the engine, batch by batch, on the
recording's own clock (real time scaled by ``[settings.replay] speed``, or as fast as the
machine allows for ``monitor replay``).

Recorded headlines are released as the clock reaches them, before the quotes of the
same moment, so a rule on news and prices sees both.  The daily history follows the
clock: each new market day adds the replayed days before it, so "largest one-day drop
since ..." is known in a replay of any length, from earlier sessions only.
"""

from __future__ import annotations

import asyncio
import bisect
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from pathlib import Path

from monitor.clock import Clock, ManualClock
from monitor.engine import build
from monitor.engine.alerting import Alerting
from monitor.engine.build import EngineSettings
from monitor.engine.news_poller import NewsPoller
from monitor.engine.quote_book import QuoteBook
from monitor.engine.sources import Emit
from monitor.events import ReplayEndedEvent
from monitor.quotes.recorded import RecordedQuotes

#: how often a paused replay looks whether it may go on
PAUSE_POLL = 0.2
#: a wait between batches is slept in steps this long, so a new speed applies at once
WAIT_STEP = 0.1
#: the speeds `+` and `-` step through (recorded seconds per real second)
SPEEDS = (1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0)


def step_speed(speed: float, step: int) -> float:
    """The next speed of ``SPEEDS`` above (step 1) or below (step -1) ``speed``."""
    if step > 0:
        i = bisect.bisect_right(SPEEDS, speed)
        return SPEEDS[min(i, len(SPEEDS) - 1)] if i < len(SPEEDS) else speed
    i = bisect.bisect_left(SPEEDS, speed) - 1
    return SPEEDS[i] if i >= 0 else speed


def schedule(
    settings: EngineSettings, times: Sequence[datetime], speed: float | None = None
) -> list[float]:
    """The real seconds waited before each batch after the first, at ``speed`` (None:
    the config's): what a realtime replay of these batch times takes, without waiting."""
    symbols = settings.symbols
    return [
        build.replay_delay(settings, a, b, symbols, speed)
        for a, b in zip(times, times[1:], strict=False)
    ]


class Replay:
    """Plays the recording the quote book reads from; owns the playback task."""

    def __init__(
        self,
        settings: EngineSettings,
        *,
        clock: Clock,
        book: QuoteBook,
        news: NewsPoller,
        alerting: Alerting,
        emit: Emit,
        paused: Callable[[], bool],
        history_file: Path | None = None,
    ) -> None:
        self.settings = settings
        self.task: asyncio.Task[None] | None = None
        self._clock = clock
        self._book = book
        self._news = news
        self._alerting = alerting
        self._emit = emit
        self._paused = paused
        self._history_file = history_file
        self.speed = settings.replay.speed
        self.sleep: Callable[[float], Awaitable[None]] = asyncio.sleep  # tests count it

    def set_speed(self, speed: float) -> float:
        """Play at ``speed`` from now on (also in the middle of a wait); returns it."""
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = speed
        return speed

    def step(self, step: int) -> float:
        """One step faster (1) or slower (-1) on the speed ladder; the new speed."""
        return self.set_speed(step_speed(self.speed, step))

    @property
    def source(self) -> RecordedQuotes:
        source = self._book.source
        if not isinstance(source, RecordedQuotes):
            raise RuntimeError("the quote source is live, not a recording")
        return source

    def start(self) -> None:
        """Play in (scaled) real time in the background."""
        self.task = asyncio.create_task(self.play(realtime=True))

    async def restart(self) -> None:
        """From the start again: a fresh recording, no quotes, news or rule memory."""
        if self.task is not None:
            self.task.cancel()
        self._book.source = build.make_quote_source(self.settings, self._history_file, self._clock)
        if isinstance(self._clock, ManualClock):
            self._clock.set(self.settings.replay.start or self.source.first_time)
        self._book.clear()
        self._news.clear()
        self._alerting.restore(None)
        self.start()

    async def play(self, *, realtime: bool) -> None:
        """Load the rows before the start as history, then play the rest."""
        source = self.source
        for past in source.history_batches():
            await self._book.process_batch(past, evaluate=False)
        prev: datetime | None = None
        while True:
            while self._paused():
                await asyncio.sleep(PAUSE_POLL)
            nxt = source.next_time
            if nxt is None:
                break
            if realtime and prev is not None:
                # the screen keeps the last batch's time while it waits: the clock is
                # the data's time, never the next batch's
                await self._wait(prev, nxt)
            batch = source.next_batch()
            if batch is None:
                break
            if isinstance(self._clock, ManualClock):
                self._clock.set(batch.time)
            prev = batch.time
            await self._news.release_recorded()
            await self._book.follow_history(batch.time)
            await self._book.process_batch(batch)
            if not realtime:
                await asyncio.sleep(0)  # let the consumers see each batch
        self._emit(ReplayEndedEvent(self._clock.now()))

    def delay(self, prev: datetime, nxt: datetime) -> float:
        """Real seconds between the batches at ``prev`` and ``nxt`` at the current speed."""
        return build.replay_delay(self.settings, prev, nxt, self.settings.symbols, self.speed)

    async def _wait(self, prev: datetime, nxt: datetime) -> None:
        """Sleep the gap in short steps: a change of speed takes effect at once, and a
        pause holds the wait where it is."""
        done = 0.0  # the fraction of the gap already waited
        while True:
            delay = self.delay(prev, nxt)
            if delay <= 0 or done >= 1 - 1e-9:
                return
            step = min(WAIT_STEP, (1 - done) * delay)
            await self.sleep(step)
            if not self._paused():
                done += step / delay

    async def show_at(self, at: datetime | None) -> None:
        """The recorded quotes as they stood at ``at`` (None: the recording's end),
        without evaluating rules (``monitor once`` on a recording)."""
        source = self.source
        moment = at or source.last_time
        if isinstance(self._clock, ManualClock):
            self._clock.set(moment)  # "now" is the moment shown (ages, today's date)
        await self._book.process_batch(source.latest_at(moment), evaluate=False)
