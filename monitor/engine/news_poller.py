"""News polling: which feeds are due, fetching them, parsing and matching the bodies,
storing the stories, and the memory of matching headlines that news rules read.

In a replay the entries of recorded feed files are released when the recording's
clock reaches them, through the same path as a poll.

When a live feed is due, and its backoff, are decided by real time, never by a replay
clock (which stops at the end of its recording): ``live_clock`` is the wall clock
whatever the quote source.  The replay clock decides only what the data says: when
entries were seen, in the recording's world.  A feed is due when its interval has
passed on the wall clock *or* on the monotonic one, and its backoff is over when either
says so: a wall clock stepping back an hour does not hold polling back an hour, and one
stepping ahead (or a suspend, during which the monotonic clock stands still) makes each
feed due once.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import random
import time
from collections.abc import Awaitable, Callable, Collection, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor import frozen
from monitor.clock import Clock
from monitor.engine.build import EngineSettings, FeedView
from monitor.engine.sources import Emit, SourceBoard, feed_source_status
from monitor.entries import Entry, FeedBody
from monitor.events import HeadlinesEvent
from monitor.heap import cyclic_gc_paused
from monitor.model import Headline, SourceStatus, Status
from monitor.news.fetch import FeedFetcher, FeedState, FetchResult, next_state
from monitor.news.ingest import Ingest, Matched
from monitor.news.parse import ParsedFeed, parse_feed
from monitor.news.yahoo import YahooNewsFetcher, parse_search
from monitor.store import Added, StoreWorker

#: a headline first seen now but published longer ago than this is not "breaking"
BREAKING_GRACE = timedelta(hours=2)
#: how long matching headlines stay in memory for news rules and alert context
NEWS_MEMORY = timedelta(hours=24)
#: headlines of the memory read back from the store on open
_REMEMBERED = 2000


class NewsPoller:
    """Polls the due feeds; new matching headlines go to the rules (``on_news``)."""

    def __init__(
        self,
        settings: EngineSettings,
        *,
        fetcher: FeedFetcher,
        yahoo: YahooNewsFetcher | None = None,
        clock: Clock,
        store: StoreWorker,
        emit: Emit,
        board: SourceBoard,
        on_news: Callable[[], Awaitable[None]],
        recorded_feeds: Sequence[Path] = (),
        live_clock: Clock | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.fetcher = fetcher
        self.yahoo = yahoo
        #: marks headlines related to a live burst (the core sets it; default: as they are)
        self.mark: Callable[[list[Headline]], list[Headline]] = list
        self._clock = clock  # the data's time: a replay's own clock in a replay
        self._live = live_clock or clock  # real time: when live feeds are due
        self._monotonic = monotonic
        self._store = store
        self._emit = emit
        self._board = board
        self._on_news = on_news
        self.recorded_feeds = list(recorded_feeds)
        self.memory: list[Headline] = []  # matching headlines, newest first
        self._rule_view: tuple[list[Headline], list[Headline]] | None = None
        self._states: dict[str, FeedState] = {}
        self._last_poll: dict[str, tuple[datetime, float]] = {}  # (live, monotonic)
        self._retry_at: dict[str, float] = {}  # a backoff's end on the monotonic clock
        # feed name -> its last body (digest, parse warning, stories), kept by the store
        self._bodies: dict[str, FeedBody] = {}
        self._polled_stories: list[str] = []
        self._polled_unchanged: set[str] = set()
        self._recorded_entries: list[Entry] | None = None
        self._released: set[tuple[str, str]] = set()
        self._lock = asyncio.Lock()
        self._rng = random.Random()
        self.configure(settings)

    def configure(self, settings: EngineSettings) -> None:
        self.settings = settings
        self.ingest = Ingest.build(
            settings.news_query, settings.feed_queries, settings.aliases, settings.symbols
        )

    async def open(self) -> None:
        """Read the feeds' state and the recent matching headlines back from the store."""
        states = await self._store.read(lambda s: s.get_feed_states())
        for name, raw in states.items():
            self._set_state(name, FeedState.from_json(raw), self._live.now())
        self._bodies = await self._store.read(lambda s: s.feed_bodies())
        since = self._clock.now() - NEWS_MEMORY
        self.memory = await self._store.read(
            lambda s: s.recent_headlines(limit=_REMEMBERED, matched_only=True, since=since)
        )
        for feed in self.settings.feeds:
            st = self._states.get(feed.name)
            if st is not None and st.status != Status.PENDING:
                self._board.set(feed_source_status(feed.name, st))

    def clear(self) -> None:
        """Forget what news rules remember (a replay starting over)."""
        self.memory.clear()
        self._rule_view = None
        self._released.clear()

    # ---- polling -------------------------------------------------------------------

    async def poll(self, *, force: bool = False) -> list[Headline]:
        """Fetch every due feed once; store, emit and return new/updated headlines."""
        if self._lock.locked():  # one fetch at a time: wait for the running one
            async with self._lock:
                return []
        async with self._lock:
            now = self._live.now()
            due = [f for f in self.settings.feeds if force or self._due(f, now)]
            if not due:
                return []
            self._polled_stories = []
            self._polled_unchanged = set()
            # no reference kept here: the bodies are let go once parsed
            headlines = await self._ingest_results(due, await self._fetch(due))
            await self.after_news(headlines)
            return headlines

    async def _fetch(self, feeds: Sequence[FeedView]) -> list[FetchResult]:
        """Fetch RSS/Atom feeds and Yahoo news searches at once; results in feed order."""
        rss = [(f.name, self._state_to_fetch(f)) for f in feeds if f.kind != "yahoo"]
        yahoo = [(f.name, self._state_to_fetch(f)) for f in feeds if f.kind == "yahoo"]
        rss_results, yahoo_results = await asyncio.gather(
            self.fetcher.fetch_all(rss), self._fetch_yahoo(yahoo)
        )
        by_name = {r.name: r for r in [*rss_results, *yahoo_results]}
        return [by_name[f.name] for f in feeds]

    async def _fetch_yahoo(self, feeds: Sequence[tuple[str, FeedState]]) -> list[FetchResult]:
        if not feeds:
            return []
        if self.yahoo is None:
            raise RuntimeError("a yahoo news source, but no Yahoo client was given")
        return await self.yahoo.fetch_all(feeds)

    def _due(self, feed: FeedView, now: datetime) -> bool:
        """Due when its interval (or backoff) is over on either real clock."""
        mono = self._monotonic()
        state = self._states.get(feed.name)
        if state is not None and state.gone:
            return False
        if state is not None and state.next_try and now < state.next_try:
            if mono < self._retry_at.get(feed.name, float("inf")):
                return False
        last = self._last_poll.get(feed.name)
        if last is None:
            return True
        every = feed.every or self.settings.news_every
        return max((now - last[0]).total_seconds(), mono - last[1]) >= every * 0.95

    def _set_state(self, name: str, state: FeedState, now: datetime) -> None:
        self._states[name] = state
        if state.next_try is not None:
            wait = (state.next_try - now).total_seconds()
            self._retry_at[name] = self._monotonic() + wait

    def _state_to_fetch(self, feed: FeedView) -> FeedState:
        state = self._states.get(feed.name)
        if state is None or state.moved_from is None and state.url != feed.url:
            state = (
                FeedState(url=feed.url)
                if state is None
                else dataclasses.replace(state, url=feed.url, etag=None, last_modified=None)
            )
        return state

    async def _ingest_results(
        self, feeds: Sequence[FeedView], results: list[FetchResult]
    ) -> list[Headline]:
        """Parse the changed bodies, then write the whole poll (new entries, every feed's
        state, the new bodies) in ONE transaction.  A feed's own state (backoff, last
        success) is on real time; its entries are seen at the data's time (a replay's:
        the recording's world)."""
        live, now = self._live.now(), self._clock.now()
        answers: list[tuple[FeedView, FetchResult]] = []
        digests: list[tuple[str, bytes]] = []
        warnings: dict[str, str | None] = {}
        for feed, result in zip(feeds, results, strict=True):
            self._last_poll[result.name] = (live, self._monotonic())
            digest = _body_digest(result.body)
            body = self._bodies.get(result.name)
            if result.status == Status.NOT_MODIFIED or (body and body.digest == digest):
                # A 304, or the very bytes of the last poll (a server without ETag or
                # Last-Modified): nothing new, so no parse, match, dedup or entry write.
                self._unchanged(result.name, body)
                warnings[result.name] = body.warning if result.body and body else None
            elif digest is not None:
                answers.append((feed, result))
                digests.append((result.name, digest))
        parsed = await asyncio.to_thread(_parse_all, self.ingest, answers, now)
        answers.clear()  # parsed: the poll's write need not hold the bodies (~5 MB/100 feeds)
        results[:] = [dataclasses.replace(r, body=None) if r.body else r for r in results]
        items, bodies = [], {}
        for (name, digest), (answer, matched) in zip(digests, parsed, strict=True):
            warnings[name] = answer.warning
            items += matched
            if not matched and answer.bozo and not answer.entries:
                # A broken, empty answer: the feed's last stories are still its stories.
                self._unchanged(name, self._bodies.get(name))
            else:
                bodies[name] = (digest, answer.warning)
        return await self._write_poll(results, items, bodies, warnings, (live, now))

    def _unchanged(self, name: str, body: FeedBody | None) -> None:
        if body is not None:
            self._polled_stories += body.stories
        else:  # no body remembered: the feed's latest stored stories stand for it
            self._polled_unchanged.add(name)

    async def _write_poll(
        self,
        results: Sequence[FetchResult],
        items: list[Matched],
        bodies: dict[str, tuple[bytes, str | None]],
        warnings: dict[str, str | None],
        times: tuple[datetime, datetime],  # (live, data)
    ) -> list[Headline]:
        live, now = times
        for result in results:
            old = self._states.get(result.name) or FeedState(url=result.url)
            self._set_state(result.name, next_state(old, result, live, rng=self._rng), live)
        states = {r.name: self._states[r.name].to_json() for r in results}
        added = await self._store.write(
            lambda s: s.record_poll(items, states=states, bodies=bodies, now=now),
            landed=self._landed_late,
            rows=len(items) + len(states),
        )
        if added is not None:
            self._polled_stories += added.story_ids
            for name, (digest, warning) in bodies.items():
                self._bodies[name] = added.feed_body(name, digest, warning)
        for result in results:
            state = self._states[result.name]
            self._board.set(feed_source_status(result.name, state, warnings.get(result.name)))
        return added.headlines if added is not None else []

    async def after_news(self, headlines: list[Headline]) -> None:
        """Announce new or updated headlines (marked related to a live burst where they
        are); matching ones go to the news rules."""
        if not headlines:
            return
        matching = [h for h in headlines if h.matched]
        if matching:
            self._remember(matching)
        self._emit(HeadlinesEvent(tuple(self.mark(headlines))))
        if matching:
            await self._on_news()

    async def _landed_late(self, added: Added) -> None:
        """Entries whose write was queued (a full disk, a busy database) are stored at
        last: announce their stories now, as a poll would have."""
        await self.after_news(added.headlines)

    async def current_headlines(
        self, matched_only: bool = True, also: Collection[str] = ()
    ) -> list[Headline]:
        """The stories of every entry the last poll saw (new or not), newest first
        (``matched_only``: the topic matches, and the stories ``also`` names)."""
        ids, keep = list(self._polled_stories), set(also) if matched_only else None
        found = await self._store.read(lambda s: s.headlines_by_id(ids, matched_or=keep))
        if self._polled_unchanged:  # 304: the feed's stored stories are still current
            stored = await self._store.read(
                lambda s: s.recent_headlines(limit=_REMEMBERED, matched_only=matched_only)
            )
            seen = {h.story for h in found}
            found += [h for h in stored if h.feed in self._polled_unchanged and h.story not in seen]
            found.sort(key=lambda h: (h.published, h.first_seen), reverse=True)
        return [h for h in found if h.matched or not matched_only or h.story in also]

    # ---- what news rules see -----------------------------------------------------------

    def _remember(self, headlines: Sequence[Headline]) -> None:
        by_story = {h.story: h for h in self.memory}
        for h in headlines:
            old = by_story.get(h.story)
            # an extra outlet of a known story keeps the story's first sighting
            if old is not None:
                h = frozen.replace(h, first_seen=old.first_seen)
            by_story[h.story] = h
        cutoff = self._clock.now() - NEWS_MEMORY
        self.memory = sorted(
            (h for h in by_story.values() if h.first_seen >= cutoff),
            key=lambda h: h.first_seen,
            reverse=True,
        )

    def rule_headlines(self) -> list[Headline]:
        """Headlines as news rules see them, made once per memory (every quote batch
        asks, and each old story is a copy): see ``_as_rules_see``."""
        if self._rule_view is None or self._rule_view[0] is not self.memory:
            self._rule_view = (self.memory, _as_rules_see(self.memory))
        return list(self._rule_view[1])

    # ---- recorded feeds (replay) -------------------------------------------------------

    async def release_recorded(self) -> None:
        """Replay: entries of recorded feed files appear when the clock reaches them."""
        if not self.recorded_feeds:
            return
        now = self._clock.now()
        if self._recorded_entries is None:
            self._recorded_entries = await asyncio.to_thread(
                _load_recorded, self.recorded_feeds, self._board
            )
        due = [
            e
            for e in self._recorded_entries
            if e.published <= now and (e.feed, e.guid or e.title) not in self._released
        ]
        if not due:
            return
        for e in due:
            self._released.add((e.feed, e.guid or e.title))
        await self.take(due, now)

    async def take(self, entries: Sequence[Entry], now: datetime | None = None) -> list[Headline]:
        """Entries that came otherwise than by a poll (a recorded feed's, released when
        the clock reaches them), seen ``now`` (default: the clock's): matched, stored
        and announced as a poll's are."""
        items, now = self.ingest.process(entries), now or self._clock.now()
        stored = await self._store.write(
            lambda s: s.add_entries(items, now=now), landed=self._landed_late, rows=len(items)
        )
        headlines = stored.headlines if stored is not None else []
        await self.after_news(headlines)
        return headlines


def _load_recorded(paths: Sequence[Path], board: SourceBoard) -> list[Entry]:
    """The dated entries of recorded feed files, oldest first (each file a source)."""
    far = datetime(2100, 1, 1, tzinfo=UTC)
    entries = []
    for path in paths:
        parsed = parse_feed(path.read_bytes(), feed_name=path.stem, now=far)
        entries += [e for e in parsed.entries if e.date_known]
        board.set(SourceStatus(path.stem, "feed", Status.OK, detail=f"recorded: {path.name}"))
    return sorted(entries, key=lambda e: e.published)


def _parse_all(
    ingest: Ingest, answers: Sequence[tuple[FeedView, FetchResult]], now: datetime
) -> list[tuple[ParsedFeed, list[Matched]]]:
    """Parse and match the changed bodies (one worker-thread hop for the poll), the
    cyclic GC paused (``monitor.heap``)."""
    with cyclic_gc_paused():
        return [_parse_and_match(ingest, feed, result, now) for feed, result in answers]


def _parse_and_match(
    ingest: Ingest, feed: FeedView, result: FetchResult, now: datetime
) -> tuple[ParsedFeed, list[Matched]]:
    """Parse one body and match its entries (one worker-thread hop, not two)."""
    if feed.kind == "yahoo":
        body = result.body or b""
        parsed = parse_search(body, feed_name=feed.name, now=now, ticker=feed.ticker)
    else:
        parsed = parse_feed(
            result.body or b"",
            feed_name=feed.name,
            now=now,
            base_url=result.url,
            content_type=result.content_type,
        )
    return parsed, ingest.process(parsed.entries) if parsed.entries else []


def _as_rules_see(memory: Sequence[Headline]) -> list[Headline]:
    """An old story found late is not breaking: it is first seen when it was published."""
    return [
        frozen.replace(h, first_seen=h.published)
        if h.published < h.first_seen - BREAKING_GRACE
        else h
        for h in memory
    ]


def _body_digest(body: bytes | None) -> bytes | None:
    return None if body is None else hashlib.blake2b(body, digest_size=16).digest()
