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
        self._times: dict[str, str] = {}  # the words of each row's time cell

    def time_of(self, story: str) -> str:
        """The words the story's time cell holds (``get_cell(story, "time").plain``)."""
        return self._times[story]

    def set_times(self, times: Mapping[str, str]) -> None:
        """Rewrite the time cells of these stories with these words."""
        self.set_cells((story, "time", time_text(words)) for story, words in times.items())
        self._times.update(times)

    def build(self, order: Sequence[str], rows: Sequence[dict[str, Text]], marks: bool) -> None:
        """Every row anew: ``rows`` are the cells of ``order``'s stories (one placeholder
        row when there is none)."""
        keys = list(order) or [EMPTY_ROW]
        self._order = list(order)
        self._naturals = {key: natural_widths(cells) for key, cells in zip(keys, rows, strict=True)}
        self._times = {key: cells["time"].plain for key, cells in zip(keys, rows, strict=True)}
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
        rows = [natural_widths(fresh[s]) if s in fresh else self._naturals[s] for s in order]
        time = max(map(cell_len, times.values()), default=0)
        if headline_layout(rows, marks, self.size.width - 1, time) != self.widths:
            return False
        present = set(self._order)
        changes: list[CellChange] = []
        for story, cells in fresh.items():
            if story in present:
                changes += [(story, key, cells[key]) for key in self.widths]
        held = self._times
        moved = {s: times[s] for s in present.intersection(order).difference(fresh)}
        moved = {s: words for s, words in moved.items() if held[s] != words}
        if "time" in self.widths:
            changes += [(story, "time", time_text(words)) for story, words in moved.items()]
        self.set_cells(changes)
        if list(order) != self._order:
            new = [story for story in order if story not in present]
            added = {story: [fresh[story][k] for k in self.widths] for story in new}
            self.place_rows(order, added)
        self._order = list(order)
        self._naturals = dict(zip(order, rows, strict=True))
        self._times = {s: fresh[s]["time"].plain if s in fresh else held[s] for s in order}
        if "time" in self.widths:
            self._times.update(moved)
        return True
