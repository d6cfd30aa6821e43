"""The headlines pane: what the topic query matches, newest first, unread marked.

`*` shows every stored story with the topic matches marked ◆; `/` filters with the
topic query language (monitor/ui/widgets/headline_filter.py).  While a news burst is
live, its related stories are shown too, marked ≈ (`~` hides them; see
monitor/ui/widgets/headline_related.py).  Unread state belongs to
the story, not to the view: filtering or toggling never clears it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Input

from monitor.formatting import Zones
from monitor.model import Headline
from monitor.query import Query
from monitor.ui.messages import HeadlinesArrived, RelatedChanged
from monitor.ui.widgets.headline_feed import FEEDS_KEY, FeedView, shown
from monitor.ui.widgets.headline_filter import FilterBox
from monitor.ui.widgets.headline_related import RelatedSet
from monitor.ui.widgets.headline_rows import (
    RowLook,
    headline_cells,
    placeholder_cells,
    time_words,
)
from monitor.ui.widgets.headline_table import HeadlineTable
from monitor.ui.widgets.headline_unread import UnreadStories
from monitor.ui.widgets.panes import Pane

if TYPE_CHECKING:
    from monitor.ui.engine_api import EngineAPI

#: topic matches kept on screen (as many stories that do not match, for `*`); the rest
#: of the history is reached with the `/` filter
MAX_SHOWN = 300


def newest_first(headlines: dict[str, Headline], stories: Iterable[str]) -> list[str]:
    return sorted(stories, key=lambda s: headlines[s].published, reverse=True)


#: hides or shows the stories related to a live burst (the pane's title says so)
RELATED_KEY = Binding(
    "tilde", "toggle_related", "Related", id="toggle_related", key_display="~", show=False
)


def kept_stories(headlines: dict[str, Headline]) -> set[str]:
    """The newest MAX_SHOWN topic matches, and as many others (older ones stay
    searchable with /): a pane open all day must not grow without bound."""
    if len(headlines) <= MAX_SHOWN:
        return set(headlines)
    matched = [s for s, h in headlines.items() if h.matched]
    others = [s for s, h in headlines.items() if not h.matched]
    keep = set(newest_first(headlines, matched)[:MAX_SHOWN])
    return keep | set(newest_first(headlines, others)[:MAX_SHOWN])


class HeadlinesPane(Pane):
    BINDINGS = [
        Binding("enter", "open_detail", "Details", id="headline_detail", show=False),
        Binding("o", "open_link", "Open link", id="open_link"),
        Binding("asterisk", "toggle_all", "All/matched", id="toggle_all", key_display="*"),
        RELATED_KEY,
        FEEDS_KEY,
        Binding("x", "mark_all_read", "All read", id="mark_all_read", show=False),
        Binding("escape", "clear_filter", "Clear filter", id="clear_filter", show=False),
    ]

    @dataclass
    class UnreadChanged(Message):
        """How many topic matches are unread (the tab shows it)."""

        count: int

    def __init__(self) -> None:
        super().__init__(id="headlines", title="Headlines")
        self.headlines: dict[str, Headline] = {}  # story -> headline, matching or not
        self.results: dict[str, Headline] | None = None  # the filter's, while it is on
        self.order: list[str] = []  # stories on screen, newest first
        self.unread = UnreadStories()
        self.show_all = False  # every story, not only topic matches
        self.related = RelatedSet()  # stories related to a live news burst
        self.feeds = FeedView(self)  # one feed's stories, or the topic view
        self._all_loaded = False
        self.filter_text = ""
        self.filter_query: Query | None = None
        self.filter_error: str | None = None
        #: the filter text the rows (or the error) on screen answer
        self.answered = ""
        self.loaded = False

    def compose(self) -> ComposeResult:
        yield FilterBox()
        yield HeadlineTable()

    def on_mount(self) -> None:
        self._rebuild()

    @property
    def table(self) -> HeadlineTable:
        return self.query_one(HeadlineTable)

    # ---- data in ------------------------------------------------------------------

    async def attach(self, engine: EngineAPI, zones: Zones) -> None:
        await super().attach(engine, zones)
        self.filter_box.engine = engine
        self.related.update(self.headlines, engine.related_headlines())
        self.show(await engine.recent_headlines())

    def on_headlines_arrived(self, message: HeadlinesArrived) -> None:
        self.add(message.headlines)

    def on_related_changed(self, message: RelatedChanged) -> None:
        self.related.update(self.headlines, message.headlines, message.bursts)
        self._rebuild()

    def _unread_changed(self) -> None:
        self.post_message(self.UnreadChanged(len(self.unread)))

    def show(self, headlines: Iterable[Headline]) -> None:
        """Stored headlines join what is known (at start, or for `*`)."""
        self.loaded = True
        for headline in headlines:
            self.headlines[headline.story] = headline
            self.unread.note(headline)
        self._trim()
        self._rebuild()
        self._unread_changed()

    def add(self, headlines: Iterable[Headline]) -> None:
        """Merge fresh headlines (new stories, or new outlets for a known story)."""
        self.loaded = True
        fresh: list[Headline] = []
        known: list[Headline] = []
        for headline in headlines:
            (known if headline.story in self.headlines else fresh).append(headline)
            self.headlines[headline.story] = headline
            self.unread.note(headline)
        self._trim()
        if self.feeds.name is not None:
            self.feeds.reload()  # the store says what the feed carried
        elif self.results is not None:
            self.filter_box.again()  # the filter decides what it shows
        else:  # new stories take their places, another outlet rewrites its story's row
            self._place(known)
        self._unread_changed()

    def _place(self, changed: Iterable[Headline]) -> None:
        """The rows of the stories new to the view, and of ``changed`` ones shown, are
        made; the other rows stay (rebuilt all only when the columns would change)."""
        source, look, now = self._source(), self._look(), self.now()
        order = newest_first(source, (s for s, h in source.items() if self._wanted(h)))
        shown = set(self.order)
        new = [s for s in order if s not in shown]
        new += [h.story for h in changed if h.story in shown and h.story in source]
        fresh = {story: headline_cells(source[story], now, look) for story in new}
        times = dict(zip(order, time_words([source[s] for s in order], now, look.tz), strict=True))
        selected = self.selected_story()
        if not self.table.place(order, fresh, times, look.marks):
            self._rebuild()  # e.g. a first "+1": the layout moves
            return
        self.order = order
        self.select(selected)
        self._update_title()

    def _trim(self) -> None:
        keep = kept_stories(self.headlines)
        if len(keep) < len(self.headlines):  # (else every one is kept: no copy)
            self.headlines = {s: h for s, h in self.headlines.items() if s in keep}
        self.unread.keep(keep)

    def refresh_times(self) -> None:
        """Relative times ('5m ago') move on: rewrite only the time cells that changed."""
        table, now, shown = self.table, self.now(), self._source()
        if "time" not in table.widths:
            return
        words = time_words([shown[story] for story in self.order], now, self.tz)
        moved = zip(self.order, words, strict=True)
        table.set_times({story: cell for story, cell in moved if table.time_of(story) != cell})

    # ---- rendering ----------------------------------------------------------------

    def on_resize(self) -> None:
        self._rebuild()

    def _source(self) -> dict[str, Headline]:
        return self.results if self.results is not None else self.headlines

    def _wanted(self, headline: Headline) -> bool:
        shown = self.show_all or bool(headline.matched) or self.related.wanted(headline)
        return self.results is not None or shown

    def _look(self) -> RowLook:
        terms = self.filter_query.terms if self.filter_query and self.results is not None else ()
        marks = self.show_all or self.results is not None or self.related.marks
        return RowLook(self.unread, marks, terms, self.tz)

    def _rebuild(self) -> None:
        look, source = self._look(), self._source()
        selected = self.selected_story()
        self.order = newest_first(source, (s for s, h in source.items() if self._wanted(h)))
        now = self.now()
        rows = [headline_cells(source[story], now, look) for story in self.order]
        self.table.build(self.order, rows or [placeholder_cells(self._placeholder())], look.marks)
        self.select(selected)
        self._update_title()

    def _placeholder(self) -> str:
        return placeholder_text(self)

    def _update_title(self) -> None:
        self.set_title(title_text_of(self))

    # ---- selection ----------------------------------------------------------------

    def selected_story(self) -> str | None:
        table = self.table
        if not self.order or table.row_count == 0:
            return None
        index = min(table.cursor_row, len(self.order) - 1)
        return self.order[index] if index >= 0 else None

    def selected(self) -> Headline | None:
        story = self.selected_story()
        return self._source().get(story) if story else None

    def select(self, story: str | None) -> None:
        if story in self.order:
            self.table.move_cursor(row=self.order.index(story))

    def jump_unread(self, step: int) -> bool:
        """Move to the next (step=1) or previous (-1) unread headline; False when none."""
        index = self.unread.next_from(self.order, self.table.cursor_row, step)
        if index is not None:
            self.table.move_cursor(row=index)
        return index is not None

    def mark_read(self, stories: Iterable[str]) -> None:
        stories = self.unread.read(stories)
        if not stories:
            return
        shown = set(self.order)
        self.table.set_cells((story, "unread", Text("")) for story in stories if story in shown)
        self._unread_changed()
        if self.engine is not None:
            self.run_worker(
                self.engine.mark_read(stories), group="headline-read", exit_on_error=False
            )

    # ---- actions ------------------------------------------------------------------

    @on(DataTable.RowSelected, "#headline-table")
    def _row_chosen(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open_detail()

    def action_open_detail(self) -> None:
        headline = self.selected()
        if headline is None:
            return
        from monitor.ui.screens.headline_detail import HeadlineDetail

        self.mark_read([headline.story])
        self.app.push_screen(HeadlineDetail(headline, self.zones))

    def action_open_link(self) -> None:
        headline = self.selected()
        if headline is None:
            return
        from monitor.ui.screens.confirm_open import confirm_and_open

        self.mark_read([headline.story])
        confirm_and_open(self.app, headline.open_link)  # the outlet's own, if a feed gave it

    def action_mark_all_read(self) -> None:
        self.mark_read(list(self.unread))

    def action_toggle_all(self) -> None:
        """Every story, topic matches marked ◆ — or back to the topic matches only."""
        self.show_all = not self.show_all
        if self.show_all and not self._all_loaded and self.engine is not None:
            self._load_all()
        self._rebuild()

    def action_toggle_related(self) -> None:  # hide the burst's related stories, or not
        self.related.shown = not self.related.shown
        self._rebuild()

    @work(exclusive=True, group="headline-all", exit_on_error=False)
    async def _load_all(self) -> None:
        assert self.engine is not None
        self.show(await self.engine.recent_headlines(matched_only=False))
        self._all_loaded = True

    # ---- filter ------------------------------------------------------------------

    @property
    def filter_box(self) -> FilterBox:
        return self.query_one(FilterBox)

    def start_filter(self) -> None:
        self.filter_box.open()

    def action_feeds(self) -> None:
        self.feeds.choose()

    def show_results(self, results: list[Headline] | None) -> None:
        """A filter's or a feed's stories (None: back to the live view)."""
        self.results = shown(results)
        self._rebuild()

    def action_clear_filter(self) -> None:
        self.feeds.leave()
        self.filter_box.close()
        self.table.focus()

    @on(Input.Submitted, "#headline-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.table.focus()

    def on_filter_box_answered(self, message: FilterBox.Answered) -> None:
        answer = message.answer
        if not answer.text and self.feeds.name is not None:
            return  # the box closed for the feed view
        self.feeds.name = None  # a filter replaces the feed view
        new_search = answer.text != self.answered
        self.filter_text, self.filter_error = answer.text, answer.error
        self.answered = answer.text
        if answer.error is not None:  # say what is wrong, keep the last good rows
            self._update_title()
            return
        self.filter_query = answer.query
        found = answer.results
        self.show_results(found)
        if new_search and found:  # a new search starts at its newest story
            self.table.move_cursor(row=0)


def placeholder_text(pane: HeadlinesPane) -> str:
    """What an empty pane says, for the view it is in."""
    if not pane.loaded:
        return "loading…"
    if pane.feeds.name is not None:
        return pane.feeds.placeholder()
    if pane.results is not None:
        return f"no headline matches {pane.filter_text!r}"
    if pane.headlines and not pane.show_all:
        return f"no headline matches the topic query ({len(pane.headlines)} others: *)"
    return "no headlines yet"


def title_text_of(pane: HeadlinesPane) -> str:
    """The pane's title: the view it is in (filter, feed, all, topic) and its count."""
    if pane.filter_error:
        return f"Headlines · filter {pane.filter_text!r}: {pane.filter_error}"
    if pane.feeds.name is not None:
        return pane.feeds.title(len(pane.order))
    if pane.results is not None:
        return f"Headlines · filter: {pane.filter_text} ({len(pane.order)})"
    if pane.show_all:
        return "Headlines · all stories (◆ topic match)"
    return "Headlines" + pane.related.title()
