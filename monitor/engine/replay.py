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
from collections.abc import Callable
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
from monitor.model import QuoteBatch
from monitor.quotes.recorded import RecordedQuotes

#: how often a paused replay looks whether it may go on
PAUSE_POLL = 0.2


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
            batch = source.next_batch()
            if batch is None:
                break
            if realtime and prev is not None:
                await self._wait(prev, batch)
            if isinstance(self._clock, ManualClock):
                self._clock.set(batch.time)
            prev = batch.time
            await self._news.release_recorded()
            await self._book.follow_history(batch.time)
            await self._book.process_batch(batch)
            if not realtime:
                await asyncio.sleep(0)  # let the consumers see each batch
        self._emit(ReplayEndedEvent(self._clock.now()))

    async def _wait(self, prev: datetime, nxt: QuoteBatch) -> None:
        delay = build.replay_delay(self.settings, prev, nxt.time, self.settings.symbols)
        if delay > 0:
            await asyncio.sleep(delay)

    async def show_at(self, at: datetime | None) -> None:
        """The recorded quotes as they stood at ``at`` (None: the recording's end),
        without evaluating rules (``monitor once`` on a recording)."""
        source = self.source
        moment = at or source.last_time
        if isinstance(self._clock, ManualClock):
            self._clock.set(moment)  # "now" is the moment shown (ages, today's date)
        await self._book.process_batch(source.latest_at(moment), evaluate=False)
