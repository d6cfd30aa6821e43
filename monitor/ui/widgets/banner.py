"""The one-line banner under the tabs: shown when the demo's recording has ended."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from monitor.ui.messages import ReplayEnded


class ReplayBanner(Static):
    def __init__(self) -> None:
        super().__init__(id="banner")
        self.ended = False

    def on_replay_ended(self, _: ReplayEnded) -> None:
        self.ended = True
        self.update(Text("■ Recording ended — press r to replay", style="bold"))
        self.add_class("-shown")

    def clear(self) -> None:
        self.ended = False
        self.remove_class("-shown")
