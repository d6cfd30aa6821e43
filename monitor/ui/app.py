"""The Textual app: lays out the panes, starts the engine, routes its events.

Only textual/rich and monitor.model/clock are imported here at module level: the
engine factory does the heavy imports in a worker, after the first frame is painted.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import UTC, datetime
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static
from textual.worker import Worker, WorkerState

from monitor.model import Alert, Severity
from monitor.notify.osc import Protocol, TerminalRinger, passthrough_notice
from monitor.ui.editing import ConfigEdits
from monitor.ui.messages import (
    AlertFired,
    HeadlinesArrived,
    NoticeArrived,
    QuotesArrived,
    ReplayEnded,
    RulesChanged,
    SourceChanged,
    message_for,
)
from monitor.ui.palette import MonitorCommands
from monitor.ui.widgets.alerts import AlertsPane
from monitor.ui.widgets.headlines import HeadlinesPane
from monitor.ui.widgets.statusbar import REPLAY_ZONE, StatusBar
from monitor.ui.widgets.watchlist import WatchlistPane

if TYPE_CHECKING:
    from monitor.engine import Engine
    from monitor.events import Event

PANES = ("watchlist", "headlines", "alerts")
PANE_NAMES = {"watchlist": "Watchlist", "headlines": "Headlines", "alerts": "Alerts"}
#: alerts arriving within this long of each other are toasted together
TOAST_GATHER_SECONDS = 0.05
#: this many alerts at once make one summary toast
STORM_TOASTS = 3
#: `t` cycles these (those installed); the config's theme is put first.
THEMES = ("textual-dark", "textual-light", "nord", "gruvbox", "tokyo-night", "solarized-light")
TOAST_SEVERITY = {"critical": "error", "error": "error", "warning": "warning"}
TIME_REFRESH_TICKS = 30  # relative headline times ("5m ago") are rewritten this often


def class_bindings(cls: type) -> list[BindingType]:
    """Every binding a class declares, base classes first (as Textual merges them)."""
    found: list[BindingType] = []
    for klass in reversed(cls.__mro__):
        found.extend(klass.__dict__.get("BINDINGS", []))
    return found


def binding_id(binding: BindingType) -> str | None:
    return binding.id if isinstance(binding, Binding) else None


def _while_shown(handler: Callable[..., None]) -> Callable[..., None]:
    """Engine events still queued while the app closes are dropped, not applied to panes
    that are already gone."""

    @wraps(handler)
    def wrapper(self: MonitorApp, message: Any) -> None:
        if not self.query(AlertsPane):
            return None
        return handler(self, message)

    return wrapper


class MonitorApp(App[None]):
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
        Binding("plus", "replay_speed(1)", "Faster", id="replay_faster", key_display="+"),
        Binding("minus", "replay_speed(-1)", "Slower", id="replay_slower", key_display="-"),
        Binding("1", "show_pane('watchlist')", "Watchlist pane", id="pane_watchlist", show=False),
        Binding("2", "show_pane('headlines')", "Headlines pane", id="pane_headlines", show=False),
        Binding("3", "show_pane('alerts')", "Alerts pane", id="pane_alerts", show=False),
    ]

    pane: reactive[str] = reactive("watchlist")

    def __init__(
        self,
        engine_factory: Callable[[], Awaitable[Engine]],
        *,
        theme: str | None = None,
        keys: Mapping[str, str] | None = None,
        title: str = "monitor",
    ) -> None:
        super().__init__()
        self.title = title
        self.engine_factory = engine_factory
        self.engine: Engine | None = None
        self.replay_ended = False
        self._notices: set[str] = set()
        self._pending_toasts: list[Alert] = []
        self._ringer = TerminalRinger()  # the bell until the config says otherwise
        self._startup_notices: list[str] = []
        self._config_mtime: int | None = None
        self._ticks = 0
        self.edits = ConfigEdits(self)
        self.keymap = self._keymap_from(keys or {})
        self._themes = self._theme_cycle(theme)
        if theme:
            if theme in self.available_themes:
                self.theme = theme
            else:
                self._startup_notices.append(f"Unknown theme {theme!r}; using {self.theme}.")

    # ---- layout -------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(id="tabs")
        yield Static(id="banner")
        with Vertical(id="main", classes="show-watchlist"):
            with Horizontal(id="top"):
                yield WatchlistPane()
                yield HeadlinesPane()
            yield AlertsPane()
        yield StatusBar()
        yield Footer()

    def on_mount(self) -> None:
        for notice in self._startup_notices:
            self.notify(notice, severity="warning", markup=False, timeout=10)
        self._render_tabs()
        self.status_bar.render_status()
        self.set_interval(1.0, self._tick)
        # Paint the first frame before the engine factory imports and opens everything.
        self.call_after_refresh(self._start_engine)

    @property
    def watchlist(self) -> WatchlistPane:
        return self.query_one(WatchlistPane)

    @property
    def headlines(self) -> HeadlinesPane:
        return self.query_one(HeadlinesPane)

    @property
    def alerts(self) -> AlertsPane:
        return self.query_one(AlertsPane)

    @property
    def status_bar(self) -> StatusBar:
        return self.query_one(StatusBar)

    def watch_pane(self, pane: str) -> None:
        main = self.query_one("#main")
        for name in PANES:
            main.set_class(name == pane, f"show-{name}")
        self._render_tabs()

    def _render_tabs(self) -> None:
        text = Text.assemble((f" {self.title} ", "bold reverse"), " ")
        unread = len(self.headlines.unread)
        unacked = sum(1 for a in self.alerts.alerts if not a.acknowledged)
        counts = {"headlines": f" ●{unread}" if unread else "", "alerts": f" !{unacked}" if
                  unacked else ""}  # fmt: skip
        for number, name in enumerate(PANES, 1):
            label = f" {number} {PANE_NAMES[name]}{counts.get(name, '')} "
            text.append(label, style="bold reverse" if name == self.pane else "")
        self.query_one("#tabs", Static).update(text)

    def on_descendant_focus(self, event: Any) -> None:
        # Tab or a click moved focus: the pane holding it becomes the current one
        for node in event.widget.ancestors_with_self:
            if node.id in PANES:
                self.pane = node.id
                return

    # ---- engine lifecycle -----------------------------------------------------------

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
        # a replay shows times as the recorded market saw them
        zone = REPLAY_ZONE if engine.is_replay else None
        self.status_bar.tz = zone
        for pane in (self.watchlist, self.headlines, self.alerts):
            pane.attach(engine)
            pane.tz = zone
        self._show_state(engine)
        engine.subscribe(self._on_engine_event)
        self.headlines.show(await engine.recent_headlines())
        self.alerts.set_log(await engine.alert_log())
        self._config_mtime = self._read_mtime()
        await engine.start()
        self._render_tabs()

    def _show_state(self, engine: Engine) -> None:
        """What the engine already holds in memory: shown at once, each with its age."""
        bar = self.status_bar
        bar.config_path, bar.config_source = engine.config_path, engine.config_source
        bar.replay, bar.paused = engine.is_replay, engine.paused
        bar.speed = engine.replay_speed if engine.is_replay else None
        bar.message = "waiting for sources…"
        for source in engine.sources():
            bar.set_source(source)
        self.watchlist.set_groups(engine.groups)
        self.watchlist.apply_quotes(engine.quotes())
        self.alerts.set_rules(engine.rule_states())
        self._tick()

    def _on_engine_event(self, event: Event) -> None:
        # called by the engine on our loop: only wrap and post, never work here
        message = message_for(event)
        if message is not None:
            self.post_message(message)

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
        self._ticks += 1
        engine, bar = self.engine, self.status_bar
        if engine is not None:
            bar.now, bar.paused = engine.clock.now(), engine.paused
            for source in engine.sources():  # each poll's time, not only status changes
                bar.set_source(source)
            bar.desktop = engine.desktop_status
            self._check_config()
        else:
            bar.now = datetime.now(UTC)
        bar.render_status()
        self.watchlist.tick()
        if self._ticks % TIME_REFRESH_TICKS == 0:
            self.headlines.refresh_times()

    # ---- engine events --------------------------------------------------------------

    @_while_shown
    def on_headlines_arrived(self, message: HeadlinesArrived) -> None:
        self.headlines.add(message.headlines)
        self._render_tabs()

    @_while_shown
    def on_quotes_arrived(self, message: QuotesArrived) -> None:
        self.watchlist.apply_batch(message.batch)

    @_while_shown
    def on_source_changed(self, message: SourceChanged) -> None:
        self.status_bar.set_source(message.status)
        self.status_bar.render_status()

    @_while_shown
    def on_rules_changed(self, message: RulesChanged) -> None:
        self.alerts.set_rules(message.states)  # type: ignore[arg-type]

    @_while_shown
    def on_alert_fired(self, message: AlertFired) -> None:
        alert = message.alert
        self.alerts.add_alert(alert)
        for symbol in _alert_symbols(alert):
            self.watchlist.flash(symbol)
        self._render_tabs()
        # the alerts of one batch arrive back to back: toast them together
        self._pending_toasts.append(alert)
        if len(self._pending_toasts) == 1:
            self.set_timer(TOAST_GATHER_SECONDS, self._flush_toasts)

    def _flush_toasts(self) -> None:
        alerts, self._pending_toasts = self._pending_toasts, []
        if not alerts:
            return
        self._ring(alerts)
        if len(alerts) >= STORM_TOASTS:  # a market-wide move: one summary, not a storm
            worst = max(alerts, key=lambda a: Severity.of(a.severity).rank)
            names = ", ".join(a.rule for a in alerts[:4])
            more = f" and {len(alerts) - 4} more" if len(alerts) > 4 else ""
            self.notify(
                f"{names}{more} — see the Alerts pane (3)",
                title=f"{len(alerts)} alerts",
                severity=TOAST_SEVERITY.get(worst.severity.lower(), "information"),
                markup=False,
                timeout=15,
            )
            return
        for alert in alerts:
            self.notify(
                alert.message,
                title=f"{alert.severity.upper()} · {alert.rule}",
                severity=TOAST_SEVERITY.get(alert.severity.lower(), "information"),
                markup=False,
                timeout=15 if alert.severity == "critical" else 8,
            )

    def on_notice_arrived(self, message: NoticeArrived) -> None:
        if message.message in self._notices:
            return
        self._notices.add(message.message)
        severity = TOAST_SEVERITY.get(message.severity, "information")
        self.notify(message.message, severity=severity, markup=False, timeout=10)

    @_while_shown
    def on_replay_ended(self, _: ReplayEnded) -> None:
        self.replay_ended = True
        banner = self.query_one("#banner", Static)
        banner.update(Text("■ Recording ended — press r to replay", style="bold"))
        banner.add_class("-shown")

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
            return
        if self.replay_ended:
            self._restart_replay()
        else:
            self._refresh_now()

    @work(exclusive=True, group="refresh", exit_on_error=False)
    async def _refresh_now(self) -> None:
        assert self.engine is not None
        self.notify("Refreshing…", timeout=2)
        await self.engine.refresh_now()

    @work(exclusive=True, group="replay", exit_on_error=False)
    async def _restart_replay(self) -> None:
        assert self.engine is not None
        await self.engine.restart_replay()
        self.replay_ended = False
        self.query_one("#banner", Static).remove_class("-shown")

    def action_toggle_pause(self) -> None:
        if self.engine is None:
            return
        if self.engine.paused:
            self.engine.resume()
        else:
            self.engine.pause()
        self.status_bar.paused = self.engine.paused
        self.status_bar.render_status()
        self.notify("Polling paused" if self.engine.paused else "Polling resumed", timeout=2)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "replay_speed":  # `+`/`-` exist only while a recording plays
            return self.engine is not None and self.engine.is_replay
        return True

    def action_replay_speed(self, step: int) -> None:
        if self.engine is None or not self.engine.is_replay:
            return
        speed = self.engine.step_replay_speed(step)
        self.status_bar.speed = speed
        self.status_bar.render_status()

    def action_next_theme(self) -> None:
        themes = self._themes
        index = themes.index(self.theme) if self.theme in themes else -1
        self.theme = themes[(index + 1) % len(themes)]
        self.notify(f"Theme: {self.theme}", timeout=2)

    def action_help(self) -> None:
        from monitor.ui.screens.help import HelpScreen

        self.push_screen(HelpScreen(self.binding_sections(), self.keymap))

    def action_toggle_groups(self) -> None:
        self.watchlist.toggle_all_groups()

    @work(exclusive=True, group="export", exit_on_error=False)
    async def action_export(self) -> None:
        if self.engine is None:
            return
        stamp = self.engine.clock.now().strftime("%Y%m%d-%H%M%S")
        written = await self.engine.export(Path.cwd() / f"monitor-export-{stamp}.jsonl")
        self.notify(f"Exported to {written}", markup=False, timeout=8)

    # ---- config hot reload ------------------------------------------------------------

    def _read_mtime(self) -> int | None:
        try:
            return os.stat(self.engine.config_path).st_mtime_ns if self.engine else None
        except OSError:
            return None

    def _check_config(self) -> None:
        # a stat a second is cheaper than a watcher thread, and survives editors that
        # replace the file instead of writing it in place
        mtime = self._read_mtime()
        if self._config_mtime is None:  # the engine is still starting: this is the baseline
            self._config_mtime = mtime
            return
        if mtime is not None and mtime != self._config_mtime:
            self._config_mtime = mtime
            self.reload_config()

    def config_edited(self) -> None:
        """The app's own edit was written: reload it now (the watcher need not see it)."""
        self._config_mtime = self._read_mtime()
        self.reload_config()

    @work(exclusive=True, group="reload", exit_on_error=False)
    async def reload_config(self) -> None:
        assert self.engine is not None
        error = await self.engine.reload_config()
        self.status_bar.config_error = error
        self.status_bar.render_status()
        if error:
            self.notify(error, title="Config not reloaded", severity="error", markup=False)
            return
        self.watchlist.set_groups(self.engine.groups)
        self.watchlist.apply_quotes(self.engine.quotes())
        self.alerts.set_rules(self.engine.rule_states())
        self.notify("Config reloaded", timeout=3)

    # ---- keys, help and the palette ------------------------------------------------------

    def binding_sections(self) -> list[tuple[str, list[BindingType]]]:
        from monitor.ui.screens.confirm_open import ConfirmOpen
        from monitor.ui.screens.headline_detail import HeadlineDetail
        from monitor.ui.screens.prompt import PromptScreen
        from monitor.ui.screens.snooze import SnoozeScreen
        from monitor.ui.screens.symbol_detail import SymbolDetail

        return [
            ("Everywhere", class_bindings(type(self))),
            ("Watchlist", WatchlistPane.BINDINGS),
            ("Headlines", HeadlinesPane.BINDINGS),
            ("Alerts", AlertsPane.BINDINGS),
            ("Moving around", [*Screen.BINDINGS[:2], *DataTable.BINDINGS]),
            ("Headline details", HeadlineDetail.BINDINGS),
            ("Symbol view", SymbolDetail.BINDINGS),
            ("Open link?", ConfirmOpen.BINDINGS),
            ("Snooze", SnoozeScreen.BINDINGS),
            ("Prompt", PromptScreen.BINDINGS),
        ]

    def _ring(self, alerts: list[Alert]) -> None:
        """The terminal channel: an OSC notification (or the bell), through the driver.

        Written as Textual writes its own bell, so it never lands over the screen.
        """
        if self._ringer.protocol is Protocol.BELL:
            self.bell()
            return
        seq = self._ringer.sequence(alerts)
        if seq and self._driver is not None:
            self._driver.write(seq)

    def _apply_config_look(self, engine: Engine) -> None:
        """The config's `theme` and `[settings.keys]`, known only once it has loaded."""
        settings = getattr(engine, "app_settings", None)
        if settings is None:
            return
        self._startup_notices.clear()
        self._ringer = TerminalRinger(settings.terminal_notifications)
        if notice := passthrough_notice(self._ringer.protocol, os.environ):
            self._startup_notices.append(notice)
        if settings.keys:
            self.keymap = self._keymap_from(settings.keys)
        if settings.theme in self.available_themes:
            self._themes = self._theme_cycle(settings.theme)
            self.theme = settings.theme
        else:
            self._startup_notices.append(f"Unknown theme {settings.theme!r}; using {self.theme}.")
        for notice in self._startup_notices:
            self.notify(notice, severity="warning", markup=False, timeout=10)

    def _keymap_from(self, keys: Mapping[str, str]) -> dict[str, str]:
        """Config `[settings.keys]` (binding id -> key) checked against the real ids."""
        if not keys:
            return {}
        known = {
            binding_id(b)
            for _, bindings in self.binding_sections()
            for b in bindings
            if binding_id(b)
        }
        unknown = sorted(set(keys) - known)
        if unknown:
            self._startup_notices.append(
                f"Unknown action(s) in [settings.keys]: {', '.join(unknown)}. "
                f"Known: {', '.join(sorted(k for k in known if k))}."
            )
        keymap = {action: key for action, key in keys.items() if action in known}
        self.set_keymap(keymap)
        return keymap

    def _theme_cycle(self, first: str | None) -> list[str]:
        names = [first, *THEMES] if first else list(THEMES)
        available = self.available_themes
        return list(dict.fromkeys(n for n in names if n and n in available))

    def palette_commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        paused = self.engine is not None and self.engine.paused
        commands: list[tuple[str, str, Callable[[], Any]]] = [
            ("Refresh now", "Poll every source now", self._refresh_now),
            (
                "Resume polling" if paused else "Pause polling",
                "Stop or restart the timed polls (the screen stays live)",
                self.action_toggle_pause,
            ),
            ("Reload config", "Re-read the watchlist file now", self.reload_config),
            ("Toggle groups", "Collapse or expand every group", self.action_toggle_groups),
            ("Switch theme", "Next colour theme (t)", self.action_next_theme),
            ("Export", "Write headlines, quotes and alerts as JSON lines", self.action_export),
            ("Mark all read", "Clear every unread marker", self.headlines.action_mark_all_read),
            ("Show keys", "Every key binding (?)", self.action_help),
            ("Add symbol", "To the watchlist file, in the group under the cursor (a)",
             self.edits.add_symbol),
            ("Remove symbol", "The one under the cursor, from the watchlist file (d)",
             self.edits.remove_symbol),
            ("Add feed", "A [[news.feeds]] entry: name and URL", self.edits.add_feed),
            ("Remove feed", "A [[news.feeds]] entry, by name", self.edits.remove_feed),
            ("Mute rule in file", "enabled = false for the rule under the cursor",
             self.edits.mute_rule),
        ]  # fmt: skip
        if self.engine is not None and self.engine.editor.can_copy:
            commands.append(("Save config copy", "The bundled default to your config dir, to edit",
                             self.edits.save_copy))  # fmt: skip
        if self.engine is not None and self.engine.is_replay:
            commands.append(("Replay recording", "Play the demo again", self._restart_replay))
        return commands


def _alert_symbols(alert: Alert) -> Iterable[str]:
    return dict.fromkeys([*([alert.symbol] if alert.symbol else []), *alert.symbols])
