"""The engine: owns the scheduler, polls feeds and quotes, evaluates rules, notifies.

It imports no UI toolkit.  Consumers (the headless CLI, the Textual app) subscribe to
typed events from `monitor.model`, delivered on the engine's own asyncio loop.
Everything that depends on "now" reads ``self.clock``: the wall clock live, the
recording's own time when the quote source is a recorded CSV (demo, replay, tests).
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import logging
import random
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from monitor.clock import Clock, ManualClock, WallClock
from monitor.config import Config, LoadedConfig, Settings, load_config_file
from monitor.model import (
    Alert,
    AlertEvent,
    DailyBar,
    Event,
    Headline,
    HeadlinesEvent,
    NoticeEvent,
    Quote,
    QuoteBatch,
    QuotesEvent,
    ReplayEndedEvent,
    RulesEvent,
    RuleState,
    SourceEvent,
    SourceStatus,
    Status,
)
from monitor.news.fetch import FeedFetcher, FeedState, FetchResult, next_state
from monitor.news.ingest import Ingest
from monitor.news.parse import parse_feed
from monitor.quotes.base import QuoteSource
from monitor.rules import RuleRunner, Snapshot
from monitor.sessions import is_stale
from monitor.settings_view import SettingsView
from monitor.store import Store, StoreWorker

log = logging.getLogger(__name__)

#: a headline first seen now but published longer ago than this is not "breaking"
BREAKING_GRACE = timedelta(hours=2)
#: daily history kept for alert context ("largest one-day drop since 2020-03-18")
HISTORY_DAYS = 3650
#: days of quote snapshots kept for sparklines and charts
QUOTE_DAYS = 3
#: how long matching headlines stay in memory for news rules and alert context
NEWS_MEMORY = timedelta(hours=24)


class Engine:
    """Polls, stores, evaluates and notifies; see the module docstring."""

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
    ) -> None:
        self.loaded = loaded
        self.view = SettingsView(loaded.config)
        self.notify_enabled = notify
        self._recorded_feeds = list(recorded_feeds)
        self._history_file = history_file
        if quote_source is None:
            recorded = self.view.recorded_path(loaded.path) is not None
            source_clock = clock or (None if recorded else WallClock())
            quote_source = self.view.make_quote_source(loaded.path, history_file, source_clock)
        self.quote_source = quote_source
        self.is_replay = self.view.is_recorded(quote_source)
        if clock is None:
            clock = self.view.replay_clock(quote_source) if self.is_replay else WallClock()
        self.clock: Clock = clock
        self.database = database or self.view.database(loaded.path)
        self.fetcher = fetcher or FeedFetcher(
            max_bytes=self.view.max_feed_bytes,
            deadline=self.view.feed_timeout,
            allow_private_redirects=self.view.allow_private_redirects,
        )
        self.store = StoreWorker(lambda: _open_store(self.database), self._store_problem)
        self.paused = False
        self.desktop_status: tuple[bool | None, str] = (None, "desktop notifications: not checked")
        self._subscribers: list[Callable[[Event], None]] = []
        self._quotes: dict[str, Quote] = {}
        self._previous: dict[str, Quote] = {}
        self._history: dict[str, list[DailyBar]] = {}
        self._news: list[Headline] = []  # matching headlines, newest first
        self._feed_states: dict[str, FeedState] = {}
        self._feed_last_poll: dict[str, datetime] = {}
        self._sources: dict[str, SourceStatus] = {}
        self._news_lock = asyncio.Lock()
        self._quotes_lock = asyncio.Lock()
        self._scheduler: Any = None
        self._replay_task: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[Any]] = set()
        self._released: set[tuple[str, str]] = set()
        self._recorded_entries: list[Any] | None = None
        self._dispatcher: Any = None
        self._rng = random.Random()
        self._noticed: set[str] = set()
        self._saved_rule_state: dict[str, Any] | None = None
        self._pruned_at: datetime | None = None
        self._suspect: dict[str, str | None] = {}  # symbol -> reason already logged
        self._polled_stories: list[str] = []
        self._polled_unchanged = set()
        # feed name -> (digest of its last body, that body's parse warning)
        self._last_bodies: dict[str, tuple[bytes | None, str | None]] = {}
        self._apply_config(loaded.config)

    # ---- configuration -------------------------------------------------------------

    def _apply_config(self, config: Config) -> None:
        self.config = config
        self.view = SettingsView(config)
        self.groups = self.view.groups
        self.symbols = self.view.symbols
        self.news_query = self.view.news_query
        self.ingest = Ingest.build(
            self.view.news_query, self.view.feed_queries, self.view.aliases, self.symbols
        )
        old_state = self.runner.to_state() if hasattr(self, "runner") else None
        self.runner = RuleRunner(self.view.rule_specs(), state=old_state)
        for feed in self.view.feeds:
            self._sources.setdefault(feed.name, SourceStatus(feed.name, "feed", Status.PENDING))
        if not self.view.feeds and not self._recorded_feeds:
            self._sources = {k: v for k, v in self._sources.items() if v.kind != "feed"}
        self._sources.setdefault(
            "quotes", SourceStatus(self.quote_source.name, "quotes", Status.PENDING)
        )

    async def reload_config(self) -> str | None:
        """Re-read the config file; on error keep the running config and return the text."""
        from monitor.config import ConfigError

        try:
            loaded = await asyncio.to_thread(load_config_file, self.loaded.path, self.loaded.source)
        except ConfigError as exc:
            return str(exc)
        self.loaded = loaded
        self._apply_config(loaded.config)
        self._reschedule()
        # the rebuilt rules know their state but not their values: evaluate them on the
        # quotes and headlines at hand, so the screen shows true values at once
        await self._evaluate_rules()
        return None

    @property
    def config_path(self) -> Path:
        return self.loaded.path

    @property
    def config_source(self) -> str:
        return self.loaded.source

    @property
    def app_settings(self) -> Settings:
        """The config's [settings] table (theme, keys) for the app."""
        return self.loaded.config.settings

    # ---- events --------------------------------------------------------------------

    def subscribe(self, callback: Callable[[Event], None]) -> None:
        self._subscribers.append(callback)

    def _emit(self, event: Event) -> None:
        for callback in list(self._subscribers):
            try:
                callback(event)
            except Exception:  # a broken consumer must not stop polling
                log.exception("event subscriber failed")

    def _set_source(self, status: SourceStatus) -> None:
        key = "quotes" if status.kind == "quotes" else status.name  # one quote source
        old = self._sources.get(key)
        self._sources[key] = status
        if old is None or (old.status, old.error, old.next_try, old.detail) != (
            status.status,
            status.error,
            status.next_try,
            status.detail,
        ):
            self._emit(SourceEvent(status))

    # ---- lifecycle -----------------------------------------------------------------

    async def open(self) -> None:
        """Open the store and load what it had: feed state, quotes, headlines, rules."""
        await self.store.open()
        states = await self.store.read(lambda s: s.get_feed_states())
        for name, raw in states.items():
            self._feed_states[name] = FeedState.from_json(raw)
        self._quotes.update(await self.store.read(lambda s: s.latest_quotes()))
        since = self.clock.now() - NEWS_MEMORY
        self._news = await self.store.read(
            lambda s: s.recent_headlines(limit=2000, matched_only=True, since=since)
        )
        rule_state = await self.store.read(lambda s: s.get_rule_state())
        if rule_state:
            self.runner = RuleRunner(self.view.rule_specs(), state=rule_state)
        for feed in self.view.feeds:
            st = self._feed_states.get(feed.name)
            if st is not None and st.status != Status.PENDING:
                self._set_source(_feed_source_status(feed.name, st))

    async def start(self) -> None:
        """Start polling on the running loop; returns quickly."""
        if self.store._store is None:
            await self.open()
        self._spawn(self._check_desktop())
        self._spawn(self._load_history())
        if self.is_replay:
            self._replay_task = asyncio.create_task(self._replay_loop(realtime=True))
        if not self.is_replay or self.view.feeds:
            self._start_scheduler()

    async def stop(self) -> None:
        if self._scheduler is not None:
            try:
                self._scheduler.shutdown(wait=False)
            except Exception:  # already stopped with the loop
                pass
            self._scheduler = None
        tasks = [t for t in [self._replay_task, *self._background] if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.fetcher.aclose()
        await self.quote_source.aclose()
        await self.store.close()

    def _spawn(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    def _start_scheduler(self) -> None:
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        self._scheduler = AsyncIOScheduler(
            job_defaults={
                "coalesce": True,  # after a sleep: one catch-up run, not a burst
                "max_instances": 1,  # a poll still running is never started again
                "misfire_grace_time": 24 * 3600,  # survive a laptop suspend
            }
        )
        self._scheduler.start()
        self._reschedule(first=True)

    def _reschedule(self, first: bool = False) -> None:
        if self._scheduler is None:
            return
        now = datetime.now(UTC)
        jobs = {
            "news": (self._job_news, self.view.news_tick),
            "quotes": (self._job_quotes, self.view.quotes_every),
        }
        for job_id, (func, every) in jobs.items():
            if job_id == "news" and not self.view.feeds:
                continue
            if job_id == "quotes" and self.is_replay:
                continue  # the replay loop delivers recorded quotes
            # next_run_time=None would add the job *paused* (APScheduler 3): after a
            # config reload nothing would ever poll again.  Omit it to keep the schedule.
            start = {"next_run_time": now} if first else {}
            self._scheduler.add_job(
                func,
                "interval",
                seconds=every,
                jitter=min(5.0, every * 0.1),
                id=job_id,
                replace_existing=True,
                **start,
            )

    # ---- jobs ----------------------------------------------------------------------

    async def _job_news(self) -> None:
        if self.paused:
            return
        await self._guarded("news", self.poll_news())

    async def _job_quotes(self) -> None:
        if self.paused:
            return
        await self._guarded("quotes", self.poll_quotes())

    async def _guarded(self, what: str, coro: Any) -> None:
        """Run a poll; an exception becomes visible state, never a dead scheduler."""
        try:
            await coro
        except Exception as exc:  # noqa: BLE001 — shown to the user, then polling goes on
            log.exception("%s poll failed", what)
            self._emit(NoticeEvent(f"{what} poll failed: {type(exc).__name__}: {exc}", "error"))

    async def refresh_now(self) -> None:
        """One poll of everything now; a poll already running is not started twice."""
        await asyncio.gather(
            self._guarded("news", self.poll_news(force=True)),
            self._guarded("quotes", self.poll_quotes()),
        )

    def pause(self) -> None:
        self.paused = True

    def resume(self) -> None:
        self.paused = False

    # ---- news ----------------------------------------------------------------------

    async def poll_news(self, *, force: bool = False) -> list[Headline]:
        """Fetch every due feed once; store, emit and return new/updated headlines."""
        if self._news_lock.locked():  # one fetch at a time: wait for the running one
            async with self._news_lock:
                return []
        async with self._news_lock:
            now = self.clock.now()
            due = [f for f in self.view.feeds if force or self._feed_due(f, now)]
            if not due:
                return []
            pairs = [(f.name, self._feed_state(f)) for f in due]
            self._polled_stories = []
            self._polled_unchanged: set[str] = set()
            results = await self.fetcher.fetch_all(pairs)
            headlines: list[Headline] = []
            for feed, result in zip(due, results, strict=True):
                headlines += await self._ingest_result(feed.name, result)
            await self._after_news(headlines)
            return headlines

    def _feed_due(self, feed: Any, now: datetime) -> bool:
        state = self._feed_states.get(feed.name)
        if state is not None and (state.gone or (state.next_try and now < state.next_try)):
            return False
        last = self._feed_last_poll.get(feed.name)
        every = feed.every or self.view.news_every
        return last is None or (now - last).total_seconds() >= every * 0.95

    def _feed_state(self, feed: Any) -> FeedState:
        state = self._feed_states.get(feed.name)
        if state is None or state.moved_from is None and state.url != feed.url:
            state = (
                FeedState(url=feed.url)
                if state is None
                else dataclasses.replace(state, url=feed.url, etag=None, last_modified=None)
            )
        return state

    async def _ingest_result(self, name: str, result: FetchResult) -> list[Headline]:
        now = self.clock.now()
        old = self._feed_state_for(name, result.url)
        state = next_state(old, result, now, rng=self._rng)
        self._feed_last_poll[name] = now
        headlines: list[Headline] = []
        warning = None
        if result.status == Status.NOT_MODIFIED:
            self._polled_unchanged.add(name)
        digest = _body_digest(result.body)
        last_body = self._last_bodies.get(name)
        if digest is not None and last_body is not None and last_body[0] == digest:
            # The very bytes of the last poll (a server without ETag/Last-Modified):
            # nothing new, so skip parse, match and dedup, as for a 304.
            self._polled_unchanged.add(name)
            warning = last_body[1]
        elif result.body is not None:
            parsed, items = await asyncio.to_thread(self._parse_and_match, name, result, now)
            warning = parsed.warning
            self._last_bodies[name] = (digest, warning)
            if items:
                stored = await self.store.write(lambda s: s.add_entries(items, now=now))
                if stored is not None:
                    headlines = stored.headlines
                    self._polled_stories += stored.story_ids
            elif parsed.bozo and not parsed.entries:
                # A broken, empty answer: the feed's last stories are still its stories.
                self._polled_unchanged.add(name)
        self._feed_states[name] = state
        raw = state.to_json()
        await self.store.write(lambda s: s.put_feed_state(name, raw))
        self._set_source(_feed_source_status(name, state, warning))
        return headlines

    def _parse_and_match(self, name: str, result: FetchResult, now: datetime) -> tuple[Any, Any]:
        """Parse one body and match its entries (one worker-thread hop, not two)."""
        parsed = parse_feed(
            result.body or b"",
            feed_name=name,
            now=now,
            base_url=result.url,
            content_type=result.content_type,
        )
        return parsed, self.ingest.process(parsed.entries) if parsed.entries else []

    def _feed_state_for(self, name: str, url: str) -> FeedState:
        state = self._feed_states.get(name)
        return state if state is not None else FeedState(url=url)

    async def _after_news(self, headlines: list[Headline]) -> None:
        if not headlines:
            return
        self._emit(HeadlinesEvent(tuple(headlines)))
        matching = [h for h in headlines if h.matched]
        if matching:
            self._remember_news(matching)
            await self._evaluate_rules()

    def _remember_news(self, headlines: Sequence[Headline]) -> None:
        by_story = {h.story: h for h in self._news}
        for h in headlines:
            old = by_story.get(h.story)
            # an extra outlet of a known story keeps the story's first sighting
            if old is not None:
                h = dataclasses.replace(h, first_seen=old.first_seen)
            by_story[h.story] = h
        cutoff = self.clock.now() - NEWS_MEMORY
        self._news = sorted(
            (h for h in by_story.values() if h.first_seen >= cutoff),
            key=lambda h: h.first_seen,
            reverse=True,
        )

    def _rule_headlines(self) -> list[Headline]:
        """Headlines as news rules see them: an old story found late is not breaking."""
        out = []
        for h in self._news:
            if h.published < h.first_seen - BREAKING_GRACE:
                h = dataclasses.replace(h, first_seen=h.published)
            out.append(h)
        return out

    async def _release_recorded_news(self) -> None:
        """Replay: entries of recorded feed files appear when the clock reaches them."""
        if not self._recorded_feeds:
            return
        now = self.clock.now()
        if self._recorded_entries is None:
            self._recorded_entries = await asyncio.to_thread(self._load_recorded_feeds)
        due = [
            e
            for e in self._recorded_entries
            if e.published <= now and (e.feed, e.guid or e.title) not in self._released
        ]
        if not due:
            return
        for e in due:
            self._released.add((e.feed, e.guid or e.title))
        items = self.ingest.process(due)
        stored = await self.store.write(lambda s: s.add_entries(items, now=now))
        await self._after_news(stored.headlines if stored is not None else [])

    def _load_recorded_feeds(self) -> list[Any]:
        far = datetime(2100, 1, 1, tzinfo=UTC)
        entries = []
        for path in self._recorded_feeds:
            parsed = parse_feed(path.read_bytes(), feed_name=path.stem, now=far)
            entries += [e for e in parsed.entries if e.date_known]
            self._set_source(
                SourceStatus(path.stem, "feed", Status.OK, detail=f"recorded: {path.name}")
            )
        return sorted(entries, key=lambda e: e.published)

    # ---- quotes --------------------------------------------------------------------

    async def poll_quotes(self) -> dict[str, Quote]:
        """One quote poll of the whole watchlist (live sources)."""
        if self._quotes_lock.locked():
            async with self._quotes_lock:
                return dict(self._quotes)
        async with self._quotes_lock:
            batch = await self.quote_source.fetch(self.symbols)
            await self.process_batch(batch)
            return dict(self._quotes)

    async def process_batch(self, batch: QuoteBatch, *, evaluate: bool = True) -> None:
        """Merge one batch, store it, emit it and evaluate every rule once on it."""
        now = self.clock.now()
        merged = {
            sym: self._merge(self._quotes.get(sym), q, now) for sym, q in batch.quotes.items()
        }
        self._previous = dict(self._quotes)
        self._quotes.update(merged)
        self._log_suspect(merged)
        aged = self._age_quotes(now, skip=merged)
        self._emit(QuotesEvent(QuoteBatch(batch.time, {**aged, **merged})))
        self._set_source(self._quote_source_status(merged, now))
        if evaluate:  # first: an alert waits for no write but its own
            await self._evaluate_rules()
        fresh = QuoteBatch(batch.time, {s: q for s, q in merged.items() if q.usable})
        if fresh.quotes:
            await self.store.write(lambda s: s.add_quotes(fresh))
        await self._prune(now)

    async def _prune(self, now: datetime) -> None:
        """Hourly, drop quote snapshots older than QUOTE_DAYS: the database of a monitor
        left running for months stays small (the latest quote of each symbol stays)."""
        if self._pruned_at is not None and now - self._pruned_at < timedelta(hours=1):
            return
        self._pruned_at = now
        cutoff = now - timedelta(days=QUOTE_DAYS)
        await self.store.write(lambda s: s.prune_quotes(cutoff))

    def _age_quotes(self, now: datetime, *, skip: dict[str, Quote]) -> dict[str, Quote]:
        """Quotes this batch did not refresh that have gone stale meanwhile."""
        aged = {}
        for symbol, quote in self._quotes.items():
            if symbol in skip or quote.status != Status.OK:
                continue
            if is_stale(quote, now, self.view.quotes_every):
                aged[symbol] = dataclasses.replace(quote, status=Status.STALE)
        self._quotes.update(aged)
        return aged

    def _merge(self, old: Quote | None, new: Quote, now: datetime) -> Quote:
        """Keep the last good values (with their age) when a symbol's poll failed."""
        if new.price is None and old is not None and old.price is not None:
            return dataclasses.replace(old, status=new.status, error=new.error)
        if new.status == Status.OK and is_stale(new, now, self.view.quotes_every):
            return dataclasses.replace(new, status=Status.STALE)
        return new

    def _log_suspect(self, quotes: dict[str, Quote]) -> None:
        """Log suspect data once per symbol and reason, not on every poll."""
        for symbol, quote in quotes.items():
            if quote.status != Status.SUSPECT:
                self._suspect.pop(symbol, None)
            elif self._suspect.get(symbol, "") != quote.error:
                self._suspect[symbol] = quote.error
                log.warning(
                    "%s: data suspect (%s); rules wait for good data",
                    symbol,
                    quote.error or "flagged by the source",
                )

    def _quote_source_status(self, quotes: dict[str, Quote], now: datetime) -> SourceStatus:
        base = self.quote_source.source_status()
        bad = {q.status for q in quotes.values()} & {
            Status.RATE_LIMITED,
            Status.UNREACHABLE,
            Status.BACKOFF,
        }
        if base.status == Status.OK and bad:
            base = dataclasses.replace(base, status=sorted(bad)[0])
        missing = [s for s, q in quotes.items() if q.status == Status.UNKNOWN_SYMBOL]
        detail = f"unknown: {', '.join(missing)}" if missing else base.detail
        return dataclasses.replace(
            base, name=self.quote_source.name, kind="quotes", last_poll=now, detail=detail
        )

    async def _load_history(self) -> None:
        """Daily history for rules that need it (volume_x, 'largest since', streaks)."""
        for symbol in self.view.history_symbols():
            try:
                bars = await self.quote_source.history(symbol, days=HISTORY_DAYS)
            except Exception:  # noqa: BLE001 — history only adds context
                log.exception("history for %s failed", symbol)
                continue
            if bars:
                self._history[symbol] = list(bars)

    def limit_streak(self, symbol: str) -> int | None:
        """Consecutive limit-up sessions of an A-share, counting today (None: unknown)."""
        from monitor.price_limits import board_limit, limit_up_streak

        quote = self._quotes.get(symbol)
        bars = self._history.get(symbol)
        if not bars or board_limit(symbol) is None:
            return None
        name = quote.name if quote else None
        return limit_up_streak(bars, symbol, name, today=quote if quote and quote.usable else None)

    async def daily_history(self, symbol: str) -> list[DailyBar]:
        if symbol not in self._history:
            self._history[symbol] = list(await self.quote_source.history(symbol))
        return self._history[symbol]

    # ---- replay --------------------------------------------------------------------

    async def _replay_loop(self, *, realtime: bool) -> None:
        source: Any = self.quote_source
        clock = self.clock
        for batch in source.history_batches():
            await self.process_batch(batch, evaluate=False)
        prev: datetime | None = None
        while True:
            while self.paused:
                await asyncio.sleep(0.2)
            batch = source.next_batch()
            if batch is None:
                break
            if realtime and prev is not None:
                delay = self.view.playback_delay(prev, batch.time, self.symbols)
                if delay > 0:
                    await asyncio.sleep(delay)
            if isinstance(clock, ManualClock):
                clock.set(batch.time)
            prev = batch.time
            await self._release_recorded_news()
            await self.process_batch(batch)
            if not realtime:
                await asyncio.sleep(0)
        self._emit(ReplayEndedEvent(clock.now()))

    async def run_replay(self) -> None:
        """Replay the whole recording as fast as the machine allows (`monitor replay`)."""
        await self._replay_loop(realtime=False)

    async def restart_replay(self) -> None:
        if not self.is_replay:
            return
        if self._replay_task is not None:
            self._replay_task.cancel()
        self.quote_source = self.view.make_quote_source(
            self.loaded.path, self._history_file, self.clock
        )
        if isinstance(self.clock, ManualClock):
            self.clock.set(self.settings_start() or self.quote_source.first_time)
        self._quotes.clear()
        self._previous.clear()
        self._news.clear()
        self._released.clear()
        self.runner = RuleRunner(self.view.rule_specs())
        self._replay_task = asyncio.create_task(self._replay_loop(realtime=True))

    def settings_start(self) -> datetime | None:
        return self.view.settings.replay.start

    # ---- rules and notifications ---------------------------------------------------

    async def _evaluate_rules(self) -> None:
        snap = Snapshot(
            now=self.clock.now(),
            quotes=self._quotes,
            previous=self._previous,
            history=self._history,
            headlines=self._rule_headlines(),
            quotes_every=self.view.quotes_every,
            allow_stale=False,
        )
        alerts = self.runner.evaluate(snap)
        state = self.runner.to_state()
        if alerts:
            stored = await self.store.write(lambda s: s.add_alerts_and_rule_state(alerts, state))
            alerts = list(stored) if stored else alerts
            for alert in alerts:
                self._emit(AlertEvent(alert))
            if self.notify_enabled:
                self._spawn(self._dispatch(alerts))
        elif state != self._saved_rule_state:  # most batches change no rule's state
            await self.store.write(lambda s: s.put_rule_state(state))
        self._saved_rule_state = state
        self._emit(RulesEvent(tuple(self.runner.states(snap.now))))

    async def _dispatch(self, alerts: list[Alert]) -> None:
        if self._dispatcher is None:
            self._dispatcher = await self.view.make_dispatcher(self.clock, self._notice)
        try:
            await self._dispatcher.dispatch(alerts, quiet_hours_for=self.view.rule_quiet_hours)
        except Exception:  # noqa: BLE001 — notifications never stop the engine
            log.exception("dispatch failed")

    def _store_problem(self, error: str | None, pending: int) -> None:
        """Database writes failing (busy, disk full) are queued; say so, and say when
        they are saved again."""
        if error is not None:
            self._emit(NoticeEvent(f"database: {error}; {pending} writes queued", "error"))
        else:
            self._emit(NoticeEvent("database writable again; queued writes saved", "info"))

    def _notice(self, message: str) -> None:
        """Say a thing once: the same notice (or a second 'desktop ... unavailable')
        is not repeated while it stays true."""
        key = "desktop" if message.startswith("desktop notifications unavailable") else message
        if key in self._noticed:
            return
        self._noticed.add(key)
        self._emit(NoticeEvent(message))

    async def _check_desktop(self) -> None:
        if not self.notify_enabled or not self.view.uses_channel("desktop"):
            self.desktop_status = (False, "not used by any rule")
            return
        from monitor.notify.desktop import available

        ok, why = await available()
        self.desktop_status = (ok, "desktop notifications: on" if ok else why)
        if not ok:
            self._notice(f"desktop notifications unavailable: {why}")

    # ---- state for consumers -------------------------------------------------------

    def quotes(self) -> dict[str, Quote]:
        return dict(self._quotes)

    def sources(self) -> list[SourceStatus]:
        return list(self._sources.values())

    def rule_states(self) -> list[RuleState]:
        return self.runner.states(self.clock.now())

    async def recent_headlines(
        self, limit: int = 300, *, matched_only: bool = True
    ) -> list[Headline]:
        return await self.store.read(
            lambda s: s.recent_headlines(limit=limit, matched_only=matched_only)
        )

    async def current_headlines(self, matched_only: bool = True) -> list[Headline]:
        """The stories of every entry the last news poll saw (new or not), newest first."""
        ids = list(self._polled_stories)
        found = await self.store.read(lambda s: s.headlines_by_id(ids))
        if self._polled_unchanged:  # 304: the feed's stored stories are still current
            stored = await self.recent_headlines(limit=2000, matched_only=matched_only)
            seen = {h.story for h in found}
            found += [h for h in stored if h.feed in self._polled_unchanged and h.story not in seen]
            found.sort(key=lambda h: (h.published, h.first_seen), reverse=True)
        return [h for h in found if h.matched or not matched_only]

    async def search_headlines(self, text: str, limit: int = 300) -> list[Headline]:
        return await self.store.read(lambda s: s.search_headlines(text, limit=limit))

    async def symbol_headlines(self, symbol: str, limit: int = 50) -> list[Headline]:
        return await self.store.read(lambda s: s.headlines_for_symbol(symbol, limit=limit))

    async def alert_log(self, limit: int = 200) -> list[Alert]:
        return await self.store.read(lambda s: s.recent_alerts(limit=limit))

    async def mark_read(self, story_ids: Sequence[str]) -> None:
        ids = list(story_ids)
        await self.store.write(lambda s: s.mark_read(ids))

    async def ack(self, alert_id: int) -> None:
        """Acknowledge a fired alert: it is marked in the log and its rule's deeper tiers
        of the current episode stay quiet."""
        alerts = await self.alert_log(limit=1000)
        for alert in alerts:
            if alert.id == alert_id and alert.rule in self.view.rule_names:
                self.runner.ack(alert.rule)
        await self.store.write(lambda s: s.ack_alert(alert_id))
        await self._save_rules()

    async def snooze(self, rule: str, seconds: float) -> None:
        self.runner.snooze(rule, self.clock.now() + timedelta(seconds=seconds))
        await self._save_rules()

    async def mute(self, rule: str, muted: bool) -> None:
        self.runner.mute(rule, muted)
        await self._save_rules()

    async def _save_rules(self) -> None:
        state = self.runner.to_state()
        await self.store.write(lambda s: s.put_rule_state(state))
        self._emit(RulesEvent(tuple(self.rule_states())))

    async def export(self, path: Path) -> Path:
        headlines = await self.recent_headlines(limit=10_000)
        alerts = await self.alert_log(limit=10_000)
        lines = [h.to_json() for h in headlines]
        lines += [q.to_json() for q in self._quotes.values()]
        lines += [a.to_json() for a in alerts]
        text = "".join(json.dumps(obj, ensure_ascii=False) + "\n" for obj in lines)
        await asyncio.to_thread(path.write_text, text, "utf-8")
        return path


def _body_digest(body: bytes | None) -> bytes | None:
    return None if body is None else hashlib.blake2b(body, digest_size=16).digest()


def _open_store(path: Path) -> Store:
    store = Store(path)
    try:
        store.acquire_lock()
    except BaseException:
        store.close()
        raise
    return store


def _feed_source_status(name: str, state: FeedState, warning: str | None = None) -> SourceStatus:
    detail = None
    if state.moved_from:
        detail = f"moved permanently to {state.url}"
    elif warning:
        detail = warning
    return SourceStatus(
        name=name,
        kind="feed",
        status=state.status,
        error=state.error,
        next_try=state.next_try,
        last_ok=state.last_ok,
        detail=detail,
    )
