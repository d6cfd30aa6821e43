"""The SQLite store: stories and their feed entries, quote snapshots, alerts, rule state,
feed state and small metadata, in one WAL-mode database file.

``Store`` is the one object the engine holds: each public method is one transaction
(a write, or a read on one consistent snapshot) around a function of the module that
owns the concept -- ``stories`` (dedup and new entries), ``headlines`` (queries, read
state, search), ``quotes``, ``alerts`` (alerts, rule and feed state).  The connection,
the single-instance lock, transactions and errors are ``db.Database``'s.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from datetime import datetime
from typing import Any

from monitor.entries import FeedBody, Matched
from monitor.model import Alert, FeedCounts, Headline, Quote, QuoteBatch
from monitor.store import alerts, headlines, quotes, search, stories
from monitor.store.db import Database, StoreError
from monitor.store.rows import to_us
from monitor.store.stories import Added

#: SQLite's page cache (KiB) between large writes: a running monitor's reads and small
#: writes touch few pages, and a larger cache only holds pages (2 MB at SQLite's
#: default) that the operating system's file cache holds too.
CACHE_KIB = 256
#: The page cache while a large write runs (``Store._bulk``): a poll storing thousands
#: of entries reads index pages back (10% slower with 500 KiB).
BULK_CACHE_KIB = 2000
#: Entries (or stories to index) from which a write is large: a first poll of many
#: feeds, a batch of the search index.
BULK_ROWS = 1_000


class Store(Database):
    """The monitor database.  See ``monitor.store.db`` for threading and failures."""

    def _prepare(self, busy_timeout_ms: int) -> None:
        super()._prepare(busy_timeout_ms)
        self._conn.execute(f"PRAGMA cache_size = -{CACHE_KIB:d}")
        #: stories wait to be indexed for search (see ``monitor.store.search``)
        self.search_pending = self._read(lambda: search.pending(self._conn)) > 0

    @contextmanager
    def _bulk(self) -> Iterator[None]:
        """A large write: SQLite's page cache is ``BULK_CACHE_KIB`` while it runs, then
        ``CACHE_KIB`` again (SQLite frees the pages above the smaller size)."""
        with self._lock:
            self._conn.execute(f"PRAGMA cache_size = -{BULK_CACHE_KIB:d}")
            try:
                yield
            finally:
                self._conn.execute(f"PRAGMA cache_size = -{CACHE_KIB:d}")

    # ---- stories and headlines ---------------------------------------------------------

    def add_entries(self, items: Sequence[Matched], *, now: datetime) -> Added:
        """Store a batch of entries at once; say which stories are new, which gained an
        outlet and which were known already (``monitor.store.stories``)."""
        if not items:
            return Added([], [])
        now_us = to_us(now)
        with self._bulk() if len(items) >= BULK_ROWS else nullcontext():
            added = self._write_unchecked(lambda: stories.add_entries(self._conn, items, now_us))
        return self._added(added)

    def record_poll(
        self,
        items: Sequence[Matched],
        *,
        states: Mapping[str, dict[str, Any]],
        bodies: Mapping[str, tuple[bytes, str | None]],
        now: datetime,
    ) -> Added:
        """A whole news poll in ONE transaction: its new entries, every polled feed's
        state, and each parsed body's digest and warning (``bodies``, by feed name),
        remembered with the stories of that feed's entries."""
        now_us = to_us(now)

        def write() -> Added:
            added = stories.add_entries(self._conn, items, now_us) if items else Added([], [])
            alerts.put_feed_states(self._conn, states)
            alerts.put_feed_bodies(self._conn, [
                (name, added.feed_body(name, digest, warning))
                for name, (digest, warning) in bodies.items()])  # fmt: skip
            return added

        with self._bulk() if len(items) >= BULK_ROWS else nullcontext():
            return self._added(self._write_unchecked(write))

    def _added(self, added: Added) -> Added:
        if added.headlines and any(h.new for h in added.headlines):
            self.search_pending = True
        return added

    def index_for_search(self, limit: int | None = None) -> int:
        """Index up to ``limit`` (all when None) stories waiting for search; return how
        many still wait.  The store thread calls it when idle, and every search first."""

        def index() -> int:
            search.index_pending(self._conn, limit)
            return search.pending(self._conn)

        waiting = self._read(lambda: search.pending(self._conn))
        large = min(waiting, waiting if limit is None else limit) >= BULK_ROWS
        with self._bulk() if large else nullcontext():
            left = self._write(index)
        self.search_pending = left > 0
        return left

    def integrity_check(self) -> str:
        """``"ok"`` when the file and the search index are sound, else the problems."""
        if not self.readonly and self.search_pending:
            self.index_for_search()  # the index must hold every story to check out
        return super().integrity_check()

    def headlines_by_id(
        self, story_ids: Sequence[str], *, matched_or: Collection[str] | None = None
    ) -> list[Headline]:
        """The stored stories of ``story_ids``, newest first (unknown ids left out); with
        ``matched_or``, only the topic matches and the stories it names."""
        ids = list(dict.fromkeys(story_ids))
        return self._read(
            lambda: headlines.newest_first(headlines.by_id(self._conn, ids, matched_or))
        )

    def recent_headlines(
        self, limit: int = 200, *, matched_only: bool = True, since: datetime | None = None
    ) -> list[Headline]:
        """Newest first by published time, then first-seen time.

        ``published`` is already clamped to the time it was seen and falls back to it
        when a feed gives no usable date, so a bad date never jumps a story to the top.
        ``since`` keeps stories published at or after it.
        """
        return self._read(lambda: headlines.recent(self._conn, limit, matched_only, since))

    def search_headlines(self, text: str, limit: int = 200) -> list[Headline]:
        """Stories whose title or summary contain every word of ``text``.

        Words are matched as substrings (trigram index), case-insensitively; words
        under three characters (two-character Chinese words) are matched by a scan.
        Each word is quoted, so FTS operators (``NOT``, ``"``, parentheses) in the text
        are searched for literally.  Newest first by first sighting; all stories, not
        only topic matches.
        """
        if self.search_pending and not self.readonly:
            try:
                self.index_for_search()
            except StoreError:
                pass  # busy or full: search what is indexed; the next search catches up
        trigram = self._trigram
        return self._read(lambda: headlines.search(self._conn, text, trigram, limit))

    def headlines_for_symbol(self, symbol: str, limit: int = 50) -> list[Headline]:
        """Stories linked to ``symbol``, newest first."""
        return self._read(lambda: headlines.for_symbol(self._conn, symbol, limit))

    def headlines_for_feed(self, feed: str, limit: int = 300) -> list[Headline]:
        """Stories an entry of ``feed`` carried, topic matches or not, newest first."""
        return self._read(lambda: headlines.for_feed(self._conn, feed, limit))

    def feed_counts(self) -> dict[str, FeedCounts]:
        """Per stored feed: its stories, topic matches and unread topic matches."""
        return self._read(lambda: headlines.feed_counts(self._conn))

    def headline_count(self, *, matched_only: bool = False) -> int:
        return self._read(lambda: headlines.count(self._conn, matched_only))

    def mark_read(self, story_ids: Iterable[str]) -> None:
        ids = list(story_ids)
        self._write(lambda: headlines.mark_read(self._conn, ids))

    def unread_story_ids(self, limit: int = 200, *, matched_only: bool = True) -> list[str]:
        """Unread stories, newest first (the same order as ``recent_headlines``)."""
        return self._read(lambda: headlines.unread_ids(self._conn, limit, matched_only))

    # ---- quotes ------------------------------------------------------------------------

    def add_quotes(self, batch: QuoteBatch) -> None:
        """Keep one snapshot per usable quote (each poll adds an intraday point)."""
        self._write(lambda: quotes.add(self._conn, batch))

    def latest_quotes(self) -> dict[str, Quote]:
        """The last snapshot of every symbol, with that session's prices as intraday."""
        return self._read(lambda: quotes.latest(self._conn))

    def intraday(self, symbol: str, since: datetime) -> list[tuple[datetime, float]]:
        """Every stored (as_of, price) of ``symbol`` at or after ``since``, oldest first."""
        return self._read(lambda: quotes.intraday(self._conn, symbol, since))

    def prune_quotes(self, before: datetime) -> int:
        """Drop snapshots older than ``before`` (keep ~3 days), except each symbol's
        latest, so a quiet symbol still shows its last price; return how many went."""
        return self._write(lambda: quotes.prune(self._conn, before))

    # ---- alerts, rule state, feed state ------------------------------------------------

    def add_alerts(self, fired: Sequence[Alert]) -> list[Alert]:
        """Store fired alerts; return them with their ids."""
        return self._write(lambda: alerts.insert(self._conn, fired))

    def add_alerts_and_rule_state(
        self, fired: Sequence[Alert], state: dict[str, Any]
    ) -> list[Alert]:
        """Alerts and the rule state that fired them, in ONE transaction: after a crash
        there is neither an alert without its state (a re-fire) nor the reverse (a loss)."""

        def both() -> list[Alert]:
            stored = alerts.insert(self._conn, fired)
            alerts.put_rule_state(self._conn, state)
            return stored

        return self._write(both)

    def recent_alerts(self, limit: int = 200) -> list[Alert]:
        """Newest first by trigger time."""
        return self._read(lambda: alerts.recent(self._conn, limit))

    def ack_alert(self, alert_id: int) -> None:
        """Mark an alert acknowledged (an unknown id is ignored)."""
        self._write(lambda: alerts.ack(self._conn, alert_id))

    def get_rule_state(self) -> dict[str, Any]:
        return self._read(lambda: alerts.rule_state(self._conn))

    def put_rule_state(self, state: dict[str, Any]) -> None:
        self._write(lambda: alerts.put_rule_state(self._conn, state))

    def get_feed_states(self) -> dict[str, dict[str, Any]]:
        return self._read(lambda: alerts.feed_states(self._conn))

    def put_feed_state(self, name: str, state: dict[str, Any]) -> None:
        self._write(lambda: alerts.put_feed_states(self._conn, {name: state}))

    def feed_bodies(self) -> dict[str, FeedBody]:
        """Each feed's last body (digest, parse warning, stories), by feed name."""
        return self._read(lambda: alerts.feed_bodies(self._conn))
