"""The alerts pane: every rule's live state above (or beside) the alert log."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass
from datetime import tzinfo
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Label

from monitor.formatting import amount, clock_time
from monitor.model import Alert, RuleState, RuleStatus
from monitor.ui.messages import AlertFired, ConfigReloaded, RulesChanged
from monitor.ui.widgets.panes import Pane

if TYPE_CHECKING:
    from monitor.ui.engine_api import EngineAPI

SEVERITY_STYLES = {"critical": "bold reverse red", "warning": "bold yellow", "info": "cyan"}
STATUS_STYLES = {
    RuleStatus.ARMED: "green",
    RuleStatus.FIRED: "bold red",
    RuleStatus.COOLING: "yellow",
    RuleStatus.SNOOZED: "magenta",
    RuleStatus.MUTED: "dim",
    RuleStatus.NOT_EVALUATED: "bold yellow",
    RuleStatus.DISABLED: "dim",
}

RULE_COLUMNS = [("rule", 12), ("state", 28), ("value / threshold", 18), ("when", None)]
LOG_COLUMNS = [("ack", 3), ("time", 8), ("sev", 4), ("rule", 12), ("message", None)]


def rule_state_text(state: RuleState, tz: tzinfo | None) -> Text:
    """'armed', 'fired at 10:05:00', 'snoozed until 11:00:00', 'not evaluated: why'."""
    status = RuleStatus(state.status)
    words = {
        RuleStatus.FIRED: f"fired at {clock_time(state.fired_at, tz)}",
        RuleStatus.COOLING: f"cooling down until {clock_time(state.until, tz)}",
        RuleStatus.SNOOZED: f"snoozed until {clock_time(state.until, tz)}",
        RuleStatus.NOT_EVALUATED: f"⚠ not evaluated: {state.why or 'no data yet'}",
    }.get(status, status.value.replace("_", " "))
    return Text(words, style=STATUS_STYLES.get(status, ""), no_wrap=True, overflow="ellipsis")


def rule_cells(state: RuleState, tz: tzinfo | None) -> list[Text]:
    level = f" L{state.level + 1}" if state.level is not None else ""
    return [
        Text(state.name, style="bold", no_wrap=True, overflow="ellipsis"),
        rule_state_text(state, tz),
        Text(f"{amount(state.value)} / {amount(state.threshold)}{level}", justify="right"),
        Text(state.when, style="dim", no_wrap=True, overflow="ellipsis"),
    ]


def alert_cells(alert: Alert, tz: tzinfo | None) -> list[Text]:
    severity = alert.severity.lower()
    return [
        Text("✓" if alert.acknowledged else "●", style="dim" if alert.acknowledged else "bold"),
        Text(clock_time(alert.time, tz), style="dim"),
        Text(severity.upper()[:4], style=SEVERITY_STYLES.get(severity, "")),
        Text(alert.rule, style="bold", no_wrap=True, overflow="ellipsis"),
        Text(alert.message, no_wrap=True, overflow="ellipsis"),
    ]


def _alert_key(alert: Alert, index: int) -> str:
    return f"id:{alert.id}" if alert.id is not None else f"new:{index}"


class AlertsPane(Pane):
    BINDINGS = [
        Binding("a", "ack", "Ack", id="ack"),
        Binding("z", "snooze", "Snooze", id="snooze"),
        Binding("m", "mute", "Mute", id="mute"),
    ]

    @dataclass
    class UnackedChanged(Message):
        """How many alerts in the log are not acknowledged yet (the tab shows it)."""

        count: int

    def __init__(self) -> None:
        super().__init__(id="alerts", title="Alerts")
        self.states: list[RuleState] = []
        self.alerts: list[Alert] = []  # newest first
        self._keys: list[str] = []
        self._fresh = 0  # counter for alerts that have no store id yet
        self._loaded = False

    def compose(self) -> ComposeResult:
        with Vertical(id="rules-box"):
            yield Label("Rules", classes="section")
            yield DataTable(id="rules-table", cursor_type="row")
        with Vertical(id="log-box"):
            yield Label("Alert log", classes="section")
            yield DataTable(id="log-table", cursor_type="row")

    def on_mount(self) -> None:
        for label, width in RULE_COLUMNS:
            self.rules_table.add_column(Text(label, style="bold"), key=label, width=width)
        for label, width in LOG_COLUMNS:
            self.log_table.add_column(Text(label, style="bold"), key=label, width=width)
        self._render_rules()
        self._render_log()

    @property
    def rules_table(self) -> DataTable[Any]:
        return self.query_one("#rules-table", DataTable)

    @property
    def log_table(self) -> DataTable[Any]:
        return self.query_one("#log-table", DataTable)

    # ---- data in ------------------------------------------------------------------

    async def attach(self, engine: EngineAPI, tz: tzinfo | None) -> None:
        await super().attach(engine, tz)
        self.set_rules(engine.rule_states())
        self.set_log(await engine.alert_log())

    def on_rules_changed(self, message: RulesChanged) -> None:
        self.set_rules(message.states)

    def on_config_reloaded(self, message: ConfigReloaded) -> None:
        if message.error is None and self.engine is not None:
            self.set_rules(self.engine.rule_states())

    def on_alert_fired(self, message: AlertFired) -> None:
        """A fired alert goes to the top of the log (the app toasts it)."""
        self.add_alert(message.alert)

    def set_rules(self, states: Iterable[RuleState]) -> None:
        self._loaded = True
        self.states = list(states)
        self._render_rules()

    def set_log(self, alerts: Iterable[Alert]) -> None:
        self._loaded = True
        self.alerts = sorted(alerts, key=lambda a: a.time, reverse=True)
        self._render_log()

    def add_alert(self, alert: Alert) -> None:
        had_rows = bool(self.alerts)
        self.alerts.insert(0, alert)
        # the new alert goes on top: the cursor stays on the alert it was on
        self._render_log(shift=1 if had_rows else 0)

    def _unacked_changed(self) -> None:
        self.post_message(self.UnackedChanged(sum(1 for a in self.alerts if not a.acknowledged)))

    def _render_rules(self) -> None:
        table = self.rules_table
        cursor = table.cursor_row
        table.clear()
        for state in self.states:
            table.add_row(*rule_cells(state, self.tz), key=state.name)
        if not self.states:
            message = "no alert rules configured" if self._loaded else "loading…"
            table.add_row(Text(message, style="dim italic"))
        table.move_cursor(row=cursor, scroll=False)

    def _render_log(self, shift: int = 0) -> None:
        table = self.log_table
        cursor = table.cursor_row + shift
        table.clear()
        self._keys = []
        for alert in self.alerts:
            if alert.id is None:
                self._fresh += 1
            key = _alert_key(alert, self._fresh)
            self._keys.append(key)
            table.add_row(*alert_cells(alert, self.tz), key=key)
        if not self.alerts:
            message = "no alerts yet" if self._loaded else "loading…"
            table.add_row(Text(""), Text(""), Text(""), Text(""), Text(message, style="dim"))
        table.move_cursor(row=cursor, scroll=False)
        self._unacked_changed()

    # ---- selection ----------------------------------------------------------------

    def selected_alert(self) -> Alert | None:
        """The alert under the log's cursor; on the rules table, the newest alert of the
        rule under the cursor that is not acknowledged; else the newest such alert."""
        log, rules = self.log_table, self.rules_table
        if self.alerts and log.has_focus and 0 <= log.cursor_row < len(self.alerts):
            return self.alerts[log.cursor_row]
        if self.states and rules.has_focus and 0 <= rules.cursor_row < len(self.states):
            rule = self.states[rules.cursor_row].name
            return next((a for a in self.alerts if a.rule == rule and not a.acknowledged), None)
        return next((a for a in self.alerts if not a.acknowledged), None)

    def selected_rule(self) -> str | None:
        """The rule under the rules cursor, or the rule of the selected alert."""
        table = self.rules_table
        if self.states and table.has_focus and 0 <= table.cursor_row < len(self.states):
            return self.states[table.cursor_row].name
        alert = self.selected_alert()
        if alert is not None:
            return alert.rule
        return self.states[table.cursor_row].name if self.states else None

    # ---- actions ------------------------------------------------------------------

    def action_ack(self) -> None:
        alert = self.selected_alert()
        if alert is None or alert.acknowledged:
            rule = self.selected_rule() if self.rules_table.has_focus else None
            where = f" for {rule}" if rule else ""
            self.app.notify(f"No unacknowledged alert{where}", timeout=2, markup=False)
            return
        index = self.alerts.index(alert)
        self.alerts[index] = dataclasses.replace(alert, acknowledged=True)
        self.log_table.update_cell(self._keys[index], "ack", Text("✓", style="dim"))
        self._unacked_changed()
        if alert.id is not None and self.engine is not None:
            self._apply(self.engine.ack(alert.id))

    def action_snooze(self) -> None:
        rule = self.selected_rule()
        if rule is None or self.engine is None:
            return
        from monitor.ui.screens.snooze import SnoozeScreen

        def chosen(seconds: float | None) -> None:
            if seconds and self.engine is not None:
                self._apply(self.engine.snooze(rule, seconds))
                self.app.notify(f"{rule}: snoozed", timeout=3, markup=False)

        self.app.push_screen(SnoozeScreen(rule, self.now(), self.tz), chosen)

    def action_mute(self) -> None:
        rule = self.selected_rule()
        if rule is None or self.engine is None:
            return
        state = next((s for s in self.states if s.name == rule), None)
        muted = state is None or state.status != RuleStatus.MUTED
        self._apply(self.engine.mute(rule, muted))
        self.app.notify(f"{rule}: {'muted' if muted else 'unmuted'}", timeout=3, markup=False)

    @work(group="alert-actions", exit_on_error=False)
    async def _apply(self, change: Awaitable[None]) -> None:
        assert self.engine is not None
        await change
        # the engine's RulesEvent will follow; read now so the pane shows it at once
        self.set_rules(self.engine.rule_states())
