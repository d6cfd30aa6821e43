"""The top line: the app's title and the three panes, with unread and unacked counts."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

PANES = ("watchlist", "headlines", "alerts")
PANE_NAMES = {"watchlist": "Watchlist", "headlines": "Headlines", "alerts": "Alerts"}


class TabBar(Static):
    """' monitor  1 Watchlist  2 Headlines ●4  3 Alerts !2 ', the current pane reversed."""

    def __init__(self, title: str) -> None:
        super().__init__(id="tabs")
        self.title = title
        self.pane = "watchlist"
        self.counts: dict[str, int] = {"headlines": 0, "alerts": 0}

    def on_mount(self) -> None:
        self._draw()

    def show_pane(self, pane: str) -> None:
        self.pane = pane
        self._draw()

    def set_count(self, pane: str, count: int) -> None:
        if self.counts.get(pane) != count:
            self.counts[pane] = count
            self._draw()

    def _draw(self) -> None:
        text = Text.assemble((f" {self.title} ", "bold reverse"), " ")
        marks = {"headlines": "●", "alerts": "!"}
        for number, name in enumerate(PANES, 1):
            count = self.counts.get(name, 0)
            badge = f" {marks[name]}{count}" if count else ""
            label = f" {number} {PANE_NAMES[name]}{badge} "
            text.append(label, style="bold reverse" if name == self.pane else "")
        self.update(text, layout=False)  # one line, full width: no layout pass
