"""What every pane shares: a border title, a clock, and the engine once it exists."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import TYPE_CHECKING

from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content

from monitor.clock import Clock, WallClock
from monitor.formatting import Zones
from monitor.sessions import market_for

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
        self._title = title
        self.engine: EngineAPI | None = None
        self.clock: Clock = WallClock()
        #: which zone each time is shown in (the config's `times` and `time_zone`)
        self.zones = Zones()

    def set_title(self, title: str) -> None:
        """The border's title, as typed text (never markup); the pane is repainted only
        when it changes (a headline's arrival sets it again)."""
        if title != self._title:
            self._title = title
            self.border_title = Content(title)

    @property
    def tz(self) -> tzinfo | None:
        """The local zone (None = the machine's)."""
        return self.zones.local

    async def attach(self, engine: EngineAPI, zones: Zones) -> None:
        self.engine, self.clock, self.zones = engine, engine.clock, zones

    def now(self) -> datetime:
        return self.clock.now()

    def stamp(self, t: datetime | None, symbol: str | None = None) -> str:
        """A time as every pane shows it: '14:55 +08', dated when not today; market data
        (``symbol``) at its exchange's time unless the config says local."""
        market = market_for(symbol).tz if symbol else None
        return self.zones.stamp(t, self.now(), market=market)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "replay_speed":  # `+`/`-` exist only while a recording plays
            return self.engine is not None and self.engine.is_replay
        return True

    def action_replay_speed(self, step: int) -> None:
        if self.engine is not None and self.engine.is_replay:
            self.engine.replay.step(step)
            self.app.query_one("StatusBar").tick(self.engine)  # type: ignore[attr-defined]
