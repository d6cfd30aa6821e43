"""The Headlines pane's per-feed view: `f` lists the feeds with their health
(monitor/ui/screens/feeds.py); choosing one shows every story it carried, topic
matches marked ◆, newest first; Esc (or "All feeds") goes back to the topic view.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.binding import Binding

from monitor.model import Headline
from monitor.ui.screens.feeds import ALL_FEEDS, FeedsScreen
from monitor.ui.widgets.statusbar import health_words

if TYPE_CHECKING:
    from monitor.ui.widgets.headlines import HeadlinesPane

FEEDS_KEY = Binding("f", "feeds", "Feeds", id="feeds")


class FeedView:
    """Which feed the pane shows (``name`` None: the topic view), loaded from the store."""

    def __init__(self, pane: HeadlinesPane) -> None:
        self.pane = pane
        self.name: str | None = None

    def choose(self) -> None:
        engine = self.pane.engine
        if engine is not None:
            screen = FeedsScreen(engine, self.pane.zones, current=self.name or ALL_FEEDS)
            self.pane.app.push_screen(screen, self.chosen)

    def chosen(self, name: str | None) -> None:
        if name is None:  # closed without a choice
            return
        if name == ALL_FEEDS:
            self.leave()
            return
        self.name = name
        self.pane.filter_box.close()  # one view at a time: the filter gives way
        self.reload()

    def reload(self) -> None:
        """Ask the store again (the feed's stories changed, or a new feed was chosen)."""
        if self.name is not None and self.pane.engine is not None:
            self.pane.run_worker(self._load(self.name), group="headline-feed", exclusive=True)

    async def _load(self, name: str) -> None:
        assert self.pane.engine is not None
        found = await self.pane.engine.feed_headlines(name)
        if self.name == name:  # else another feed (or none) was chosen meanwhile
            self.pane.show_results(found)

    def leave(self) -> None:
        if self.name is not None:
            self.name = None
            self.pane.show_results(None)

    def title(self, count: int) -> str:
        return f"Headlines · feed {self.name}: {self._health()} ({count}; f: feeds, Esc: back)"

    def placeholder(self) -> str:
        return f"no stories from {self.name!r} stored yet"

    def _health(self) -> str:
        engine = self.pane.engine
        source = (
            next((s for s in engine.sources() if s.name == self.name), None) if engine else None
        )
        if source is None:
            return "not in the config now"
        return health_words(source, self.pane.now(), self.pane.zones)


def shown(results: list[Headline] | None) -> dict[str, Headline] | None:
    return None if results is None else {h.story: h for h in results}
