"""The schedule: two interval jobs (news, quotes) on APScheduler's asyncio scheduler.

A poll still running is never started again, a laptop waking from sleep gets one
catch-up run rather than a burst, and a job that raises becomes a notice, never a dead
scheduler.  Pausing skips the jobs; the polls themselves stay callable.

Clock jumps.  APScheduler 3 sleeps on the loop's monotonic timer but decides what is
due on the wall clock (``datetime.now`` in ``BaseScheduler._process_jobs``): after the
wall clock steps back an hour (an NTP correction, a restored VM) every job's next run
lies an hour ahead and nothing polls for that hour.  ``ClockJumps`` compares the wall
clock with the monotonic one every few seconds; a step back moves every job's next run
back by the same amount (the polls keep their pace: nothing else changes), a step
ahead (the clock set forward, or a suspend, during which Linux's monotonic clock
stands still) wakes the scheduler so each overdue job runs once (coalesced).  Both
are logged.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from monitor.engine.build import EngineSettings
from monitor.engine.sources import Emit
from monitor.events import NoticeEvent

if TYPE_CHECKING:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

log = logging.getLogger(__name__)

Poll = Callable[[], Awaitable[Any]]

#: how often the wall clock is compared with the monotonic one (seconds)
JUMP_CHECK_EVERY = 5.0
#: a difference below this is drift (NTP slews at most 0.5 ms/s), not a step
JUMP_TOLERANCE = 2.0


class ClockJumps:
    """Notices steps of the wall clock by comparing it with the monotonic clock."""

    def __init__(
        self,
        wall: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        tolerance: float = JUMP_TOLERANCE,
    ) -> None:
        self._wall, self._monotonic = wall, monotonic
        self.tolerance = tolerance
        self._offset = wall() - monotonic()

    def check(self) -> float:
        """How far the wall clock stepped since the last check, in seconds (> 0: ahead,
        < 0: back); 0.0 when it only drifted."""
        offset = self._wall() - self._monotonic()
        step, self._offset = offset - self._offset, offset
        return step if abs(step) >= self.tolerance else 0.0


class Schedule:
    """Runs ``poll_news`` and ``poll_quotes`` at the config's intervals."""

    def __init__(
        self,
        settings: EngineSettings,
        *,
        poll_news: Poll,
        poll_quotes: Poll,
        emit: Emit,
        replay: bool,
    ) -> None:
        self.settings = settings
        self.paused = False
        self.scheduler: AsyncIOScheduler | None = None
        self._poll_news = poll_news
        self._poll_quotes = poll_quotes
        self._emit = emit
        self._replay = replay  # the replay loop delivers recorded quotes
        #: the wall clock the scheduler reads (a test steps it along with APScheduler's)
        self.wall: Callable[[], float] = time.time
        self.jump_check_every = JUMP_CHECK_EVERY
        self._watch: asyncio.Task[None] | None = None

    def start(self) -> None:
        # Deferred: APScheduler takes ~90 ms to import, and `monitor once`, `check` and
        # `replay` never schedule anything.
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        self.scheduler = AsyncIOScheduler(
            job_defaults={
                "coalesce": True,  # after a sleep: one catch-up run, not a burst
                "max_instances": 1,  # a poll still running is never started again
                "misfire_grace_time": 24 * 3600,  # survive a laptop suspend
            }
        )
        self.scheduler.start()
        self.reschedule(first=True)
        self._watch = asyncio.create_task(self._watch_clock(ClockJumps(self.wall)))

    def stop(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            self._watch = None
        if self.scheduler is not None:
            try:
                self.scheduler.shutdown(wait=False)
            except Exception:  # noqa: BLE001 — already stopped with the loop
                pass
            self.scheduler = None

    def reschedule(self, first: bool = False) -> None:
        """(Re)arm the jobs at the current settings' intervals."""
        if self.scheduler is None:
            return
        now = datetime.fromtimestamp(self.wall(), UTC)
        jobs = {
            "news": (self.run_news, self.settings.news_tick),
            "quotes": (self.run_quotes, self.settings.quotes_every),
        }
        for job_id, (func, every) in jobs.items():
            if job_id == "news" and not self.settings.feeds:
                continue
            if job_id == "quotes" and self._replay:
                continue
            # next_run_time=None would add the job *paused* (APScheduler 3): after a
            # config reload nothing would ever poll again.  Omit it to keep the schedule.
            start = {"next_run_time": now} if first else {}
            self.scheduler.add_job(
                func,
                "interval",
                seconds=every,
                jitter=min(5.0, every * 0.1),
                id=job_id,
                replace_existing=True,
                **start,
            )

    async def _watch_clock(self, jumps: ClockJumps) -> None:
        while True:
            await asyncio.sleep(self.jump_check_every)  # the loop's clock is monotonic
            if step := jumps.check():
                self.clock_jumped(step)

    def clock_jumped(self, step: float) -> None:
        """Re-arm the jobs after the wall clock stepped by ``step`` seconds."""
        if self.scheduler is None:
            return
        amount = timedelta(seconds=round(abs(step)))
        if step < 0:
            log.warning("the wall clock went back %s: polls keep their pace", amount)
        else:
            log.warning(
                "the wall clock went ahead %s (set forward, or the machine slept): "
                "one catch-up poll",
                amount,
            )
        now = datetime.fromtimestamp(self.wall(), UTC)
        for job in self.scheduler.get_jobs():
            if job.next_run_time is None:  # a paused job stays paused
                continue
            if step < 0:  # the same moment on the monotonic clock as before the step
                job.modify(next_run_time=job.next_run_time + timedelta(seconds=step))
            elif job.next_run_time < now:  # overdue: once, now (not "missed" after 24 h)
                job.modify(next_run_time=now)

    async def run_news(self) -> None:
        """The news job: one poll of the due feeds, unless paused."""
        if not self.paused:
            await self.guarded("news", self._poll_news())

    async def run_quotes(self) -> None:
        """The quotes job: one poll of the watchlist, unless paused."""
        if not self.paused:
            await self.guarded("quotes", self._poll_quotes())

    async def guarded(self, what: str, poll: Awaitable[Any]) -> None:
        """Run a poll; an exception becomes visible state, never a dead scheduler."""
        try:
            await poll
        except Exception as exc:  # noqa: BLE001 — shown to the user, then polling goes on
            log.exception("%s poll failed", what)
            self._emit(NoticeEvent(f"{what} poll failed: {type(exc).__name__}: {exc}", "error"))
