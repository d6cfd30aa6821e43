"""What every pane shares: a border title, a clock, and the engine once it exists."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import TYPE_CHECKING

from textual.containers import Vertical

from monitor.clock import Clock, WallClock

if TYPE_CHECKING:
    from monitor.ui.engine_api import EngineAPI


class Pane(Vertical):
    """A titled, bordered region of the main screen.

    The app calls ``attach`` once the engine is open; each pane then reads what it shows
    from the engine and handles the engine's messages for its own data.
    """

    can_focus = False

    def __init__(self, *, id: str, title: str) -> None:
        super().__init__(id=id, classes="pane")
        self.border_title = title
        self.engine: EngineAPI | None = None
        self.clock: Clock = WallClock()
        #: the local zone for times of day (None = the machine's zone)
        self.tz: tzinfo | None = None

    async def attach(self, engine: EngineAPI, tz: tzinfo | None) -> None:
        self.engine, self.clock, self.tz = engine, engine.clock, tz

    def now(self) -> datetime:
        return self.clock.now()
