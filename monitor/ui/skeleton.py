"""The app's layout, painted in two steps: first a skeleton (the tab bar, the status
bar and the footer around the empty pane area), then, once that frame is on screen,
the panes are imported and mounted into it (with them the query language, the market
calendars and the cell formatting).  The filled screen is the one the panes always
made; only its first frame is lighter.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.app import App, ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer

from monitor.ui.widgets.banner import ReplayBanner
from monitor.ui.widgets.statusbar import StatusBar
from monitor.ui.widgets.tabs import TabBar

if TYPE_CHECKING:
    from monitor.ui.widgets.alerts import AlertsPane
    from monitor.ui.widgets.headlines import HeadlinesPane
    from monitor.ui.widgets.watchlist import WatchlistPane


class Skeleton(App[None]):
    """The layout; ``panes_filled`` is called once the panes are mounted."""

    def compose(self) -> ComposeResult:
        yield TabBar(self.title)
        yield ReplayBanner()
        with Vertical(id="main", classes="show-watchlist"):
            yield Horizontal(id="top")  # the panes come after the first frame
        yield StatusBar()
        yield Footer()

    def fill_after_first_frame(self) -> None:
        self.call_after_refresh(self._fill)

    async def _fill(self) -> None:
        from monitor.ui.widgets.alerts import AlertsPane
        from monitor.ui.widgets.headlines import HeadlinesPane
        from monitor.ui.widgets.watchlist import WatchlistPane

        await self.query_one("#top").mount(WatchlistPane(), HeadlinesPane())
        await self.query_one("#main").mount(AlertsPane())
        self.watchlist.table.focus()  # as the first focusable widget would be
        self.panes_filled()

    def panes_filled(self) -> None:
        """The panes are mounted (the app starts its engine here)."""

    @property
    def filled(self) -> bool:
        return bool(self.query("#alerts"))

    @property
    def watchlist(self) -> WatchlistPane:
        return cast("WatchlistPane", self.query_one("#watchlist"))

    @property
    def headlines(self) -> HeadlinesPane:
        return cast("HeadlinesPane", self.query_one("#headlines"))

    @property
    def alerts(self) -> AlertsPane:
        return cast("AlertsPane", self.query_one("#alerts"))

    @property
    def status_bar(self) -> StatusBar:
        return self.query_one(StatusBar)
