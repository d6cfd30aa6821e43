"""What every pane shares: a border title, a clock, and the engine once it exists."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import TYPE_CHECKING

from textual.binding import Binding
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
    #: every pane holds the focus in turn: a replay's speed keys work from any of them
    BINDINGS = [
        Binding("plus", "replay_speed(1)", "Faster", id="replay_faster", key_display="+"),
        Binding("minus", "replay_speed(-1)", "Slower", id="replay_slower", key_display="-"),
    ]

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

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "replay_speed":  # `+`/`-` exist only while a recording plays
            return self.engine is not None and self.engine.is_replay
        return True

    def action_replay_speed(self, step: int) -> None:
        if self.engine is not None and self.engine.is_replay:
            self.engine.replay.step(step)
            self.app.query_one("StatusBar").tick(self.engine)  # type: ignore[attr-defined]
