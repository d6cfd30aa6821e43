"""The alerts pane's rows: pure (RuleState | Alert, how times read) -> rich Text cells,
and the columns that fit them (``monitor.ui.columns``).

A rule's name is never cut so far that two rules read alike, nor the first words of its
state ("fired", "⚠ not evaluated"); the value against the threshold, then the condition
give way.  In the log the
time, the message and the acknowledgement stay; the rule and the severity give way.
The full text of anything cut is one key away (Enter: monitor/ui/screens/alert_detail).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import datetime

from rich.text import Text

from monitor.formatting import amount
from monitor.model import Alert, RuleState, RuleStatus
from monitor.ui.columns import Column, fit, widest

#: a time as the pane shows it: (time, the symbol whose exchange it is of) -> text
Stamp = Callable[[datetime | None, str | None], str]

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
#: a name longer than this is cut in a table (read it whole with Enter)
NAME_CAP = 32
#: a name is cut no shorter than this (or than it takes to tell two names apart)
NAME_LEAST = 12
#: this much of a rule's state ("fired at 09:35 EST", a reason it is not evaluated) is
#: kept before its value and condition get columns
STATE_KEPT = 36
RULE_COLUMNS = [
    Column("rule", "rule", priority=0, cap=NAME_CAP),
    Column("state", "state", priority=0),
    Column("value", "value / threshold", priority=1),
    Column("when", "when", minimum=12, priority=2),
]
LOG_COLUMNS = [
    Column("ack", "ack", priority=0),
    Column("time", "time", priority=0),
    Column("sev", "sev", priority=3),
    Column("rule", "rule", priority=1, cap=20),
    Column("message", "message", minimum=20, priority=0, flexible=True),
]


def rule_state_text(state: RuleState, stamp: Stamp) -> Text:
    """'armed', 'fired at 10:05 EST', 'snoozed until 11:00 EST', 'not evaluated: why'."""
    status = RuleStatus(state.status)
    if status is RuleStatus.FIRED:
        words = f"fired at {stamp(state.fired_at, state.symbol)}"
    elif status is RuleStatus.COOLING:
        words = f"cooling down until {stamp(state.until, state.symbol)}"
    elif status is RuleStatus.SNOOZED:
        words = f"snoozed until {stamp(state.until, None)}"
    elif status is RuleStatus.NOT_EVALUATED:
        words = f"⚠ not evaluated: {state.why or 'no data yet'}"
    else:
        words = status.value.replace("_", " ")
    return Text(words, style=STATUS_STYLES.get(status, ""), no_wrap=True, overflow="ellipsis")


def state_head(text: str) -> str:
    """What of a state is never cut: 'fired', 'cooling', '⚠ not evaluated', 'armed'."""
    if text.startswith("⚠"):
        return text.split(":", 1)[0]
    return text.split(" ", 1)[0]


def value_text(state: RuleState) -> str:
    level = f" L{state.level + 1}" if state.level is not None else ""
    return f"{amount(state.value)} / {amount(state.threshold)}{level}"


def rule_cells(state: RuleState, stamp: Stamp) -> dict[str, Text]:
    return {
        "rule": Text(state.name, style="bold", no_wrap=True, overflow="ellipsis"),
        "state": rule_state_text(state, stamp),
        "value": Text(value_text(state), justify="right"),
        "when": Text(state.when, style="dim", no_wrap=True, overflow="ellipsis"),
    }


def alert_cells(alert: Alert, stamp: Stamp) -> dict[str, Text]:
    severity = alert.severity.lower()
    return {
        "ack": Text(
            "✓" if alert.acknowledged else "●", style="dim" if alert.acknowledged else "bold"
        ),
        "time": Text(stamp(alert.time, alert.symbol), style="dim", no_wrap=True),
        "sev": Text(severity.upper()[:4], style=SEVERITY_STYLES.get(severity, "")),
        "rule": Text(alert.rule, style="bold", no_wrap=True, overflow="ellipsis"),
        "message": Text(alert.message, no_wrap=True, overflow="ellipsis"),
    }


def rules_layout(rows: Sequence[dict[str, Text]], room: int) -> dict[str, int]:
    natural = {c.key: widest([r[c.key].plain for r in rows]) for c in RULE_COLUMNS}
    # the first words whole, with room for the "…" of what follows them
    heads = max((_head_width(r["state"].plain) for r in rows), default=0)
    ideal = min(natural["state"], STATE_KEPT)
    sized = {
        "rule": _named(RULE_COLUMNS[0], [r["rule"].plain for r in rows]),
        "state": Column("state", "state", minimum=heads, priority=0, ideal=ideal),
    }
    return fit([sized.get(c.key, c) for c in RULE_COLUMNS], room, natural)


def _named(column: Column, names: Sequence[str]) -> Column:
    """A name column that may be cut, never so far that two names read the same."""
    least = max(distinct_width(names), min(NAME_LEAST, widest(names)))
    return dataclasses.replace(column, minimum=least)


def distinct_width(names: Sequence[str]) -> int:
    """The narrowest width at which every name still reads differently once cut with a
    "…" ('DeepSeek news w…' and 'DeepSeek news b…', never 'DeepSeek ne…' twice)."""
    longest = max((len(n) for n in names), default=0)
    unique = set(names)
    for width in range(1, longest + 1):
        if len({n if len(n) <= width else n[: width - 1] + "…" for n in unique}) == len(unique):
            return width
    return longest


def _head_width(text: str) -> int:
    head = state_head(text)
    return len(head) + (1 if len(head) < len(text) else 0)


def log_layout(rows: Sequence[dict[str, Text]], room: int) -> dict[str, int]:
    natural = {c.key: widest([r[c.key].plain for r in rows]) for c in LOG_COLUMNS}
    natural["ack"] = 1
    rule = _named(LOG_COLUMNS[3], [r["rule"].plain for r in rows])
    return fit([rule if c.key == "rule" else c for c in LOG_COLUMNS], room, natural)


def placeholder(columns: Sequence[Column], message: str, last: str) -> dict[str, Text]:
    """A row saying why the table is empty, in its ``last`` column."""
    return {c.key: Text("") for c in columns} | {last: Text(message, style="dim italic")}


class RuleRows:
    """The rules table's cells and columns, kept between updates: every quote batch
    sends all the rules' states, and most are as they were.

    A rule's cells are kept while its state is the same, unless they hold a time
    (fired at, cooling or snoozed until: dated once it is no longer that day, so they
    are made again each time).  The columns are kept while the cells read the same."""

    def __init__(self) -> None:
        self._cells: dict[RuleState, dict[str, Text]] = {}
        self._layout: tuple[tuple[object, ...], dict[str, int]] | None = None

    def cells(self, state: RuleState, stamp: Stamp) -> dict[str, Text]:
        if state.fired_at is not None or state.until is not None:
            return rule_cells(state, stamp)
        cells = self._cells.get(state)
        if cells is None:
            if len(self._cells) > KEPT_STATES:
                self._cells.clear()
            cells = self._cells[state] = rule_cells(state, stamp)
        return cells

    def layout(self, rows: Sequence[dict[str, Text]], room: int) -> dict[str, int]:
        key = (room, *(cell.plain for row in rows for cell in row.values()))
        if self._layout is None or self._layout[0] != key:
            self._layout = (key, rules_layout(rows, room))
        return dict(self._layout[1])


#: rule states whose cells are kept (a few batches' worth of 50 rules changing)
KEPT_STATES = 1000
