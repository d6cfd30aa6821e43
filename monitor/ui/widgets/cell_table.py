"""Cheap updates of a busy table: changes that arrive within one frame are applied
together after it (``PerFrame``), and the cells they change are repainted alone
(``CellTable.set_cells``); rows are added, dropped and put in order without building the
others again (``CellTable.place_rows``: DataTable can add a row only at its end), and
so are columns (``CellTable.set_columns``).

A table of many rows whose cells change often may keep the rows out of view as they
were: its owner marks them stale and hands ``CellTable.fresh`` the changes that bring
the rows in view up to date, which the table asks for before it paints any line (a
scroll, a taller pane, a cursor moving down: whatever brings a row into view).

Textual's ``DataTable.update_cell`` drops the rendering of every cell of the table
(its caches are keyed by one update counter) and repaints the whole widget, once per
call. A watchlist of 200 symbols that ticks every second would render every visible
cell again, several times a frame. ``set_cells`` writes many cells at once, forgets
only their own renderings and marks only their rows for repainting.  A one-line text
cell is rendered in half the time DataTable takes (the same segments: its text is laid
out once, not padded, styled and split into lines again through three renderables),
and a line of a row with what every line of the paint shares worked out once per paint
(``cell_lines.Paint``: the columns' widths, the console's options, the header's and the
cursor's styles, which DataTable works out again for every line or cell).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cached_property
from typing import Any, ClassVar, Generic, TypeVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual._two_way_dict import TwoWayDict
from textual.binding import Binding, BindingType
from textual.coordinate import Coordinate
from textual.geometry import Region, Size
from textual.reactive import Reactive
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist, CellKey, ColumnKey, RowKey

from monitor.ui.widgets.cell_cache import Rendered
from monitor.ui.widgets.cell_lines import Paint, extend_style, padded_line

K = TypeVar("K")
V = TypeVar("V")

#: one cell to rewrite: row key, column key, new value
CellChange = tuple[str, str, Any]
#: cell styles kept per table (a screenful of cells, with and without the cursor)
PRE_STYLES_KEPT = 1024


class RowTable(DataTable[Any]):
    """A table read as a list of rows: Home and End move the cursor to the first and
    the last row, as in any list (a DataTable's own scroll sideways; ctrl+home and
    ctrl+end still do what they did)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("home", "scroll_top", "First row", show=False),
        Binding("end", "scroll_bottom", "Last row", show=False),
    ]


class CellTable(RowTable):
    """A DataTable whose many-cell updates repaint only the rows they touch and render
    again only the cells they change."""

    #: the changes that bring the rows named up to date (the rows in view), asked for
    #: before lines are painted; None: every row always is
    fresh: Callable[[set[str]], list[CellChange]] | None = None

    #: Widget's, without its layout of the whole screen (30-70 ms under a moving market,
    #: for a price a digit wider or a headline's row): a table as tall and wide as its
    #: pane gives it (never ``auto``) moves its scrollbars only (``watch_virtual_size``)
    virtual_size: Reactive[Size] = Reactive(Size(0, 0), repaint=True)

    def watch_virtual_size(self, size: Size) -> None:
        height, width = self.styles.height, self.styles.width
        if height is None or height.is_auto or (width is not None and width.is_auto):
            self.refresh(layout=True)  # its size follows its content: as Widget does
        else:  # what a layout does for a ScrollView whose virtual size moved
            self._scroll_update(size)  # (a scrollbar shown or hidden lays out again)

    def rows_in_view(self) -> set[str]:
        """The keys of the rows with a line in view (and the one under the header)."""
        top = round(self.scroll_offset.y)
        return {str(row.value) for row, _ in self._y_offsets[top : top + self.size.height]}

    #: the widget's style while lines are painted (``rich_style``)
    _painting: Style | None = None
    #: while lines are painted: the columns' widths and the header's style
    _paint: Paint | None = None

    def render_lines(self, crop: Region) -> list[Strip]:
        if self.fresh is not None:  # the lines about to be painted are painted from them
            self._write(self.fresh(self.rows_in_view()), repaint=False)
        self._painting = super().rich_style
        self._paint = Paint(self)
        try:
            return super().render_lines(crop)
        finally:
            self._painting = self._paint = None

    @property
    def rich_style(self) -> Style:
        """Worked out once per paint: DataTable asks twice for each line painted, and
        each answer walks every ancestor's styles (a tenth of the live CPU)."""
        return self._painting if self._painting is not None else super().rich_style

    def _render_line_in_row(
        self,
        row_key: RowKey,
        line_no: int,
        base_style: Style,
        cursor_location: Coordinate,
        hover_location: Coordinate,
    ) -> tuple[list[list[Segment]], list[list[Segment]]]:
        """``DataTable._render_line_in_row`` for a table without fixed columns and row
        labels, with what every line of a paint shares worked out once per paint (the
        columns' widths, the header's style: DataTable asks for it on every line, and
        it walks every ancestor's styles); the same segments, cached the same way."""
        paint = self._paint
        if paint is None or self.fixed_columns or self._labelled_row_exists:
            return super()._render_line_in_row(
                row_key, line_no, base_style, cursor_location, hover_location
            )
        cursor_type, show_cursor = self.cursor_type, self.show_cursor
        cache_key = (
            row_key,
            line_no,
            base_style,
            cursor_location,
            hover_location,
            cursor_type,
            show_cursor,
            self._show_hover_cursor,
            self._update_count,
            self._pseudo_class_state,
        )  # fmt: skip  (DataTable's key)
        cached = self._row_render_cache.get(cache_key)
        if cached is not None:
            return cached
        row_index = self._row_locations.get(row_key)
        if row_index is None:
            row_index = -1  # the header
        row_style = paint.row_style(row_index, base_style)
        highlight, render_cell = self._should_highlight, self._render_cell
        scrollable_row = []
        for column_index, width in enumerate(paint.widths):
            at = Coordinate(row_index, column_index)
            lines = render_cell(
                row_index,
                column_index,
                row_style,
                width,
                cursor=highlight(cursor_location, at, cursor_type),
                hover=highlight(hover_location, at, cursor_type),
            )
            scrollable_row.append(lines[line_no])
        remaining = max(0, self.size.width - paint.table_width)
        extend = extend_style(self, row_index, row_style, cursor_location, hover_location)
        scrollable_row.append([Segment(" " * remaining, extend)])
        row_pair: tuple[list[list[Segment]], list[list[Segment]]] = ([], scrollable_row)
        self._row_render_cache[cache_key] = row_pair
        return row_pair

    def _render_cell(
        self,
        row_index: int,
        column_index: int,
        base_style: Style,
        width: int,
        cursor: bool = False,
        hover: bool = False,
    ) -> list[list[Segment]]:
        """A one-line Text cell as ``DataTable._render_cell`` renders it, the cell's
        text rendered once (DataTable renders it padded, styled and split into lines
        again); every other cell as DataTable renders it."""
        row_key = self._row_locations.get_key(row_index)
        column_key = self._column_locations.get_key(column_index)
        if row_key is None or column_key is None:  # the header: never written by set_cells
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        cache_key = (
            row_key,
            column_key,
            base_style,
            cursor,
            hover,
            self._show_hover_cursor,
            self._update_count,
            self._pseudo_class_state,
        )  # fmt: skip  (as DataTable keys it: ``set_cells`` forgets it)
        cached = self._cell_render_cache.get(cache_key)
        if cached is not None:
            return cached
        self._rendered.note((row_key, column_key), cache_key, self._update_count)
        cell = self._get_row_renderables(row_index).cells[column_index]
        pad = self.cell_padding
        if (
            row_index < self.fixed_rows
            or column_index < self.fixed_columns
            or self.rows[row_key].height != 1
            or not isinstance(cell, Text)
            or width <= 2 * pad
        ):
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        paint = self._paint or Paint(self)
        component_style, post_style = paint.cell_styles(hover, cursor)
        pre_style = self._pre_style(row_index, column_index, base_style, component_style)
        options = paint.options(width - 2 * pad)
        lines = [padded_line(paint.console, options, cell, pad, pre_style, post_style)]
        self._cell_render_cache[cache_key] = lines
        return lines

    @cached_property
    def _rendered(self) -> Rendered:
        """The keys of each cell's cached renderings (``_forget`` drops them)."""
        return Rendered(self._cell_render_cache)  # (DataTable never replaces its cache)

    #: each cell's style before its own, by place and styles (see ``_pre_style``)
    _pre_styles: dict[tuple[int, int, Style, Style], Style] | None = None

    def _pre_style(self, row: int, column: int, base_style: Style, component: Style) -> Style:
        """``base_style + meta + component`` as DataTable styles a cell (the meta says
        where it is, for the mouse), kept: a cell changed each second is at one place."""
        styles = self._pre_styles
        if styles is None or len(styles) > PRE_STYLES_KEPT:
            styles = self._pre_styles = {}
        key = (row, column, base_style, component)
        style = styles.get(key)
        if style is None:
            meta = Style.from_meta({"row": row, "column": column})
            style = styles[key] = base_style + meta + component
        return style

    def set_cells(self, changes: Iterable[CellChange]) -> None:
        """Write ``changes``; the widths of the columns stay as they are (as
        ``update_cell`` without ``update_width``)."""
        self._write(changes, repaint=True)

    def _write(self, changes: Iterable[CellChange], repaint: bool) -> None:
        cells: set[tuple[RowKey, ColumnKey]] = set()
        rows: dict[str, RowKey] = {}  # each row and column checked once
        columns: dict[str, ColumnKey] = {}
        for row, column, value in changes:
            row_key, column_key = rows.get(row), columns.get(column)
            if row_key is None:
                row_key = rows[row] = RowKey(row)
                if row_key not in self._row_locations:
                    raise CellDoesNotExist(f"No cell exists for row_key={row!r}.")
            if column_key is None:
                column_key = columns[column] = ColumnKey(column)
                if column_key not in self._column_locations:
                    raise CellDoesNotExist(f"No cell exists for column={column!r}.")
            self._data[row_key][column_key] = value
            cells.add((row_key, column_key))
        if cells:
            self._forget(set(rows.values()), cells, repaint)

    def _forget(
        self, rows: set[RowKey], cells: set[tuple[RowKey, ColumnKey]], repaint: bool = True
    ) -> None:
        """Drop the cached renderings of the changed cells and of the lines holding them
        (every other cell keeps its own), and repaint those rows alone."""
        self._rendered.forget(cells, self._update_count)
        for line in [k for k in self._row_render_cache.keys() if k[0] in rows]:
            self._row_render_cache.discard(line)
        for row in rows:  # keyed by the update count and the row's place
            index = self._row_locations.get(row)
            if index is not None:
                self._row_renderable_cache.discard((self._update_count, index))
        self._line_cache.clear()  # keyed by screen line: rebuilt from the row renderings
        if not repaint:
            return
        window, offset = self.window_region, self.scroll_offset
        if not self.fixed_rows:  # the lines in view (and a header's more): their rows
            rows = rows & {row for row, _ in self._y_offsets[offset.y : offset.y + window.height]}
        shown = [r.translate(-offset) for r in self.row_regions(rows) if r.overlaps(window)]
        if shown:  # one refresh for them all (as DataTable.refresh_row, each)
            self.refresh(*merged(shown))

    def row_regions(self, rows: set[RowKey]) -> list[Region]:
        """``DataTable._get_row_region`` of each of ``rows`` in the table, in one pass
        over the rows' heights (it sums the heights above each row again)."""
        columns = sum(column.get_render_width(self) for column in self.columns.values())
        width = max(self.size.width, columns + self._row_label_column_width)
        y, regions = self.header_height if self.show_header else 0, []
        for row in self.ordered_rows:
            if row.key in rows:
                regions.append(Region(0, y, width, row.height))
                if len(regions) == len(rows):
                    break
            y += row.height
        return regions

    def place_rows(self, order: Sequence[str], added: Mapping[str, Sequence[Any]]) -> None:
        """The rows become ``order``: the rows of ``added`` (their cells in column order)
        are added, the rows ``order`` leaves out dropped, and all put in that order, as
        ``DataTable.sort`` orders them. The rows kept keep their cells."""
        for key, cells in added.items():
            self.add_row(*cells, key=key)
        keep = set(order)
        for row in [row for row in self.rows if row.value not in keep]:
            for column in self._data.pop(row):
                self._updated_cells.discard(CellKey(row, column))
            del self.rows[row]
        if len(self.rows) != len(order):
            raise CellDoesNotExist(f"rows {sorted(keep - set(self._data))!r} do not exist")
        self._row_locations = TwoWayDict({RowKey(key): i for i, key in enumerate(order)})
        self._require_update_dimensions = True  # the height of the table moved
        # every cached rendering is keyed by it, and the rows' order (``ordered_rows``):
        # first, so that the cursor's watchers and the pane's next move find it worked out
        self._update_count += 1
        self.cursor_coordinate = self.cursor_coordinate  # kept within the rows
        self.check_idle()  # the new height is measured then, as after add_row
        self.refresh()

    def set_columns(
        self, widths: Mapping[str, int], added: Mapping[str, tuple[Text, Mapping[str, Any]]]
    ) -> None:
        """The columns become ``widths``, in that order and that wide: the columns of
        ``added`` come with their label and their cell in every row (by row key), the
        columns ``widths`` leaves out go; the rows, and the cells of the columns kept,
        stay as they are."""
        for column in [c for c in self.columns if c.value not in widths]:
            self.remove_column(column)
        for key, (label, cells) in added.items():
            column_key = self.add_column(label, key=key, width=widths[key])
            for row, data in self._data.items():
                data[column_key] = cells[str(row.value)]
                self._updated_cells.discard(CellKey(row, column_key))  # its width is set
        for key, width in widths.items():
            self.columns[ColumnKey(key)].width = width
        self._column_locations = TwoWayDict({ColumnKey(key): i for i, key in enumerate(widths)})
        self._require_update_dimensions = True  # the table's width moved
        self._update_count += 1
        self.check_idle()
        self.refresh()


def merged(regions: list[Region]) -> list[Region]:
    """``regions`` (rows' regions, top to bottom) with each run of rows one below the
    other as one region: the same area, fewer regions for the compositor to cut."""
    out: list[Region] = []
    for region in regions:
        last = out[-1] if out else None
        if last and (last.x, last.width, last.bottom) == (region.x, region.width, region.y):
            out[-1] = Region(last.x, last.y, last.width, last.height + region.height)
        else:
            out.append(region)
    return out


class OutOfView:
    """The rows of a table whose cells are worked out in view only: the others are
    marked stale, and brought up to date when they come into view (``CellTable.fresh``)."""

    def __init__(self) -> None:
        self.stale: set[str] = set()

    def split(self, table: CellTable, keys: Iterable[str]) -> list[str]:
        """Those of ``keys`` in view; the others are stale from now on."""
        in_view, shown = table.rows_in_view(), []
        for key in keys:
            if key in in_view:
                shown.append(key)
            else:
                self.stale.add(key)
        return shown

    def due(self, in_view: set[str]) -> set[str]:
        """The stale rows of ``in_view``, up to date from now on."""
        due = self.stale & in_view
        self.stale -= due
        return due


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
