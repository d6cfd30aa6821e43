"""The watchlist pane: one row per symbol, grouped as in the file, cheap to update.

A batch of quotes rewrites only the cells whose text changed (``CellTable.set_cells``),
and only in the rows in view: a row out of view is marked stale and its cells are
worked out when it comes into view, before it is painted (``CellTable.fresh``).  The
rows are rebuilt only when the structure changes (groups, collapse, sort order).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from itertools import chain
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable

from monitor.formatting import Zones
from monitor.model import Alert, Quote
from monitor.ui.messages import AlertFired, ConfigReloaded, QuotesArrived
from monitor.ui.widgets.cell_table import CellChange, CellTable, OutOfView, PerFrame
from monitor.ui.widgets.panes import Pane
from monitor.ui.widgets.quote_cells import age_cell, cell_key, quote_cells, state_cell
from monitor.ui.widgets.watchlist_columns import (
    FLASH_MARK,
    HEADER_PREFIX,
    HEADERS,
    columns_added,
    header_cells,
    look_moves_layout,
    pane_layout,
)

if TYPE_CHECKING:
    from monitor.ui.engine_api import EngineAPI

SORTS = ("file", "change", "symbol")
SORT_NAMES = {"file": "file order", "change": "change %", "symbol": "symbol"}
FLASH_SECONDS = 60.0


def row_key(group: str, symbol: str) -> str:
    return f"{group}\x1f{symbol}"


def sorted_symbols(symbols: list[str], mode: str, quotes: Mapping[str, Quote]) -> list[str]:
    """A group's symbols in the order of the sort ``mode``."""
    if mode == "symbol":
        return sorted(symbols)
    if mode == "change":

        def by_change(symbol: str) -> tuple[bool, float]:
            quote = quotes.get(symbol)
            pct = quote.change_pct if quote is not None and quote.usable else None
            return (pct is None, -(pct or 0.0))

        return sorted(symbols, key=by_change)
    return list(symbols)


def keys_by_symbol(rows: list[str]) -> dict[str, list[str]]:
    """The keys of each symbol's rows (a symbol may be in several groups)."""
    keys: dict[str, list[str]] = {}
    for key in (k for k in rows if not k.startswith(HEADER_PREFIX)):
        keys.setdefault(key.split("\x1f", 1)[1], []).append(key)
    return keys


def alert_symbols(alert: Alert) -> Iterable[str]:
    """The symbols an alert is about, its own first."""
    return dict.fromkeys([*([alert.symbol] if alert.symbol else []), *alert.symbols])


class WatchlistPane(Pane):
    BINDINGS = [
        Binding("enter", "open_symbol", "Chart", id="symbol_detail", show=False),
        Binding("s", "cycle_sort", "Sort", id="cycle_sort"),
        Binding("c", "toggle_group", "Collapse", id="toggle_group"),
        Binding("g", "next_group", "Group", id="next_group"),
        Binding("a", "edit_symbol('add')", "Add symbol", id="add_symbol", show=False),
        Binding("d", "edit_symbol('remove')", "Delete symbol", id="remove_symbol", show=False),
    ]

    def __init__(self) -> None:
        super().__init__(id="watchlist", title="Watchlist")
        self.groups: dict[str, list[str]] = {}
        self.quotes: dict[str, Quote] = {}
        self.collapsed: set[str] = set()
        self.group_view: str | None = None  # show one group only, or all
        self.sort_mode = "file"
        self.rows: list[str] = []  # row keys as displayed
        self._shown: dict[str, dict[str, tuple[Any, ...]]] = {}  # what each cell shows
        self._out_of_view = OutOfView()  # rows whose cells are worked out in view only
        self._keys: dict[str, list[str]] = {}  # symbol -> its rows' keys
        self._flash: dict[str, float] = {}  # symbol -> monotonic expiry
        self._widths: dict[str, int] = {}  # the columns shown, and how wide
        self._short_badge = False  # '涨停↑' instead of '涨停 LIMIT↑' when space is short
        self._loaded = False
        self._incoming: PerFrame[str, Quote] = PerFrame(self, lambda q: self.apply_quotes(q))
        self._moved = False  # a cell's width moved the layout (``_widest``) since it was made
        self._widest: dict[str, int] = {}

    def compose(self) -> ComposeResult:
        table = CellTable(id="watchlist-table", cursor_type="row")
        table.fresh = self._up_to_date
        yield table

    def on_mount(self) -> None:
        self.rebuild()

    def on_resize(self) -> None:
        self._relayout()

    @property
    def table(self) -> CellTable:
        return self.query_one("#watchlist-table", CellTable)

    # ---- data in ------------------------------------------------------------------

    async def attach(self, engine: EngineAPI, zones: Zones) -> None:
        await super().attach(engine, zones)
        self._show_engine_state()

    def _show_engine_state(self) -> None:
        if self.engine is not None:
            self.set_groups(self.engine.groups)
            self.apply_quotes(self.engine.quotes())

    def on_quotes_arrived(self, message: QuotesArrived) -> None:
        """Batches that arrive within one frame are applied together, once, after it:
        each symbol's newest quote, its changed cells."""
        self._incoming.add(message.batch.quotes)

    def on_alert_fired(self, message: AlertFired) -> None:
        for symbol in alert_symbols(message.alert):
            self.flash(symbol)

    def on_config_reloaded(self, message: ConfigReloaded) -> None:
        if message.error is None:
            self._show_engine_state()

    def set_groups(self, groups: Mapping[str, list[str]]) -> None:
        self._loaded = True
        self.groups = {name: list(symbols) for name, symbols in groups.items()}
        self.collapsed &= set(self.groups)
        if self.group_view not in self.groups:
            self.group_view = None
        self.rebuild()

    def apply_quotes(self, quotes: Mapping[str, Quote]) -> None:
        self.quotes.update(quotes)
        if self._desired_rows() != self.rows:
            self.rebuild()  # the sort order moved (change % sort)
        else:
            self._update_rows(set(quotes))

    def tick(self) -> None:
        """Once a second the ages move on, the market states may, flashes expire: rewrite
        the cells that changed, in the rows in view (the others are stale: worked out in
        full when they come into view)."""
        now = time.monotonic()
        expired = {s for s, until in self._flash.items() if until <= now}
        for symbol in expired:
            del self._flash[symbol]
        if expired:
            self._update_rows(expired)
        at, changes = self.now(), list[CellChange]()
        for key in self._out_of_view.split(self.table, chain(*self._keys.values())):
            symbol = key.split("\x1f", 1)[1]
            quote = self.quotes.get(symbol)
            cells = {"age": age_cell(quote, at), "state": state_cell(symbol, quote, at)}
            self._show_cells(key, cells, changes)
        self._show_changes(changes)

    def flash(self, symbol: str, seconds: float = FLASH_SECONDS) -> None:
        """Highlight a symbol's row(s) for a while (an alert fired on it)."""
        self._flash[symbol] = time.monotonic() + seconds
        self._update_rows({symbol})

    # ---- structure ----------------------------------------------------------------

    def _layout(self) -> tuple[dict[str, int], bool]:
        room = self.size.width - 1  # less the scrollbar
        widths, short, self._widest = pane_layout(self._shown, self.groups, room, self._short_badge)
        return widths, short

    def _relayout(self) -> None:
        """Lay the columns out again when the cells no longer fit them (or fit better):
        the rows stay; a column shown anew gets its cells (the limit badges changing
        form change the cells of their column: then everything is built again)."""
        self._moved = False
        widths, short = self._layout()
        if (widths, short) == (self._widths, self._short_badge):
            return
        if short != self._short_badge or not self.rows:
            self.rebuild()
            return
        new = [column for column in widths if column not in self._widths]
        rows = {key: self._cells(key) for key in self.rows} if new else {}
        self.table.set_columns(widths, columns_added(new, rows, self._shown))
        self._widths = widths

    def _visible_groups(self) -> list[str]:
        return [g for g in self.groups if self.group_view in (None, g)]

    def _desired_rows(self) -> list[str]:
        rows = []
        for group in self._visible_groups():
            rows.append(HEADER_PREFIX + group)
            if group not in self.collapsed:
                rows.extend(
                    row_key(group, s)
                    for s in sorted_symbols(self.groups[group], self.sort_mode, self.quotes)
                )
        return rows

    def rebuild(self) -> None:
        table, selected = self.table, self.selected_row()
        self.rows = self._desired_rows()
        self._out_of_view.stale.clear()
        self._keys = keys_by_symbol(self.rows)
        cells = self._every_row()
        self._widths, short = self._layout()
        if short != self._short_badge:  # the badges change form: their cells change
            self._short_badge = short
            cells = self._every_row()
        table.clear(columns=True)
        for key, width in self._widths.items():
            table.add_column(Text(HEADERS[key], style="bold"), key=key, width=width)
        for key in self.rows:
            table.add_row(*(cells[key][c] for c in self._widths), key=key)
        if not self.rows:
            message = "no symbols in the watchlist" if self._loaded else "loading…"
            table.add_row(Text(message, style="dim italic"), key="\x00empty")
        if selected in self.rows:
            table.move_cursor(row=self.rows.index(selected), scroll=False)
        self._update_title()

    def _every_row(self) -> dict[str, dict[str, Text]]:
        """Every row's cells, noted as what the rows show."""
        cells = {key: self._cells(key) for key in self.rows}
        self._shown = {key: {c: cell_key(x) for c, x in row.items()} for key, row in cells.items()}
        return cells

    def _update_title(self) -> None:
        parts = ["Watchlist", *([self.group_view] if self.group_view else [])]
        if self.sort_mode != "file":
            parts.append(f"by {SORT_NAMES[self.sort_mode]}")
        self.set_title(" · ".join(parts))  # a group name is text, not markup

    # ---- cells --------------------------------------------------------------------

    def _cells(self, key: str) -> dict[str, Text]:
        if key.startswith(HEADER_PREFIX):
            return self._group_header(key.removeprefix(HEADER_PREFIX))
        symbol = key.split("\x1f", 1)[1]
        cells = quote_cells(symbol, self.quotes.get(symbol), self.now(), self._short_badge)
        streak = self._limit_streak(symbol)
        if streak > 1 and cells["note"].plain:
            cells["note"].append(f" ×{streak}", style="bold")
        if symbol in self._flash:
            cells["symbol"] = Text(f"{FLASH_MARK}{symbol}", style="bold reverse yellow")
        return cells

    def _group_header(self, group: str) -> dict[str, Text]:
        return header_cells(group, group in self.collapsed, len(self.groups.get(group, [])))

    def _limit_streak(self, symbol: str) -> int:
        """Consecutive limit-up sessions, when the engine has the daily history."""
        return (self.engine.limit_streak(symbol) or 0) if self.engine is not None else 0

    def _update_rows(self, symbols: Iterable[str]) -> None:
        """Rewrite the changed cells of the rows of ``symbols`` in view."""
        changes: list[CellChange] = []
        for key in self._out_of_view.split(
            self.table, [k for s in symbols for k in self._keys.get(s, ())]
        ):
            self._show_cells(key, self._cells(key), changes)
        self._show_changes(changes)

    def _up_to_date(self, in_view: set[str]) -> list[CellChange]:
        """The changed cells of the stale rows now in view (asked for before a paint);
        their columns are laid out again after, if a cell's width moved."""
        changes: list[CellChange] = []
        for key in self._out_of_view.due(in_view):
            self._show_cells(key, self._cells(key), changes)
        if self._moved:
            self.call_later(self._relayout)
        return changes

    def _show_cells(self, key: str, cells: Mapping[str, Text], out: list[CellChange]) -> None:
        """The cells of a row whose look changed, into ``out`` (hidden columns are
        remembered too: their width decides whether they are shown)."""
        shown = self._shown[key]
        for column, cell in cells.items():
            new, old = cell_key(cell), shown.get(column)
            if old != new:
                shown[column] = new
                self._moved |= look_moves_layout(column, old, new, self._widest)
                if column in self._widths:
                    out.append((key, column, cell))

    def _show_changes(self, changes: list[CellChange]) -> None:
        """Repaint the changed cells alone; lay the columns out again only when a
        cell's width changed (a price going from 99.99 to 100.00)."""
        self.table.set_cells(changes)
        if self._moved:
            self._relayout()

    # ---- selection and actions -----------------------------------------------------

    def selected_row(self) -> str | None:
        table = self.table
        if not self.rows or not 0 <= table.cursor_row < len(self.rows):
            return None
        return self.rows[table.cursor_row]

    def selected_symbol(self) -> str | None:
        key = self.selected_row()
        if key is None or key.startswith(HEADER_PREFIX):
            return None
        return key.split("\x1f", 1)[1]

    def selected_group(self) -> str | None:
        key = self.selected_row()
        if key is None:
            return None
        if key.startswith(HEADER_PREFIX):
            return key.removeprefix(HEADER_PREFIX)
        return key.split("\x1f", 1)[0]

    @on(DataTable.RowSelected, "#watchlist-table")
    def _row_chosen(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if self.selected_symbol() is None:
            self.action_toggle_group()
        else:
            self.action_open_symbol()

    def action_open_symbol(self) -> None:
        symbol = self.selected_symbol()
        if symbol is None or self.engine is None:
            return
        from monitor.ui.screens.symbol_detail import SymbolDetail

        self.app.push_screen(SymbolDetail(symbol, self.quotes.get(symbol), self.engine))

    def action_edit_symbol(self, how: str) -> None:  # the app's ConfigEdits asks and saves
        getattr(self.app.edits, f"{how}_symbol")()  # type: ignore[attr-defined]

    def action_cycle_sort(self) -> None:
        self.sort_mode = SORTS[(SORTS.index(self.sort_mode) + 1) % len(SORTS)]
        self.rebuild()
        self.app.notify(f"Watchlist sorted by {SORT_NAMES[self.sort_mode]}", timeout=2)

    def action_toggle_group(self) -> None:
        group = self.selected_group()
        if group is None:
            return
        self.collapsed ^= {group}
        self.rebuild()
        if HEADER_PREFIX + group in self.rows:
            self.table.move_cursor(row=self.rows.index(HEADER_PREFIX + group))

    def toggle_all_groups(self) -> None:
        self.collapsed = set() if self.collapsed else set(self.groups)
        self.rebuild()

    def action_next_group(self) -> None:
        """Show one group at a time, in file order, then all of them again."""
        names = [None, *self.groups]
        self.group_view = names[(names.index(self.group_view) + 1) % len(names)]
        self.rebuild()
