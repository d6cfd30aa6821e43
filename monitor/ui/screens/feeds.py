"""The feeds (`f` in the Headlines pane, newsboat's habit): every feed of the config with
its health and what is stored of it; Enter shows one feed's stories in the pane.

The rows are built by :func:`feed_rows` (pure: no Textual), from the engine's sources
and the store's per-feed counts, so a test can hold them against the store.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label, Static

from monitor.formatting import Zones
from monitor.model import FeedCounts, SourceStatus
from monitor.ui.columns import Column, fit, widest
from monitor.ui.widgets.cell_table import RowTable
from monitor.ui.widgets.statusbar import HEALTHY, health_words

if TYPE_CHECKING:
    from monitor.ui.engine_api import EngineAPI

#: the first row: back to the topic view of every feed
ALL_FEEDS = ""

COLUMNS = (
    Column("feed", "feed", minimum=12, priority=0),
    Column("health", "health", minimum=12, priority=1, flexible=True),
    Column("stories", "stories", priority=1),
    Column("matched", "◆ topic", priority=3),
    Column("unread", "● unread", priority=1),
    Column("last_ok", "last ok", priority=4),
)


#: a feed's name, then its health, read whole before the less needed columns show
READ_WHOLE = {"feed": 1, "health": 2}


@dataclass(frozen=True, slots=True)
class FeedRow:
    """One feed as the list shows it (``name`` ALL_FEEDS: the topic view of all)."""

    name: str
    health: str
    healthy: bool
    counts: FeedCounts
    last_ok: datetime | None = None

    def cells(self, zones: Zones, now: datetime) -> dict[str, Text]:
        style = "green" if self.healthy else "bold yellow"
        mark = "" if self.healthy else "⚠ "
        label = "All feeds: the topic view" if self.name == ALL_FEEDS else self.name
        return {
            "feed": Text(label, style="bold" if self.name == ALL_FEEDS else ""),
            "health": Text(mark + self.health, style=style, no_wrap=True, overflow="ellipsis"),
            "stories": Text(str(self.counts.stories), justify="right"),
            "matched": Text(str(self.counts.matched), justify="right", style="magenta"),
            "unread": Text(str(self.counts.unread), justify="right", style="bold cyan"),
            "last_ok": Text(zones.stamp(self.last_ok, now) if self.last_ok else "", style="dim"),
        }


def feed_rows(
    sources: Iterable[SourceStatus],
    counts: Mapping[str, FeedCounts],
    now: datetime,
    zones: Zones,
) -> list[FeedRow]:
    """'All feeds' first, then the config's feeds in its order, then feeds that are
    no longer in the config but have stored stories."""
    empty = FeedCounts(0, 0, 0)
    feeds = [s for s in sources if s.kind == "feed"]
    failing = sum(s.status not in HEALTHY for s in feeds)
    total = FeedCounts(
        sum(c.stories for c in counts.values()),
        sum(c.matched for c in counts.values()),
        sum(c.unread for c in counts.values()),
    )
    summary = f"{len(feeds) - failing} of {len(feeds)} ok" if feeds else "no feeds configured"
    rows = [FeedRow(ALL_FEEDS, summary, not failing, total)]
    for source in feeds:
        words = health_words(source, now, zones)
        healthy = source.status in HEALTHY
        rows.append(
            FeedRow(source.name, words, healthy, counts.get(source.name, empty), source.last_ok)
        )
    named = {s.name for s in feeds}
    for name in sorted(set(counts) - named):
        rows.append(FeedRow(name, "not in the config now", True, counts[name]))
    return rows


class FeedsScreen(ModalScreen[str | None]):
    """Dismisses with the chosen feed's name, ALL_FEEDS for the topic view, or None."""

    BINDINGS = [Binding("escape,f", "dismiss(None)", "Close", id="close_feeds")]

    def __init__(self, engine: EngineAPI, zones: Zones, current: str | None = None) -> None:
        super().__init__(classes="dialog-screen")
        self.engine = engine
        self.zones = zones
        self.current = current
        self.rows: list[FeedRow] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide-dialog", id="feeds-dialog"):
            yield Label(Text("Feeds", style="bold"))
            yield RowTable(id="feeds-table", cursor_type="row")
            yield Static(
                Text("Enter shows a feed's stories · Esc or f closes", style="dim"),
                classes="dialog-hint",
            )

    @property
    def table(self) -> DataTable[Any]:
        return self.query_one("#feeds-table", DataTable)

    def on_mount(self) -> None:
        self.table.loading = True
        self._load()

    @work(exclusive=True, exit_on_error=False)
    async def _load(self) -> None:
        counts = await self.engine.feed_counts()
        now = self.engine.clock.now()
        self.rows = feed_rows(self.engine.sources(), counts, now, self.zones)
        self.call_after_refresh(self._fill)  # laid out by then: the width is known

    def on_resize(self) -> None:
        if self.rows:
            self._fill()

    def _fill(self) -> None:
        now = self.engine.clock.now()
        table = self.table
        cells = [row.cells(self.zones, now) for row in self.rows]
        natural = {c.key: widest([r[c.key].plain for r in cells]) for c in COLUMNS}
        room = self.query_one("#feeds-dialog").scrollable_content_region.width - 1
        columns = [
            replace(c, ideal=natural[c.key], ideal_priority=READ_WHOLE[c.key])
            if c.key in READ_WHOLE
            else c
            for c in COLUMNS
        ]
        widths = fit(columns, max(30, room), natural)
        table.clear(columns=True)
        for column in COLUMNS:
            if column.key in widths:
                table.add_column(Text(column.header), key=column.key, width=widths[column.key])
        for row, row_cells in zip(self.rows, cells, strict=True):
            table.add_row(*(row_cells[k] for k in widths), key=row.name or "__all__")
        table.loading = False
        names = [row.name for row in self.rows]
        if self.current in names:
            table.move_cursor(row=names.index(self.current))
        table.focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.dismiss(self.rows[event.cursor_row].name)
