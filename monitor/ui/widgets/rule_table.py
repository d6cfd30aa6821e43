"""The rules table's cells written in view only.

Every quote batch sends every rule's state, and most rules' values move with the
prices; the table shows a few of them at a time (ten of fifty on a 48-line screen).
The cells of the rows in view are written; the other rows are marked stale and
written when they come into view, before they are painted (``CellTable.fresh``), as
the watchlist does.  The columns are laid out from every rule's cells all the same
(the pane does that), so what comes into view fits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from rich.text import Text

from monitor.ui.columns import Column
from monitor.ui.widgets.cell_table import CellChange, CellTable, OutOfView
from monitor.ui.widgets.quote_cells import cell_key


class RuleCells:
    def __init__(self, table: CellTable) -> None:
        self.table = table
        self._out_of_view = OutOfView()
        self._rows: dict[str, dict[str, Text]] = {}  # each rule's newest cells
        self._shown: dict[str, dict[str, Text]] = {}  # the cells the table holds, by rule
        self._columns: list[str] = []
        table.fresh = self._up_to_date

    def filled(
        self, keys: Sequence[str], rows: Sequence[dict[str, Text]], columns: Iterable[str]
    ) -> None:
        """The table was built anew from ``rows`` (the cells of the rules ``keys``; a
        placeholder row, saying why there is no rule, has no key)."""
        self._rows = dict(zip(keys, rows, strict=False))
        self._shown = dict(self._rows)
        self._columns = list(columns)
        self._out_of_view.stale.clear()

    def set_columns(
        self,
        widths: Mapping[str, int],
        keys: Sequence[str],
        rows: Sequence[dict[str, Text]],
        columns: Sequence[Column],
    ) -> None:
        """The same rules in columns of new widths (``CellTable.set_columns``): a column
        shown anew comes with every rule's cell; the rows and the other cells stay."""
        self._rows = dict(zip(keys, rows, strict=True))
        headers = {c.key: c.header for c in columns}
        added = {
            column: (
                Text(headers[column], style="bold"),
                {k: r[column] for k, r in self._rows.items()},
            )
            for column in widths
            if column not in self._columns
        }
        self.table.set_columns(widths, added)
        self._columns = list(widths)

    def update(self, keys: Sequence[str], rows: Sequence[dict[str, Text]]) -> None:
        """The same rules and columns with newer cells: those in view are written."""
        self._rows = dict(zip(keys, rows, strict=True))
        moved = [key for key, row in self._rows.items() if self._shown.get(key) is not row]
        self.table.set_cells(self._changes(self._out_of_view.split(self.table, moved)))

    def _up_to_date(self, in_view: set[str]) -> list[CellChange]:
        return self._changes(self._out_of_view.due(in_view))

    def _changes(self, keys: Iterable[str]) -> list[CellChange]:
        """The cells of ``keys``'s rows whose look differs from the table's."""
        changes: list[CellChange] = []
        for key in keys:
            row = self._rows.get(key)
            if row is None:
                continue
            for column in self._columns:
                shown, cell = self.table.get_cell(key, column), row[column]
                if shown is not cell and cell_key(shown) != cell_key(cell):
                    changes.append((key, column, cell))
            self._shown[key] = row
        return changes
