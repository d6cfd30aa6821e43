"""The headlines pane: newest first, matched terms highlighted, unread marked, filterable."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.timer import Timer
from textual.widgets import DataTable, Input

from monitor.formatting import headline_time
from monitor.model import Headline
from monitor.text import has_controls, one_line, strip_controls
from monitor.ui.widgets.format import highlighted
from monitor.ui.widgets.panes import Pane

UNREAD = "●"
#: Wait this long after the last keystroke before asking the store (FTS) again.
FILTER_DEBOUNCE = 0.2
FIXED_WIDTHS = {"unread": 1, "time": 7, "source": 12, "outlets": 3}


@cache
def _span_finder() -> Any:
    from monitor.query import find_spans

    return find_spans


def title_text(headline: Headline) -> Text:
    """The title as plain text (never markup) with its matched query terms highlighted."""
    spans = _span_finder()(headline.title, list(headline.matched)) if headline.matched else []
    return highlighted(headline.title, spans)


#: stories kept on screen; the rest of the history is reached with the `/` filter
MAX_SHOWN = 300


class HeadlinesPane(Pane):
    BINDINGS = [
        Binding("enter", "open_detail", "Details", id="headline_detail", show=False),
        Binding("o", "open_link", "Open link", id="open_link"),
        Binding("x", "mark_all_read", "All read", id="mark_all_read", show=False),
        Binding("escape", "clear_filter", "Clear filter", id="clear_filter", show=False),
    ]

    def __init__(self) -> None:
        super().__init__(id="headlines", title="Headlines")
        self.headlines: dict[str, Headline] = {}  # story -> headline, as shown
        self.order: list[str] = []  # stories, newest first
        self.unread: set[str] = set()
        self._read: set[str] = set()  # marked read here this session
        self.filter_text = ""
        self._debounce: Timer | None = None
        self._loaded = False

    def compose(self) -> ComposeResult:
        yield Input(placeholder='filter: words, "phrase", a OR b, -not …', id="headline-filter")
        yield DataTable(id="headline-table", cursor_type="row", show_header=False)

    def on_mount(self) -> None:
        self._rebuild()

    @property
    def table(self) -> DataTable[Any]:
        return self.query_one("#headline-table", DataTable)

    # ---- data in ------------------------------------------------------------------

    def show(self, headlines: Iterable[Headline]) -> None:
        """Replace everything shown (stored headlines at start, or search results)."""
        self._loaded = True
        self.headlines = {h.story: h for h in headlines}
        # read locally but perhaps not yet in the store: keep what we know
        self.unread = {s for s, h in self.headlines.items() if h.new and s not in self._read}
        self._rebuild()

    def add(self, headlines: Iterable[Headline]) -> None:
        """Merge fresh headlines (new stories, or new outlets for a known story)."""
        self._loaded = True
        fresh: list[Headline] = []
        known: list[Headline] = []
        for headline in headlines:
            (known if headline.story in self.headlines else fresh).append(headline)
            self.headlines[headline.story] = headline
            if headline.new and headline.story not in self._read:
                self.unread.add(headline.story)
        self._trim()
        if self.filter_text:
            self._schedule_search()  # the store decides what matches the query
        if fresh or not self.order:
            self._rebuild()  # a new story takes its place in the order
        else:
            self._update_rows(known)  # another outlet of a shown story: its cells only

    def _update_rows(self, headlines: Iterable[Headline]) -> None:
        table, now = self.table, self.now()
        keys = list(FIXED_WIDTHS) + ["title"]
        for headline in headlines:
            if headline.story not in self.order:
                continue
            for key, cell in zip(keys, self._cells(headline, now), strict=True):
                table.update_cell(headline.story, key, cell)

    def _trim(self) -> None:
        """Keep the newest MAX_SHOWN stories on screen (older ones stay searchable with /):
        a pane open all day must not grow without bound."""
        if len(self.headlines) <= MAX_SHOWN:
            return
        keep = sorted(self.headlines, key=lambda s: self.headlines[s].published, reverse=True)
        self.headlines = {s: self.headlines[s] for s in keep[:MAX_SHOWN]}
        self.unread &= self.headlines.keys()
        self._read &= self.headlines.keys()

    def refresh_times(self) -> None:
        """Relative times ('5m ago') move on: rewrite only the time cells that changed."""
        table, now = self.table, self.now()
        for story in self.order:
            headline = self.headlines[story]
            text = headline_time(headline.published, now, self.tz)
            if table.get_cell(story, "time").plain != text:
                table.update_cell(story, "time", Text(text, style="dim"))

    # ---- rendering ----------------------------------------------------------------

    def on_resize(self) -> None:
        self._rebuild()

    def _title_width(self) -> int:
        padding = 2 * (len(FIXED_WIDTHS) + 1)  # one cell each side of every column
        return max(20, self.table.size.width - sum(FIXED_WIDTHS.values()) - padding - 1)

    def _rebuild(self) -> None:
        table = self.table
        selected = self.selected_story()
        self.order = sorted(self.headlines, key=lambda s: self.headlines[s].published, reverse=True)
        table.clear(columns=True)
        for key, width in FIXED_WIDTHS.items():
            table.add_column(Text(""), key=key, width=width)
        table.add_column(Text("title"), key="title", width=self._title_width())
        now = self.now()
        for story in self.order:
            table.add_row(*self._cells(self.headlines[story], now), key=story)
        if not self.order:
            table.add_row(*self._placeholder(), key="__empty__")
        self.select(selected)

    def _placeholder(self) -> list[Text]:
        if not self._loaded:
            message = "loading…"
        elif self.filter_text:
            message = f"no headline matches {self.filter_text!r}"
        else:
            message = "no headlines yet"
        return [Text(""), Text(""), Text(""), Text(""), Text(message, style="dim italic")]

    def _cells(self, headline: Headline, now: Any) -> list[Text]:
        extra = len({o.source for o in headline.outlets} - {headline.source})
        return [
            Text(UNREAD if headline.story in self.unread else "", style="bold cyan"),
            Text(headline_time(headline.published, now, self.tz), style="dim"),
            Text(headline.source, style="italic", no_wrap=True, overflow="ellipsis"),
            Text(f"+{extra}" if extra else "", style="bold"),
            title_text(headline),
        ]

    # ---- selection ----------------------------------------------------------------

    def selected_story(self) -> str | None:
        table = self.table
        if not self.order or table.row_count == 0:
            return None
        index = min(table.cursor_row, len(self.order) - 1)
        return self.order[index] if index >= 0 else None

    def selected(self) -> Headline | None:
        story = self.selected_story()
        return self.headlines.get(story) if story else None

    def select(self, story: str | None) -> None:
        if story in self.headlines and story in self.order:
            self.table.move_cursor(row=self.order.index(story))

    def jump_unread(self, step: int) -> bool:
        """Move to the next (step=1) or previous (-1) unread headline; False when none."""
        if not self.order:
            return False
        count, start = len(self.order), self.table.cursor_row
        for offset in range(1, count + 1):
            index = (start + step * offset) % count
            if self.order[index] in self.unread:
                self.table.move_cursor(row=index)
                return True
        return False

    def mark_read(self, stories: Iterable[str]) -> None:
        stories = [s for s in stories if s in self.unread]
        if not stories:
            return
        self.unread.difference_update(stories)
        self._read.update(stories)
        for story in stories:
            if story in self.order:
                self.table.update_cell(story, "unread", Text(""))
        if self.engine is not None:
            self._store_read(stories)

    @work(group="headline-read", exit_on_error=False)
    async def _store_read(self, stories: list[str]) -> None:
        assert self.engine is not None
        await self.engine.mark_read(stories)

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
        self.app.push_screen(HeadlineDetail(headline))

    def action_open_link(self) -> None:
        headline = self.selected()
        if headline is None:
            return
        from monitor.ui.screens.confirm_open import confirm_and_open

        self.mark_read([headline.story])
        confirm_and_open(self.app, headline.open_link)  # the outlet's own, if a feed gave it

    def action_mark_all_read(self) -> None:
        self.mark_read(list(self.unread))

    # ---- filter ------------------------------------------------------------------

    def start_filter(self) -> None:
        box = self.query_one(Input)
        box.add_class("-active")
        box.focus()

    def action_clear_filter(self) -> None:
        box = self.query_one(Input)
        box.value = ""
        box.remove_class("-active")
        self.table.focus()
        if self.filter_text:
            self.filter_text = ""
            self._schedule_search(delay=0)

    @on(Input.Changed, "#headline-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        # one keystroke only re-arms a timer; the search runs when typing pauses
        event.stop()
        if has_controls(event.value):  # a paste with escape sequences: they never show
            event.input.value = strip_controls(event.value)  # comes back as a new change
            return
        self.filter_text = one_line(event.value)
        self._schedule_search()

    @on(Input.Submitted, "#headline-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.table.focus()

    def _schedule_search(self, delay: float = FILTER_DEBOUNCE) -> None:
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(delay, self._search)

    def _search(self) -> None:
        self._debounce = None
        if self.engine is not None:
            self._run_search(self.filter_text)

    @work(exclusive=True, group="headline-search", exit_on_error=False)
    async def _run_search(self, text: str) -> None:
        assert self.engine is not None
        if text:
            found = await self.engine.search_headlines(text)
            # what the person typed is text, never markup
            self.border_title = Content(f"Headlines · filter: {text} ({len(found)})")
        else:
            found = await self.engine.recent_headlines()
            self.border_title = "Headlines"
        if text == self.filter_text:  # else typing moved on: a newer search will answer
            self.show(found)
