"""The schedule: two interval jobs (news, quotes) on APScheduler's asyncio scheduler.

A poll still running is never started again, a laptop waking from sleep gets one
catch-up run rather than a burst, and a job that raises becomes a notice, never a dead
scheduler.  Pausing skips the jobs; the polls themselves stay callable.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from monitor.engine.build import EngineSettings
from monitor.engine.sources import Emit
from monitor.events import NoticeEvent

if TYPE_CHECKING:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

log = logging.getLogger(__name__)

Poll = Callable[[], Awaitable[Any]]


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

    def stop(self) -> None:
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
        now = datetime.now(UTC)
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
