"""What the screen and the CLI read from the store through the engine, and the read
marks they write back: recent, searched, per-symbol and per-feed headlines, the alert
log, export.

A mixin of ``Engine`` (monitor/engine/core.py): every read runs on the store's worker
thread, so the event loop never waits on SQLite.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from pathlib import Path

from monitor.engine.quote_book import QuoteBook
from monitor.model import Alert, FeedCounts, Headline
from monitor.store import StoreWorker


class StoreReads:
    store: StoreWorker
    quote_book: QuoteBook

    async def recent_headlines(
        self, limit: int = 300, *, matched_only: bool = True
    ) -> list[Headline]:
        return await self.store.read(
            lambda s: s.recent_headlines(limit=limit, matched_only=matched_only)
        )

    async def search_headlines(self, text: str, limit: int = 300) -> list[Headline]:
        return await self.store.read(lambda s: s.search_headlines(text, limit=limit))

    async def symbol_headlines(self, symbol: str, limit: int = 50) -> list[Headline]:
        return await self.store.read(lambda s: s.headlines_for_symbol(symbol, limit=limit))

    async def feed_headlines(self, feed: str, limit: int = 300) -> list[Headline]:
        """The stories ``feed`` carried, topic matches or not, newest first."""
        return await self.store.read(lambda s: s.headlines_for_feed(feed, limit=limit))

    async def feed_counts(self) -> dict[str, FeedCounts]:
        """Per feed (by its configured name): stories, topic matches, unread matches."""
        return await self.store.read(lambda s: s.feed_counts())

    async def alert_log(self, limit: int = 200) -> list[Alert]:
        return await self.store.read(lambda s: s.recent_alerts(limit=limit))

    async def mark_read(self, story_ids: Sequence[str]) -> None:
        ids = list(story_ids)
        await self.store.write(lambda s: s.mark_read(ids))

    async def export(self, path: Path) -> Path:
        """Stored headlines, the latest quotes and the alert log as JSON lines."""
        objects = [h.to_json() for h in await self.recent_headlines(limit=10_000)]
        objects += [q.to_json() for q in self.quote_book.latest.values()]
        objects += [a.to_json() for a in await self.alert_log(limit=10_000)]
        text = "".join(json.dumps(obj, ensure_ascii=False) + "\n" for obj in objects)
        await asyncio.to_thread(path.write_text, text, "utf-8")
        return path
