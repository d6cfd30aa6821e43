"""The engine's core: it composes the parts, owns their lifecycle and is the one object
the CLI and the UI talk to.

It imports no UI toolkit.  Consumers subscribe to typed events (`monitor.events`),
delivered on the engine's own asyncio loop.  Everything that depends on "now" reads
``self.clock``: the wall clock live, the recording's own time when the quote source is
a recorded CSV (demo, replay, tests).

The parts each get what they need when built here (an emit callable, the store worker,
the clock, the settings) and never import this module.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TypedDict

from monitor.clock import Clock, WallClock
from monitor.config import ConfigError, LoadedConfig, Settings, load_config_file
from monitor.engine import build, live_stream
from monitor.engine.alerting import Alerting
from monitor.engine.build import EngineSettings
from monitor.engine.config_edit import ConfigEditor
from monitor.engine.news_poller import NewsPoller
from monitor.engine.quote_book import QuoteBook
from monitor.engine.reads import StoreReads
from monitor.engine.related import RelatedStories
from monitor.engine.replay import Replay
from monitor.engine.schedule import Schedule
from monitor.engine.sources import Emit, SourceBoard, store_notices
from monitor.events import Event, NoticeEvent
from monitor.model import DailyBar, Headline, Quote, QuoteBatch, RuleState, SourceStatus
from monitor.news.fetch import FeedFetcher
from monitor.quotes.base import QuoteSource
from monitor.quotes.recorded import RecordedQuotes
from monitor.rules import Snapshot
from monitor.store import Store, StoreWorker
from monitor.trust import Origin

log = logging.getLogger(__name__)


class _Common(TypedDict):
    """What every part is built with."""

    clock: Clock
    store: StoreWorker
    emit: Emit


class Engine(StoreReads):
    """Polls, stores, evaluates and notifies; see the module docstring."""

    # the parts (built by ``_build_parts``)
    alerting: Alerting
    quote_book: QuoteBook
    news: NewsPoller
    related: RelatedStories
    schedule: Schedule
    replay: Replay

    def __init__(
        self,
        loaded: LoadedConfig,
        *,
        clock: Clock | None = None,
        quote_source: QuoteSource | None = None,
        recorded_feeds: Sequence[Path] = (),
        database: Path | None = None,
        notify: bool = True,
        fetcher: FeedFetcher | None = None,
        history_file: Path | None = None,
        stream_url: str | None = None,
    ) -> None:
        self.loaded = loaded
        self.settings = EngineSettings.from_config(loaded.config, Origin.of(loaded))
        stream_url = build.stream_url(self.settings, stream_url, own_source=quote_source is None)
        quote_source, self.clock = build.source_and_clock(
            self.settings, quote_source, clock, history_file
        )
        self.is_replay = isinstance(quote_source, RecordedQuotes)
        self.database = database or self.settings.database
        self.store = StoreWorker(
            lambda: _open_store(self.database),
            store_notices(self._emit),
            on_notice=lambda text: self._emit(NoticeEvent(text, "warning")),
        )
        self._subscribers: list[Callable[[Event], None]] = []
        self._background: set[asyncio.Task[Any]] = set()
        self._opened = False
        self.board = SourceBoard(self._emit)
        _build_parts(self, quote_source, fetcher, recorded_feeds, notify, history_file)
        self.live = live_stream.attach(self.quote_book, stream_url, spawn=self._spawn)
        self._apply_config(loaded, self.settings)
        self.editor = ConfigEditor(lambda: (self.loaded.path, self.loaded.source))

    # ---- configuration -------------------------------------------------------------

    def _apply_config(self, loaded: LoadedConfig, settings: EngineSettings) -> None:
        self.loaded, self.settings = loaded, settings
        self.config_path, self.config_source = loaded.path, loaded.source
        self.groups, self.symbols = settings.groups, settings.symbols
        for part in (self.quote_book, self.schedule, self.replay):
            part.settings = settings
        self.news.configure(settings)
        self.alerting.configure(settings)
        self.related.settings = settings
        for feed in settings.feeds:
            self.board.expect(feed.name, feed.name, "feed")
        if not settings.feeds and not self.news.recorded_feeds:
            self.board.drop_feeds()
        self.board.expect("quotes", self.quote_book.source.name, "quotes")

    async def reload_config(self) -> str | None:
        """Re-read the config file; on error keep the running config and return the text."""
        try:
            loaded = await asyncio.to_thread(load_config_file, self.loaded.path, self.loaded.source)
        except ConfigError as exc:
            return str(exc)
        self._apply_config(loaded, EngineSettings.from_config(loaded.config, Origin.of(loaded)))
        self.alerting.check_trust()  # an edit from outside asks again, saying why
        self.schedule.reschedule()
        # the rebuilt rules know their state but not their values: evaluate them on the
        # quotes and headlines at hand, so the screen shows true values at once
        await self.alerting.evaluate()
        return None

    @property
    def quote_source_name(self) -> str:
        return self.quote_book.source.name

    # ---- events --------------------------------------------------------------------

    def subscribe(self, callback: Callable[[Event], None]) -> None:
        self._subscribers.append(callback)

    def _emit(self, event: Event) -> None:
        for callback in list(self._subscribers):
            try:
                callback(event)
            except Exception:  # a broken consumer must not stop polling
                log.exception("event subscriber failed")

    async def _evaluate(self) -> None:
        """Every rule once on the current data; then the stories related to a live
        news burst, which time alone may change."""
        await self.alerting.evaluate()
        self.related.refresh()

    def _snapshot(self) -> Snapshot:
        book = self.quote_book
        return Snapshot(
            now=self.clock.now(),
            quotes=book.latest,
            previous=book.previous,
            history=book.history,
            headlines=self.news.rule_headlines(),
            quotes_every=self.settings.quotes_every,
            allow_stale=False,
            zones=self.settings.zones,
        )

    # ---- lifecycle -----------------------------------------------------------------

    async def open(self) -> None:
        """Open the store and load what it had: feed state, quotes, headlines, rules."""
        await self.store.open()
        self._opened = True
        await self.news.open()
        await self.related.open()
        self.quote_book.latest.update(await self.store.read(lambda s: s.latest_quotes()))
        rule_state = await self.store.read(lambda s: s.get_rule_state())
        if rule_state:
            self.alerting.restore(rule_state)

    async def start(self) -> None:
        """Start polling on the running loop; returns quickly."""
        if not self._opened:
            await self.open()
        self._spawn(self.alerting.check_desktop())
        self.alerting.check_trust()
        self._spawn(self.quote_book.load_history())
        if self.live is not None:
            self.live.start()
        if self.is_replay:
            self.replay.start()
        if not self.is_replay or self.settings.feeds:
            self.schedule.start()

    async def stop(self) -> None:
        self.schedule.stop()
        await self.alerting.flush()  # every alert handed on is stored and announced
        await _cancel([self.replay.task, *self._background])
        await self.alerting.flush()  # one a batch cut short handed on meanwhile
        await _cancel(list(self._background))
        await self.news.fetcher.aclose()
        await self.quote_book.close()
        await self.store.close()

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    @property
    def background(self) -> frozenset[asyncio.Task[Any]]:
        """Tasks running beside the polls (notifications, history, the desktop check)."""
        return frozenset(self._background)

    # ---- polling and replay --------------------------------------------------------

    async def poll_news(self, *, force: bool = False) -> list[Headline]:
        """Fetch every due feed once (every feed if ``force``); the new headlines.  It
        returns once the alerts they fired are stored and announced."""
        headlines = await self.news.poll(force=force)
        await self.alerting.flush()
        return headlines

    async def poll_quotes(self) -> dict[str, Quote]:
        """One quote poll of the whole watchlist (live sources); it returns once the
        alerts it fired are stored and announced."""
        quotes = await self.quote_book.poll()
        await self.alerting.flush()
        return quotes

    async def process_batch(self, batch: QuoteBatch, *, evaluate: bool = True) -> None:
        """Merge one batch, emit it and evaluate every rule once on it; its writes (quote
        snapshot, alerts, rule state) are handed to the store thread, not waited for:
        alerts are announced when stored (``written`` waits for that)."""
        await self.quote_book.process_batch(batch, evaluate=evaluate)

    async def written(self) -> None:
        """Wait until the alerts and rule state handed to the store are stored and the
        alerts announced."""
        await self.alerting.flush()

    async def refresh_now(self) -> None:
        """One poll of everything now; a poll already running is not started twice."""
        await asyncio.gather(
            self.schedule.guarded("news", self.poll_news(force=True)),
            self.schedule.guarded("quotes", self.poll_quotes()),
        )

    @property
    def paused(self) -> bool:
        return self.schedule.paused

    def pause(self) -> None:
        self.schedule.paused = True

    def resume(self) -> None:
        self.schedule.paused = False

    async def load_history(self) -> None:
        """Daily history for the rules' context (``start`` loads it in the background)."""
        await self.quote_book.load_history()

    async def run_replay(self) -> None:
        """Replay the whole recording as fast as the machine allows (`monitor replay`)."""
        await self.replay.play(realtime=False)

    async def show_recorded_at(self, at: datetime | None = None) -> None:
        """A recording's quotes as they stood at ``at`` (None: its end), rules unevaluated."""
        await self.replay.show_at(at)

    async def restart_replay(self) -> None:
        if self.is_replay:
            self.related.clear()
            await self.replay.restart()

    # ---- state for consumers -------------------------------------------------------

    @property
    def app_settings(self) -> Settings:
        """The config's [settings] table (theme, keys) for the app."""
        return self.loaded.config.settings

    @property
    def desktop_status(self) -> tuple[bool | None, str]:
        return self.alerting.desktop_status

    def quotes(self) -> dict[str, Quote]:
        return dict(self.quote_book.latest)

    def limit_streak(self, symbol: str) -> int | None:
        """Consecutive limit-up sessions of an A-share, counting today (None: unknown)."""
        return self.quote_book.limit_streak(symbol)

    async def daily_history(self, symbol: str) -> list[DailyBar]:
        return await self.quote_book.daily_history(symbol)

    def sources(self) -> list[SourceStatus]:
        return self.board.all()

    def rule_states(self) -> list[RuleState]:
        return self.alerting.states()

    async def current_headlines(self, matched_only: bool = True) -> list[Headline]:
        """The stories of every entry the last news poll saw (new or not), newest first."""
        return await self.news.current_headlines(matched_only)

    async def shown_headlines(self, *, show_all: bool = False) -> list[Headline]:
        """What `monitor once` prints, as the Headlines pane shows it: the last poll's
        topic matches and related stories, marked (``show_all``: all it saw)."""
        if show_all:
            return self.related.shown(await self.news.current_headlines(False), True)
        # only the matches and the related stories are read (not all the poll saw)
        related = {h.story for h in self.related.current()}
        return self.related.shown(await self.news.current_headlines(True, also=related))

    def related_headlines(self) -> list[Headline]:
        """The stories related to a live news burst now, newest first (marked)."""
        return self.related.current()

    async def ack(self, alert_id: int) -> None:
        await self.alerting.ack(alert_id)

    async def snooze(self, rule: str, seconds: float) -> None:
        await self.alerting.snooze(rule, seconds)

    async def mute(self, rule: str, muted: bool) -> None:
        await self.alerting.mute(rule, muted)


def _build_parts(
    self: Engine,
    source: QuoteSource,
    fetcher: FeedFetcher | None,
    recorded_feeds: Sequence[Path],
    notify: bool,
    history_file: Path | None,
) -> None:
    """Build the engine's parts, each handed what it needs; none knows the others."""
    s = self.settings
    common = _Common(clock=self.clock, store=self.store, emit=self._emit)
    fetcher = fetcher or FeedFetcher(
        max_bytes=s.max_feed_bytes,
        deadline=s.feed_timeout,
        allow_private_redirects=s.allow_private_redirects,
    )
    self.alerting = Alerting(s, spawn=self._spawn, snapshot=self._snapshot, notify=notify, **common)
    self.quote_book = QuoteBook(
        s, source=source, board=self.board, on_batch=self._evaluate, spawn=self._spawn, **common
    )
    self.news = NewsPoller(
        s,
        fetcher=fetcher,
        yahoo=build.make_yahoo_news(s),
        board=self.board,
        on_news=self._evaluate,
        recorded_feeds=recorded_feeds,
        live_clock=WallClock() if self.is_replay else self.clock,  # never a replay's
        **common,
    )
    self.related = RelatedStories(s, matches=self.news.rule_headlines, **common)
    self.news.mark = self.related.note
    self.schedule = Schedule(
        s,
        poll_news=self.poll_news,
        poll_quotes=self.poll_quotes,
        emit=self._emit,
        replay=self.is_replay,
    )
    self.replay = Replay(
        s,
        clock=self.clock,
        book=self.quote_book,
        news=self.news,
        alerting=self.alerting,
        emit=self._emit,
        paused=lambda: self.schedule.paused,
        history_file=history_file,
    )


async def _cancel(tasks: Sequence[asyncio.Task[Any] | None]) -> None:
    running = [t for t in tasks if t is not None]
    for task in running:
        task.cancel()
    await asyncio.gather(*running, return_exceptions=True)


def _open_store(path: Path) -> Store:
    store = Store(path)
    try:
        store.acquire_lock()
    except BaseException:
        store.close()
        raise
    return store
