"""The alerts pane: every rule's live state above (or beside) the alert log.

Rows and columns are built in ``alert_rows`` (pure); Enter on a row opens its detail:
the rule's condition, state and latest alert, or the alert's whole message, context and
headlines, with the data time's date and zone.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Label

from monitor.formatting import Zones
from monitor.model import Alert, RuleState, RuleStatus
from monitor.ui.columns import Column
from monitor.ui.messages import AlertFired, ConfigReloaded, RulesChanged
from monitor.ui.widgets.alert_rows import (
    LOG_COLUMNS,
    RULE_COLUMNS,
    RuleRows,
    alert_cells,
    log_layout,
    placeholder,
)
from monitor.ui.widgets.cell_table import CellTable
from monitor.ui.widgets.panes import Pane
from monitor.ui.widgets.rule_table import RuleCells

if TYPE_CHECKING:
    from monitor.ui.engine_api import EngineAPI


def _alert_key(alert: Alert, index: int) -> str:
    return f"id:{alert.id}" if alert.id is not None else f"new:{index}"


class AlertsPane(Pane):
    BINDINGS = [
        Binding("a", "ack", "Ack", id="ack"),
        Binding("z", "snooze", "Snooze", id="snooze"),
        Binding("m", "mute", "Mute", id="mute"),
        Binding("enter", "open_detail", "Details", id="alert_detail", show=False),
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
        self._rule_widths: dict[str, int] = {}
        self._rule_keys: list[str] = []  # the rules shown, in order
        self._rule_rows = RuleRows()
        self._rule_cells: RuleCells | None = None  # written in view only
        self._log_widths: dict[str, int] = {}

    def compose(self) -> ComposeResult:
        with Vertical(id="rules-box"):
            yield Label("Rules", classes="section")
            yield CellTable(id="rules-table", cursor_type="row")
        with Vertical(id="log-box"):
            yield Label("Alert log", classes="section")
            yield CellTable(id="log-table", cursor_type="row")  # an alert lays nothing out

    def on_mount(self) -> None:
        self._render_rules()
        self._render_log()

    def on_resize(self) -> None:
        self._render_rules()
        self._render_log()

    @property
    def rules_table(self) -> CellTable:
        return self.query_one("#rules-table", CellTable)

    @property
    def log_table(self) -> CellTable:
        return self.query_one("#log-table", CellTable)

    # ---- data in ------------------------------------------------------------------

    async def attach(self, engine: EngineAPI, zones: Zones) -> None:
        await super().attach(engine, zones)
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
        rows = [self._rule_rows.cells(state, self.stamp) for state in self.states]
        keys = [s.name for s in self.states]
        if not self.states:
            message = "no alert rules configured" if self._loaded else "loading…"
            rows = [placeholder(RULE_COLUMNS, message, "rule")]
        widths = self._rule_rows.layout(rows, table.size.width - 1)
        if self._rule_cells is None:
            self._rule_cells = RuleCells(table)
        if keys and keys == self._rule_keys:  # values move each batch
            if widths != self._rule_widths:  # a state grew ("fired at 10:05"): rows stay
                self._rule_cells.set_columns(widths, keys, rows, RULE_COLUMNS)
                self._rule_widths = widths
            self._rule_cells.update(keys, rows)
            return
        self._rule_widths, self._rule_keys = widths, keys
        _fill(table, RULE_COLUMNS, widths, rows, keys)
        self._rule_cells.filled(keys, rows, widths)
        table.move_cursor(row=cursor, scroll=False)

    def _render_log(self, shift: int = 0) -> None:
        table = self.log_table
        cursor = table.cursor_row + shift
        self._keys = []
        for alert in self.alerts:
            if alert.id is None:
                self._fresh += 1
            self._keys.append(_alert_key(alert, self._fresh))
        rows = [alert_cells(alert, self.stamp) for alert in self.alerts]
        if not self.alerts:
            message = "no alerts yet" if self._loaded else "loading…"
            rows = [placeholder(LOG_COLUMNS, message, "message")]
        self._log_widths = log_layout(rows, table.size.width - 1)
        _fill(table, LOG_COLUMNS, self._log_widths, rows, self._keys)
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

    @on(DataTable.RowSelected)
    def _row_chosen(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open_detail()

    def action_open_detail(self) -> None:
        """The whole of the row under the cursor: a rule, or an alert of the log."""
        from monitor.ui.screens.alert_detail import AlertDetail, RuleDetail

        log, rules = self.log_table, self.rules_table
        if log.has_focus and self.alerts and 0 <= log.cursor_row < len(self.alerts):
            self.app.push_screen(AlertDetail(self.alerts[log.cursor_row], self.zones))
        elif rules.has_focus and self.states and 0 <= rules.cursor_row < len(self.states):
            state = self.states[rules.cursor_row]
            latest = next((a for a in self.alerts if a.rule == state.name), None)
            self.app.push_screen(RuleDetail(state, latest, self.zones))

    @work(group="alert-actions", exit_on_error=False)
    async def _apply(self, change: Awaitable[None]) -> None:
        assert self.engine is not None
        await change
        # the engine's RulesEvent will follow; read now so the pane shows it at once
        self.set_rules(self.engine.rule_states())


def _fill(
    table: DataTable[Any],
    columns: Sequence[Column],
    widths: dict[str, int],
    rows: list[dict[str, Text]],
    keys: list[str],
) -> None:
    """The table anew: the columns that fit, then the rows (a placeholder has no key)."""
    table.clear(columns=True)
    headers = {c.key: c.header for c in columns}
    for column, width in widths.items():
        table.add_column(Text(headers[column], style="bold"), key=column, width=width)
    for index, row in enumerate(rows):
        key = keys[index] if index < len(keys) else None
        table.add_row(*(row[k] for k in widths), key=key)
