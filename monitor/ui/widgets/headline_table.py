"""The headlines pane's table: built whole, or updated in place when stories arrive.

A new headline used to rebuild all of the pane's rows (300 of them: every cell made,
measured and rendered again).  ``place`` adds the new rows, drops the ones trimmed
away, rewrites the changed cells and puts the rows in order; the rows it keeps are
not built again.  What it shows is what a rebuild would show: when the columns would
be laid out otherwise, it leaves the table as it is and says so (the pane rebuilds).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.cells import cell_len
from rich.text import Text

from monitor.ui.widgets.cell_table import CellChange, CellTable
from monitor.ui.widgets.headline_rows import headline_layout, natural_widths, time_text

#: the key of the row that says why there is none
EMPTY_ROW = "__empty__"


class HeadlineTable(CellTable):
    def __init__(self) -> None:
        super().__init__(id="headline-table", cursor_type="row", show_header=False)
        self.widths: dict[str, int] = {}  # the columns shown, and how wide
        self._naturals: dict[str, dict[str, int]] = {}  # each row's cells' widths
        self._order: list[str] = []

    def build(self, order: Sequence[str], rows: Sequence[dict[str, Text]], marks: bool) -> None:
        """Every row anew: ``rows`` are the cells of ``order``'s stories (one placeholder
        row when there is none)."""
        keys = list(order) or [EMPTY_ROW]
        self._order = list(order)
        self._naturals = {key: natural_widths(cells) for key, cells in zip(keys, rows, strict=True)}
        self.widths = headline_layout(self._naturals.values(), marks, self.size.width - 1)
        self.clear(columns=True)
        for key, width in self.widths.items():
            self.add_column(Text(key if key == "title" else ""), key=key, width=width)
        for key, cells in zip(keys, rows, strict=True):
            self.add_row(*(cells[k] for k in self.widths), key=key)

    def place(
        self,
        order: Sequence[str],
        fresh: Mapping[str, dict[str, Text]],
        times: Mapping[str, str],
        marks: bool,
    ) -> bool:
        """The rows become ``order``: ``fresh`` holds the cells of every story new to
        the table or changed, ``times`` the words of every story's time cell now.  False, with the
        table left as it was, when a rebuild would lay the columns out otherwise."""
        if not order or not self._order:
            return False
        naturals = {}
        for story in order:
            cells = fresh.get(story)
            widths = natural_widths(cells) if cells else self._naturals[story]
            time = cell_len(times[story])
            if widths.get("time") != time:  # a copy: the table stays as it was on False
                widths = {**widths, "time": time}
            naturals[story] = widths
        if headline_layout(naturals.values(), marks, self.size.width - 1) != self.widths:
            return False
        present = set(self._order)
        changes: list[CellChange] = []
        for story, cells in fresh.items():
            if story in present:
                changes += [(story, key, cells[key]) for key in self.widths]
        if "time" in self.widths:
            for story in present.intersection(order).difference(fresh):
                if self.get_cell(story, "time").plain != times[story]:
                    changes.append((story, "time", time_text(times[story])))
        self.set_cells(changes)
        if list(order) != self._order:
            new = [story for story in order if story not in present]
            added = {story: [fresh[story][k] for k in self.widths] for story in new}
            self.place_rows(order, added)
        self._order, self._naturals = list(order), naturals
        return True
