"""One line of a one-line text cell, as ``DataTable._render_cell`` paints it, and what
every line of one paint of a table shares (``Paint``).

DataTable renders a cell through Padding, Styled and the console's ``render_lines``:
the text is wrapped, joined and split into lines again for one line.  A cell that fits
its column, left as it is or put to the right (the watchlist's prices and changes, most
cells of a frame), is laid out here in one step into the same segments; any other cell
goes the console's way.  ``tests/ui/test_cell_table.py`` holds both to the same
segments, on the table's own cells and on random ones.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from rich.cells import get_character_cell_size
from rich.console import Console, ConsoleOptions
from rich.segment import Segment
from rich.style import Style
from rich.text import Span, Text
from textual.color import Color
from textual.coordinate import Coordinate
from textual.widgets import DataTable

_NULL = Style.null()  # the style of Padding's blanks ("none")


def padded_line(
    console: Console,
    options: ConsoleOptions,
    cell: Text,
    pad: int,
    pre_style: Style,
    post_style: Style,
) -> list[Segment]:
    """One line of ``cell`` as wide as ``options`` say with ``pad`` blanks either side,
    styled between ``pre_style`` and ``post_style``: the line that ``Padding`` and
    ``Styled`` give in ``DataTable._render_cell`` for a one-line cell."""
    width = options.max_width
    cell = fitted(cell, width)
    line = _fits(console, options, cell, width)
    if line is None:
        options = options.update(no_wrap=True)
        line = console.render_lines(cell, options, style=_NULL, pad=True)[0]
    if pad:
        line = [Segment(" " * pad, _NULL), *line, Segment(" " * pad, _NULL)]
    return list(Segment.apply_style(line, pre_style, post_style))


def _fits(
    console: Console, options: ConsoleOptions, cell: Text, width: int
) -> list[Segment] | None:
    """The segments ``render_lines`` gives a cell that fits ``width`` with nothing to
    cut, expand or strip, justified by default or to the right; None for any other.

    Rich's way for such a cell: the line is the text itself (right: blanks put before it,
    in the text's own style); joined into a new text, the line's style becomes a span over
    all of it; that text renders into a segment between every two span edges, and the
    line is padded to ``width`` with a blank of no style."""
    plain = cell.plain
    justify = cell.justify or options.justify or "default"
    if justify not in ("default", "right") or "\n" in plain or "\t" in plain:
        return None
    length = cell.cell_len
    if length > width or (justify == "right" and plain[-1:].isspace()):
        return None
    shift = width - length if justify == "right" else 0
    if shift:
        plain = " " * shift + plain
    if not cell.spans:  # what Text.render gives for no span, or one over all of it
        if not cell.style:
            line = [Segment(plain)]
        else:
            line = [Segment(plain, console.get_style(cell.style, default=_NULL))] if plain else []
    else:
        spans = [Span(0, len(plain), cell.style)] if cell.style else []
        spans.extend(Span(start + shift, end + shift, style) for start, end, style in cell.spans)
        joined = Text(plain, end="")
        joined.spans = spans
        line = list(joined.render(console))
    if length + shift < width:
        line.append(Segment(" " * (width - length - shift), _NULL))
    return line


def fitted(cell: Text, width: int) -> Text:
    """``cell`` cut to ``width`` with its "…" right after the last character kept, where
    Rich would leave a blank before it (a wide character, such as a Chinese one, that
    does not fit the one cell left: "恶意攻 …"); Rich pads the line's end instead."""
    if cell.overflow != "ellipsis" or width < 2 or cell.cell_len <= width:
        return cell
    used = 0
    for index, character in enumerate(cell.plain):
        size = get_character_cell_size(character)
        if used + size > width - 1:
            if used == width - 1:
                return cell  # the cut falls between characters: Rich's own is right
            cut = cell[:index]
            cut.append("…")
            return cut
        used += size
    return cell


class Paint:
    """What every line of one paint of a table shares: the columns' widths and the
    styles of the header (and of fixed or striped rows), worked out once."""

    def __init__(self, table: DataTable[Any]) -> None:
        self.table = table
        self._styles: dict[str, Style] = {}
        self.console = table.app.console
        self._options: dict[int, ConsoleOptions] = {}
        self._cell_styles: dict[tuple[bool, bool], tuple[Style, Style]] = {}

    @cached_property
    def widths(self) -> list[int]:
        """Each column's width, in order."""
        return [column.get_render_width(self.table) for column in self.table.ordered_columns]

    @cached_property
    def table_width(self) -> int:
        return sum(self.widths) + self.table._row_label_column_width

    def options(self, width: int) -> ConsoleOptions:
        """The app's console options for one line ``width`` wide."""
        options = self._options.get(width)
        if options is None:
            console_options = self.table.app.console_options
            options = self._options[width] = console_options.update_dimensions(width, 1)
        return options

    def cell_styles(self, hover: bool, cursor: bool) -> tuple[Style, Style]:
        """A body cell's component and post styles (``_get_styles_to_render_cell``)."""
        styles = self._cell_styles.get((hover, cursor))
        if styles is None:
            table = self.table
            css_fg = table.cursor_foreground_priority == "css"
            css_bg = table.cursor_background_priority == "css"
            styles = self._cell_styles[hover, cursor] = table._get_styles_to_render_cell(
                False, False, False, hover, cursor, table.show_cursor, table._show_hover_cursor,
                css_fg, css_bg,
            )  # fmt: skip
        return styles

    def row_style(self, row_index: int, base_style: Style) -> Style:
        """``DataTable._get_row_style``, each component's style asked for once."""
        table = self.table
        if row_index == -1:
            return self._component("datatable--header")
        if row_index < table.fixed_rows:
            return self._component("datatable--fixed")
        if table.zebra_stripes:
            return self._component("datatable--odd-row" if row_index % 2 else "datatable--even-row")
        return base_style

    def _component(self, name: str) -> Style:
        style = self._styles.get(name)
        if style is None:
            style = self._styles[name] = self.table.get_component_styles(name).rich_style
        return style


def extend_style(
    table: DataTable[Any], row_index: int, row_style: Style, cursor: Coordinate, hover: Coordinate
) -> Style:
    """The style of the blank that fills the line past the last column (DataTable's)."""
    cursor_type = table.cursor_type
    if cursor_type == "row":
        extend, _ = table._get_styles_to_render_cell(
            row_index == -1, False, False,
            table._should_highlight(hover, Coordinate(row_index or 0, 0), cursor_type),
            row_index == cursor.row, table.show_cursor, table._show_hover_cursor, False, False,
        )  # fmt: skip
        extend = row_style + extend
    elif row_style.bgcolor is not None:
        background = table.background_colors[1]
        faded = Color.from_rich_color(row_style.bgcolor).blend(background, factor=0.25)
        extend = Style.from_color(color=row_style.color, bgcolor=faded.rich_color)
    else:
        extend = Style.from_color(row_style.color, row_style.bgcolor)
    return extend + Style.from_meta({"row": row_index, "column": 0, "out_of_bounds": True})
