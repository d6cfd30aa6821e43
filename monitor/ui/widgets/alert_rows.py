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
    words = rule_state_words(state, stamp)
    style = STATUS_STYLES.get(RuleStatus(state.status), "")
    return Text(words, style=style, no_wrap=True, overflow="ellipsis")


def rule_state_words(state: RuleState, stamp: Stamp) -> str:
    """The words of ``rule_state_text``."""
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
    return words


def state_head(text: str) -> str:
    """What of a state is never cut: 'fired', 'cooling', '⚠ not evaluated', 'armed'."""
    if text.startswith("⚠"):
        return text.split(":", 1)[0]
    return text.split(" ", 1)[0]


def value_text(state: RuleState) -> str:
    level = f" L{state.level + 1}" if state.level is not None else ""
    return f"{amount(state.value)} / {amount(state.threshold)}{level}"


def rule_cells(state: RuleState, stamp: Stamp) -> dict[str, Text]:
    return {column.key: rule_cell(column.key, state, stamp) for column in RULE_COLUMNS}


def rule_cell(column: str, state: RuleState, stamp: Stamp) -> Text:
    """One of a rule's cells, by column."""
    if column == "rule":
        return Text(state.name, style="bold", no_wrap=True, overflow="ellipsis")
    if column == "state":
        return rule_state_text(state, stamp)
    if column == "value":
        return Text(value_text(state), justify="right")
    return Text(state.when, style="dim", no_wrap=True, overflow="ellipsis")


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
    sends all the rules' states, and most read as they did.

    A rule's cell is made again only when what it reads changes (a state holding a
    time is worded again each time: "fired at 10:05" is dated once its day is over);
    the others are the same objects, which the table passes over.  The columns are
    kept while the cells are as wide."""

    def __init__(self) -> None:
        #: rule -> its state, what its cells read, and the cells
        self._kept: dict[str, tuple[RuleState, dict[str, object], dict[str, Text]]] = {}
        self._layout: tuple[tuple[object, ...], dict[str, int]] | None = None
        self._measured: tuple[list[dict[str, Text]], tuple[object, ...]] | None = None

    def cells(self, state: RuleState, stamp: Stamp) -> dict[str, Text]:
        kept = self._kept.get(state.name)
        if kept is not None and kept[0] == state and not _dated(state):
            return kept[2]
        reads = _reads(state, stamp)
        if kept is not None and kept[1] == reads:
            return kept[2]
        if kept is None:
            cells = rule_cells(state, stamp)
            if len(self._kept) > KEPT_RULES:
                self._kept.clear()
        else:
            old_reads, old = kept[1], kept[2]
            cells = {
                c: old[c] if old_reads[c] == reads[c] else rule_cell(c, state, stamp) for c in old
            }
        self._kept[state.name] = (state, reads, cells)
        return cells

    def layout(self, rows: Sequence[dict[str, Text]], room: int) -> dict[str, int]:
        key = (room, *self._measures(rows))
        if self._layout is None or self._layout[0] != key:
            self._layout = (key, rules_layout(rows, room))
        return dict(self._layout[1])

    def _measures(self, rows: Sequence[dict[str, Text]]) -> tuple[object, ...]:
        """``_measures`` of ``rows``, kept while they are the same rows (``cells``
        gives a rule's own dict again while it reads the same)."""
        last = self._measured
        if last is not None and len(last[0]) == len(rows):
            if all(a is b for a, b in zip(last[0], rows, strict=True)):
                return last[1]
        measures = _measures(rows)
        self._measured = (list(rows), measures)
        return measures


def _dated(state: RuleState) -> bool:
    """Whether the state's words hold a time (worded again each time: see RuleRows)."""
    return state.fired_at is not None or state.until is not None


def _reads(state: RuleState, stamp: Stamp) -> dict[str, object]:
    """What each of a rule's cells reads (their styles follow from it)."""
    return {
        "rule": state.name,
        "state": (state.status, rule_state_words(state, stamp)),
        "value": value_text(state),
        "when": state.when,
    }


def _measures(rows: Sequence[dict[str, Text]]) -> tuple[object, ...]:
    """What ``rules_layout`` reads of the rows: the names, every column's widest cell
    and the widest first words of a state."""
    names = tuple(row["rule"].plain for row in rows)
    widest_cells = tuple(max((r[c.key].cell_len for r in rows), default=0) for c in RULE_COLUMNS)
    heads = max((_head_width(row["state"].plain) for row in rows), default=0)
    return names, widest_cells, heads


#: rules whose cells are kept (more means another config: start again)
KEPT_RULES = 1000
