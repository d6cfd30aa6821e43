"""Columns that fit: every table column has a minimum and a priority, and a pane's width
is shared out by them (pure: no Textual here, testable with plain numbers).

- A column is shown at no less than its ``minimum``: a symbol, a price, a change or the
  first word of a state is never cut; a column that cannot have its minimum is hidden,
  and so is every column of a lower priority (a larger ``priority`` number) after it.
  A column's ``ideal`` is given to it before any less important column is shown (a
  headline's title reads as a sentence before the outlet's name gets a column).
- Space left over goes to the shown columns in priority order, each up to its natural
  width (its widest cell now); the ``flexible`` column (a title, a message) takes
  whatever remains.

``fit`` returns the widths of the columns shown, in display order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

#: what a DataTable adds around each column's content (cell_padding 1 on each side)
CELL_PADDING = 2


@dataclass(frozen=True, slots=True)
class Column:
    """One table column as the layout sees it.

    ``minimum``: the narrowest it may be shown at (None: its natural width, i.e. never
    cut).  ``priority``: lower numbers are shown first, higher numbers give way first.
    ``ideal``: a width kept for it before any column (or ideal) of a lower priority
    than ``ideal_priority`` (None: its own priority) is shown.  ``flexible``: takes
    the space nobody else wants (at most one per table).  ``cap``: the widest it grows
    to (None: no cap).
    """

    key: str
    header: str = ""
    minimum: int | None = None
    priority: int = 0
    flexible: bool = False
    cap: int | None = None
    ideal: int | None = None
    ideal_priority: int | None = None


def fit(
    columns: Sequence[Column],
    room: int,
    natural: Mapping[str, int],
    padding: int = CELL_PADDING,
) -> dict[str, int]:
    """Widths (content cells, padding excluded) of the columns shown in ``room`` cells.

    ``natural``: each column's widest content now (a missing key counts as 0; a column
    whose natural width is 0 and which is not flexible has nothing to show: hidden).
    """
    wants = {c.key: _natural(c, natural) for c in columns}
    least = {c.key: _minimum(c, wants[c.key]) for c in columns}
    widths = _shown(columns, room, wants, least, padding)
    spare = room - sum(w + padding for w in widths.values())
    shown = sorted((c for c in columns if c.key in widths), key=lambda c: c.priority)
    for column in shown:  # priority order: the more important grow first
        if column.flexible:
            continue  # it takes what is left
        grow = min(spare, max(0, wants[column.key] - widths[column.key]))
        widths[column.key] += grow
        spare -= grow
    flexible = next((c for c in shown if c.flexible), None)
    if flexible is not None and spare > 0:
        cap = flexible.cap if flexible.cap is not None else widths[flexible.key] + spare
        widths[flexible.key] = max(widths[flexible.key], min(cap, widths[flexible.key] + spare))
    return {c.key: widths[c.key] for c in columns if c.key in widths}


def _shown(
    columns: Sequence[Column],
    room: int,
    wants: Mapping[str, int],
    least: Mapping[str, int],
    padding: int,
) -> dict[str, int]:
    """The columns shown at their minimums (plus the ideals that fit), taken in order of
    priority until one does not fit."""
    steps: list[tuple[int, int, Column]] = []  # (priority, 0: the column / 1: its ideal)
    for column in columns:
        if wants[column.key] or column.flexible:
            steps.append((column.priority, 0, column))
            if column.ideal is not None:
                ideal_priority = column.ideal_priority
                steps.append(
                    (column.priority if ideal_priority is None else ideal_priority, 1, column)
                )
    widths: dict[str, int] = {}
    used = 0
    for _, kind, column in sorted(steps, key=lambda step: step[:2]):  # stable: file order
        if kind == 1:
            if column.key not in widths:
                continue
            need = max(0, _ideal(column, wants[column.key]) - widths[column.key])
        else:
            need = least[column.key] + padding
        if used + need > room and widths:
            break
        widths[column.key] = widths.get(column.key, -padding) + need
        used += need
    return widths


def _natural(column: Column, natural: Mapping[str, int]) -> int:
    width = max(natural.get(column.key, 0), len(column.header) if natural.get(column.key) else 0)
    return min(width, column.cap) if column.cap is not None else width


def _minimum(column: Column, want: int) -> int:
    return want if column.minimum is None else min(column.minimum, want) or column.minimum


def _ideal(column: Column, want: int) -> int:
    if column.ideal is None:
        return 0
    return column.ideal if column.flexible else min(column.ideal, want)


def widest(cells: Sequence[str]) -> int:
    """The natural width of a column: its widest cell (in terminal cells)."""
    from rich.cells import cell_len

    return max((cell_len(cell) for cell in cells), default=0)
