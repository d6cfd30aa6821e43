"""The Textual app: lays out the panes, starts the engine, routes its events.

Composition and routing only: each pane reads its own data from the engine when it is
attached and handles the engine's messages for that data (monitor.ui.messages); the
app posts every engine event to the views that handle it, switches panes, and turns a
failed background task into a visible toast in one place.

The first frame is a skeleton: the tab bar, the status bar and the footer around empty
panes.  Once it is painted, the panes are imported and mounted (with them the query
language, the market calendars and the cell formatting), then the engine factory does
the heavy imports in a worker.  Only textual/rich and light monitor modules are
imported here at module level.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.app import App
from textual.binding import Binding
from textual.reactive import reactive
from textual.widgets import DataTable
from textual.worker import Worker, WorkerState

from monitor.ui import strips
from monitor.ui.config_watch import ConfigWatcher
from monitor.ui.editing import ConfigEdits
from monitor.ui.keys import Sections, binding_sections, checked_keymap, theme_cycle
from monitor.ui.messages import (
    AlertFired,
    ConfigReloaded,
    EngineMessage,
    NoticeArrived,
    message_for,
)
from monitor.ui.palette import MonitorCommands, export_to_data_dir, system_commands
from monitor.ui.routing import Views
from monitor.ui.skeleton import Skeleton
from monitor.ui.toasts import Toaster
from monitor.ui.widgets.banner import ReplayBanner
from monitor.ui.widgets.statusbar import StatusBar, refresh_outcome
from monitor.ui.widgets.tabs import PANES, TabBar

if TYPE_CHECKING:
    from monitor.events import Event
    from monitor.ui.engine_api import EngineAPI
    from monitor.ui.widgets.alerts import AlertsPane
    from monitor.ui.widgets.headlines import HeadlinesPane

strips.install()  # painted lines freed by reference counting, not the collector

TIME_REFRESH_TICKS = 30  # relative headline times ("5m ago") are rewritten this often


class MonitorApp(Skeleton):
    """A trader's all-day screen: watchlist, headlines, alerts, source health."""

    CSS_PATH = "monitor.tcss"
    COMMANDS = App.COMMANDS | {MonitorCommands}
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (36, "-tall")]
    BINDINGS = [
        Binding("q", "quit", "Quit", id="quit"),
        Binding("question_mark", "help", "Help", id="help", key_display="?"),
        Binding("slash", "filter", "Filter", id="filter", key_display="/"),
        Binding("n", "next_unread", "Next unread", id="next_unread"),
        Binding("N", "previous_unread", "Previous unread", id="previous_unread", show=False),
        Binding("r", "refresh", "Refresh", id="refresh"),
        Binding("p", "toggle_pause", "Pause", id="pause"),
        Binding("t", "next_theme", "Theme", id="theme", show=False),
        Binding("1", "show_pane('watchlist')", "Watchlist pane", id="pane_watchlist", show=False),
        Binding("2", "show_pane('headlines')", "Headlines pane", id="pane_headlines", show=False),
        Binding("3", "show_pane('alerts')", "Alerts pane", id="pane_alerts", show=False),
    ]

    pane: reactive[str] = reactive("watchlist")
    get_system_commands = system_commands  # Textual's, less its "Keys" (the palette's is ?)

    def __init__(
        self,
        engine_factory: Callable[[], Awaitable[EngineAPI]],
        *,
        theme: str | None = None,
        keys: Mapping[str, str] | None = None,
        title: str = "monitor",
    ) -> None:
        super().__init__()
        self.title = title
        self.engine_factory = engine_factory
        self.engine: EngineAPI | None = None
        self.toaster = Toaster(self)
        self.config_watcher = ConfigWatcher()
        self.edits = ConfigEdits(self)
        self._startup_notices: list[str] = []
        self._views = Views()
        self._ticks = 0
        self.keymap = self._apply_keys(keys or {})
        #: a theme given here (tests, a command-line option) wins over the config's
        self._explicit_theme = theme
        self._themes = theme_cycle(theme, self.available_themes)
        self._use_theme(theme)

    # ---- layout (monitor/ui/skeleton.py) -----------------------------------------------

    def on_mount(self) -> None:
        self._show_startup_notices()
        self.status_bar.render_status()
        self.set_interval(1.0, self._tick)
        # Paint the skeleton first; then the panes, then the engine (it imports the rest).
        self.fill_after_first_frame()

    def panes_filled(self) -> None:
        self._start_engine()

    def watch_pane(self, pane: str) -> None:
        main = self.query_one("#main")
        for name in PANES:
            main.set_class(name == pane, f"show-{name}")
        self.query_one(TabBar).show_pane(pane)

    def on_descendant_focus(self, event: Any) -> None:
        # Tab or a click moved focus: the pane holding it becomes the current one
        for node in event.widget.ancestors_with_self:
            if node.id in PANES:
                self.pane = node.id
                return

    def on_headlines_pane_unread_changed(self, message: HeadlinesPane.UnreadChanged) -> None:
        for bar in self.query(TabBar):  # none while the app closes: a late count is moot
            bar.set_count("headlines", message.count)

    def on_alerts_pane_unacked_changed(self, message: AlertsPane.UnackedChanged) -> None:
        for bar in self.query(TabBar):
            bar.set_count("alerts", message.count)

    # ---- engine lifecycle and routing -------------------------------------------------

    @work(group="engine", exit_on_error=False)
    async def _start_engine(self) -> None:
        try:
            engine = await self.engine_factory()
        except Exception as error:  # the factory's errors are the user's to read
            code = 2 if type(error).__name__ == "ConfigError" else 1
            self.exit(return_code=code, message=Text(f"monitor: {error}"))
            return
        self.engine = engine
        self._apply_config_look(engine)
        zones = engine.app_settings.zones()  # the config's `times` and `time_zone`
        self.status_bar.attach(engine, zones)
        from monitor.ui.widgets.panes import Pane

        for pane in self.query(Pane):
            await pane.attach(engine, zones)
        engine.subscribe(self._on_engine_event)
        self.config_watcher.baseline(engine.config_path)
        await engine.start()
        self.call_after_refresh(_settle_heap)
        sys.setswitchinterval(SWITCH_INTERVAL)

    def _on_engine_event(self, event: Event) -> None:
        # called by the engine on our loop: only wrap and post, never work here
        self.route(lambda: message_for(event))

    def route(self, make: Callable[[], EngineMessage | None]) -> None:
        """Post a fresh copy of a message to every view that has a handler for it (an
        open symbol view follows its quote)."""
        views = self._views.of(self)
        message = make() if views else None
        if message is None:
            return
        handler = type(message).handler_name
        for n, view in enumerate(v for v in views if hasattr(v, handler)):
            copy = message if n == 0 else make()  # each view its own copy
            if copy is not None:
                view.post_message(copy)

    def on_notice_arrived(self, message: NoticeArrived) -> None:
        self.toaster.notice(message.message, message.severity)

    def on_alert_fired(self, message: AlertFired) -> None:
        # a toast, and the bell or the terminal's own notification
        self.toaster.alert(message.alert)

    async def on_unmount(self) -> None:
        if self.engine is not None:
            await self.engine.stop()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place where a failed background task becomes something visible."""
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            error = event.worker.error
            self.notify(
                f"{type(error).__name__}: {error}",
                title=f"{event.worker.group or 'task'} failed",
                severity="error",
                markup=False,
                timeout=10,
            )

    def _tick(self) -> None:
        if not self.query(StatusBar):  # the app is closing: its panes are gone
            return
        self._ticks += 1
        engine = self.engine
        self.status_bar.tick(engine)
        if engine is not None and self.config_watcher.changed(engine.config_path):
            self.reload_config()
        if not self.filled:  # the panes are mounted after the first frame
            return
        self.watchlist.tick()
        if self._ticks % TIME_REFRESH_TICKS == 0:
            self.headlines.refresh_times()

    # ---- actions ------------------------------------------------------------------

    def action_show_pane(self, pane: str) -> None:
        self.pane = pane
        self.query_one(f"#{pane}").query(DataTable).first().focus()

    def action_filter(self) -> None:
        self.pane = "headlines"
        self.headlines.start_filter()

    def action_next_unread(self) -> None:
        self._jump_unread(1)

    def action_previous_unread(self) -> None:
        self._jump_unread(-1)

    def _jump_unread(self, step: int) -> None:
        self.action_show_pane("headlines")
        if not self.headlines.jump_unread(step):
            self.notify("No unread headlines", timeout=2)

    def action_refresh(self) -> None:
        if self.engine is None:
            self.notify("Still starting: nothing to refresh yet", timeout=3)
            return
        if self.query_one(ReplayBanner).ended:
            self.restart_replay()
        else:
            self.refresh_now()

    @work(exclusive=True, group="refresh", exit_on_error=False)
    async def refresh_now(self) -> None:
        """Poll everything now, then say how it went (offline: which sources failed)."""
        assert self.engine is not None
        self.notify("Refreshing…", timeout=2)
        await self.engine.refresh_now()
        now, zones = self.engine.clock.now(), self.status_bar.zones
        message, severity = refresh_outcome(self.engine.sources(), now, zones)
        self.notify(message, severity=severity, markup=False, timeout=5)

    @work(exclusive=True, group="replay", exit_on_error=False)
    async def restart_replay(self) -> None:
        assert self.engine is not None
        await self.engine.restart_replay()
        self.query_one(ReplayBanner).clear()

    def action_toggle_pause(self) -> None:
        if self.engine is None:
            return
        if self.engine.paused:
            self.engine.resume()
        else:
            self.engine.pause()
        self.status_bar.tick(self.engine)
        self.notify("Polling paused" if self.engine.paused else "Polling resumed", timeout=2)

    def action_next_theme(self) -> None:
        themes = self._themes
        index = themes.index(self.theme) if self.theme in themes else -1
        self.theme = themes[(index + 1) % len(themes)]
        self.notify(f"Theme: {self.theme}", timeout=2)

    def action_help(self) -> None:
        from monitor.ui.screens.help import HelpScreen

        self.push_screen(HelpScreen(self.binding_sections(), self.keymap))

    @work(exclusive=True, group="export", exit_on_error=False)
    async def action_export(self) -> None:
        if self.engine is not None:
            written = await export_to_data_dir(self.engine)
            self.notify(str(written), title="Exported to", markup=False, timeout=10)

    @work(exclusive=True, group="reload", exit_on_error=False)
    async def reload_config(self) -> None:
        """Re-read the watchlist file (on save, or from the palette); every view that
        shows something from the config refreshes itself."""
        assert self.engine is not None
        error = await self.engine.reload_config()
        self.route(lambda: ConfigReloaded(error))
        if error:
            self.notify(error, title="Config not reloaded", severity="error", markup=False)
        else:
            self.notify("Config reloaded", timeout=3)

    # ---- keys and themes ------------------------------------------------------------

    def binding_sections(self) -> Sections:
        return binding_sections(type(self))

    def _apply_config_look(self, engine: EngineAPI) -> None:
        """The config's `theme` and `[settings.keys]`, known only once it has loaded."""
        from monitor.notify.osc import TerminalRinger, passthrough_notice  # after the frame

        settings = engine.app_settings
        self.toaster.ringer = TerminalRinger(settings.terminal_notifications)
        if notice := passthrough_notice(self.toaster.ringer.protocol, os.environ):
            self._startup_notices.append(notice)
        if settings.keys:
            self.keymap = self._apply_keys(settings.keys)
        if not self._explicit_theme:
            self._themes = theme_cycle(settings.theme, self.available_themes)
            self._use_theme(settings.theme)
        self._show_startup_notices()

    def _apply_keys(self, keys: Mapping[str, str]) -> dict[str, str]:
        if not keys:
            return {}
        keymap, notice = checked_keymap(keys, self.binding_sections())
        if notice:
            self._startup_notices.append(notice)
        self.set_keymap(keymap)
        return keymap

    def _use_theme(self, theme: str | None) -> None:
        if not theme:
            return
        if theme in self.available_themes:
            self.theme = theme
        else:
            self._startup_notices.append(f"Unknown theme {theme!r}; using {self.theme}.")

    def _show_startup_notices(self) -> None:
        notices, self._startup_notices = self._startup_notices, []
        for notice in notices:
            self.notify(notice, severity="warning", markup=False, timeout=10)


#: seconds a thread waiting for the GIL waits before the running one must hand it over
#: (Python: 0.005).  The store thread lets go of the GIL around each SQLite call (a
#: headline's write makes ~14) and must take it back after: while the loop renders a
#: frame, each wait lasts the whole interval.  A write of 12 rows beside a thread
#: running Python (``bench/README.md``, "the live path (session 6)"): p50 13 ms at
#: 5 ms, 1.6-4.5 ms at 1 ms, 0.6-0.9 ms at 0.2 ms (0.2 ms alone).  The UI thread pays
#: a switch per interval only while the store thread works.
SWITCH_INTERVAL = 0.0002
#: objects allocated (net) between two passes over the young generation (Python: 700)
YOUNG_OBJECTS = 3_000
#: young passes between two passes over the middle generation (Python: 10).  Each object
#: that outlives a young pass is walked once there whatever this is; fewer passes
#: between make each shorter: 1 pass of 6-26 ms in 30 s of a moving market at 10,
#: 4-5 of 2.4-7 ms at 2 (``bench/README.md``, "session 7, lead").
MIDDLE_PASSES = 2


def _settle_heap() -> None:
    """Once the app holds its data: collect what starting left behind, then leave the
    objects that live as long as the app (widgets, modules, the stored data shown) out
    of the garbage collector's full passes, which otherwise walk them all, a pause of
    ~100 ms under a moving market (``gc.freeze``).

    A frame's renderings (Textual's strips, each with seven small caches, and their
    segments) live until the cells they show change, about a second under a moving
    market.  With the default young generation (a pass every 700 objects, the older one
    every 10 of those) they outlived two passes and were moved to the old generation,
    whose full passes then came every few seconds and walked ~50,000 objects (15-90 ms,
    the worst update of a minute).  A young generation of 3,000 objects lets them die
    young: the full passes are rare and the collector's work is halved."""
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_OBJECTS, MIDDLE_PASSES, gc.get_threshold()[2])
