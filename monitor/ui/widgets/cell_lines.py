"""One line of a one-line text cell, as ``DataTable._render_cell`` paints it.

DataTable renders a cell through Padding, Styled and the console's ``render_lines``:
the text is wrapped, joined and split into lines again for one line.  A cell that fits
its column, left as it is or put to the right (the watchlist's prices and changes, most
cells of a frame), is laid out here in one step into the same segments; any other cell
goes the console's way.  ``tests/ui/test_cell_table.py`` holds both to the same
segments, on the table's own cells and on random ones.
"""

from __future__ import annotations

from rich.cells import get_character_cell_size
from rich.console import Console, ConsoleOptions
from rich.segment import Segment
from rich.style import Style
from rich.text import Span, Text

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
