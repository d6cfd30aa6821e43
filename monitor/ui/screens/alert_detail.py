"""A rule or an alert in full (Enter in the Alerts pane): what a table row had to cut.

An alert: its whole message, severity, level, the data time with its date and zone,
the context that explains it and the headlines it carried.  A rule: its condition,
state (the whole reason when it is not evaluated), value against threshold and its
latest alert.  Everything is plain Text: nothing in it is read as markup.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from monitor.formatting import Zones
from monitor.model import Alert, RuleState
from monitor.sessions import market_for
from monitor.ui.widgets.alert_rows import SEVERITY_STYLES, rule_state_text, value_text

#: context keys shown in their own words (the others as "key: value")
SAID = ("largest_since", "market_value_change")
NOT_SHOWN = {"data_time", "level", "levels", "thresholds", *SAID}


def dated(zones: Zones, t: datetime | None, symbol: str | None) -> str:
    """The time with its date and zone (market data at its exchange's, unless local)."""
    return zones.stamp(t, market=market_for(symbol).tz if symbol else None)


def alert_text(alert: Alert, zones: Zones) -> Text:
    text = Text()
    text.append(alert.rule + "\n", style="bold")
    severity = alert.severity.lower()
    text.append(f" {severity.upper()} ", style=SEVERITY_STYLES.get(severity, ""))
    context = alert.context
    level, levels = context.get("level"), context.get("levels")
    if isinstance(level, int) and isinstance(levels, int):
        text.append(f" · level {level} of {levels}")
    text.append(" · " + ("acknowledged" if alert.acknowledged else "not acknowledged") + "\n\n")
    text.append(alert.message + "\n\n")
    text.append("data time  ", style="dim")
    text.append(dated(zones, _data_time(alert), alert.symbol) + "\n")
    if alert.symbols:
        text.append("symbols    ", style="dim")
        text.append(" ".join(alert.symbols) + "\n", style="bold cyan")
    _context(text, context)
    _headlines(text, alert.headlines, zones)
    return text


def _data_time(alert: Alert) -> datetime:
    raw = alert.context.get("data_time")
    try:
        return datetime.fromisoformat(raw) if isinstance(raw, str) else alert.time
    except ValueError:
        return alert.time


def _context(text: Text, context: Mapping[str, Any]) -> None:
    lines = [str(context[k]) for k in SAID if context.get(k)]
    thresholds = context.get("thresholds")
    if isinstance(thresholds, list) and thresholds:
        lines.append("levels " + ", ".join(f"{t:g}" for t in thresholds))
    if isinstance(streak := context.get("limit_up_streak"), int) and streak:
        lines.append(f"{streak} limit-up session{'' if streak == 1 else 's'} in a row")
    lines += [f"{k}: {v}" for k, v in context.items() if k not in NOT_SHOWN | {"limit_up_streak"}]
    if lines:
        text.append("\nContext\n", style="bold underline")
        for line in lines:
            text.append(f"  {line}\n")


def _headlines(text: Text, headlines: tuple[dict[str, Any], ...], zones: Zones) -> None:
    if not headlines:
        return
    text.append("\nHeadlines\n", style="bold underline")
    for h in headlines:
        when = _published(h.get("published"), zones)
        text.append(f"  {h.get('source', '')}", style="italic")
        text.append(f" · {when}\n" if when else "\n", style="dim")
        text.append(f"    {h.get('title', '')}\n")
        if h.get("link"):
            text.append(f"    {h['link']}\n", style="dim")


def _published(raw: object, zones: Zones) -> str:
    try:
        return zones.stamp(datetime.fromisoformat(raw)) if isinstance(raw, str) else ""
    except ValueError:
        return ""


def rule_text(state: RuleState, latest: Alert | None, zones: Zones) -> Text:
    text = Text()
    text.append(state.name + "\n", style="bold")
    text.append(f"when  {state.when}\n\n", style="dim")
    text.append_text(rule_state_text(state, lambda t, s: dated(zones, t, s)))
    text.append("\n")
    text.append(f"value / threshold  {value_text(state)}\n", style="dim")
    if latest is not None:
        text.append("\nLatest alert\n", style="bold underline")
        text.append(f"  {dated(zones, latest.time, latest.symbol)}  ", style="dim")
        text.append(latest.message + "\n")
    return text


class _Detail(ModalScreen[None]):
    BINDINGS = [Binding("escape,q", "dismiss", "Close", id="close_alert_detail")]

    def __init__(self, body: Text) -> None:
        super().__init__(classes="dialog-screen")
        self.body = body

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog wide-dialog"):
            yield Static(self.body, id="alert-detail")
            yield Static(Text("Esc or q closes", style="dim"), classes="dialog-hint")


class AlertDetail(_Detail):
    """An alert of the log, in full."""

    def __init__(self, alert: Alert, zones: Zones) -> None:
        super().__init__(alert_text(alert, zones))
        self.alert = alert


class RuleDetail(_Detail):
    """A rule, in full, with its latest alert."""

    def __init__(self, state: RuleState, latest: Alert | None, zones: Zones) -> None:
        super().__init__(rule_text(state, latest, zones))
        self.state = state
