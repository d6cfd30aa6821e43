"""Cheap updates of a busy table: changes that arrive within one frame are applied
together after it (``PerFrame``), and the cells they change are repainted alone
(``CellTable.set_cells``).

Textual's ``DataTable.update_cell`` drops the rendering of every cell of the table
(its caches are keyed by one update counter) and repaints the whole widget, once per
call. A watchlist of 200 symbols that ticks every second would render every visible
cell again, several times a frame. ``set_cells`` writes many cells at once, forgets
only their own renderings and marks only their rows for repainting.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Generic, TypeVar

from textual.widget import Widget
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist, ColumnKey, RowKey

K = TypeVar("K")
V = TypeVar("V")

#: one cell to rewrite: row key, column key, new value
CellChange = tuple[str, str, Any]


class CellTable(DataTable[Any]):
    """A DataTable whose many-cell updates repaint only the rows they touch and render
    again only the cells they change."""

    def set_cells(self, changes: Iterable[CellChange]) -> None:
        """Write ``changes``; the widths of the columns stay as they are (as
        ``update_cell`` without ``update_width``)."""
        cells: set[tuple[RowKey, ColumnKey]] = set()
        for row, column, value in changes:
            row_key, column_key = RowKey(row), ColumnKey(column)
            if row_key not in self._row_locations or column_key not in self._column_locations:
                raise CellDoesNotExist(f"No cell exists for row_key={row!r}, column={column!r}.")
            self._data[row_key][column_key] = value
            cells.add((row_key, column_key))
        if cells:
            self._forget({row for row, _ in cells}, cells)

    def _forget(self, rows: set[RowKey], cells: set[tuple[RowKey, ColumnKey]]) -> None:
        """Drop the cached renderings of the changed cells and of the lines holding them
        (every other cell keeps its own), and repaint those rows alone."""
        indexes = {self._row_locations.get(row) for row in rows}
        for cell in [k for k in self._cell_render_cache.keys() if (k[0], k[1]) in cells]:
            self._cell_render_cache.discard(cell)
        for line in [k for k in self._row_render_cache.keys() if k[0] in rows]:
            self._row_render_cache.discard(line)
        for row in [k for k in self._row_renderable_cache.keys() if k[1] in indexes]:
            self._row_renderable_cache.discard(row)
        self._line_cache.clear()  # keyed by screen line: rebuilt from the row renderings
        window, offset = self.window_region, self.scroll_offset
        regions = [self._get_row_region(i) for i in indexes if i is not None]
        shown = [r.translate(-offset) for r in regions if r.overlaps(window)]
        if shown:  # one refresh for them all (as DataTable.refresh_row, each)
            self.refresh(*shown)


class PerFrame(Generic[K, V]):
    """Items that arrive within one frame, the newest per key, handed to ``apply`` once
    after the frame is painted (a stream sends many batches a second)."""

    def __init__(self, widget: Widget, apply: Callable[[dict[K, V]], None]) -> None:
        self._widget = widget
        self._apply = apply
        self._items: dict[K, V] = {}

    def add(self, items: Mapping[K, V]) -> None:
        if not items:
            return
        scheduled = bool(self._items)
        self._items.update(items)
        if not scheduled:
            self._widget.call_after_refresh(self._flush)

    def _flush(self) -> None:
        items, self._items = self._items, {}
        if items:
            self._apply(items)
