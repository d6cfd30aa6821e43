"""What every pane shares: a border title, a clock, and the engine once it exists."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import TYPE_CHECKING

from textual.containers import Vertical

from monitor.clock import Clock, WallClock

if TYPE_CHECKING:
    from monitor.engine import Engine


class Pane(Vertical):
    """A titled, bordered region of the main screen."""

    can_focus = False

    def __init__(self, *, id: str, title: str) -> None:
        super().__init__(id=id, classes="pane")
        self.border_title = title
        self.engine: Engine | None = None
        self.clock: Clock = WallClock()
        #: the local zone for times of day (None = the machine's zone)
        self.tz: tzinfo | None = None

    def attach(self, engine: Engine) -> None:
        self.engine = engine
        self.clock = engine.clock

    def now(self) -> datetime:
        return self.clock.now()
