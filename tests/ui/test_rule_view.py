"""The rules table writes the cells of the rules in view only; a rule that comes into
view later shows its current state and value before it is painted, as a rebuild would."""

from __future__ import annotations

import dataclasses

from monitor.events import RulesEvent
from monitor.model import RuleState, RuleStatus
from tests.ui.test_app import WIDE, make_app, ready, wait_for

#: more rules than the rules table shows at once
RULES = [
    RuleState(f"rule {i:02d}", f"S{i:02d} price < 100", RuleStatus.ARMED, value=100.0 + i)
    for i in range(40)
]


def _held(table, name: str) -> str:
    return table.get_cell(name, "value").plain


async def test_rules_out_of_view_are_written_when_they_come_into_view() -> None:
    app, engine = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot, app)
        table = app.alerts.rules_table
        engine.emit(RulesEvent(tuple(RULES)))
        await wait_for(pilot, lambda: table.row_count == len(RULES))
        await pilot.pause()
        first, last = RULES[0].name, RULES[-1].name
        assert first in table.rows_in_view() and last not in table.rows_in_view()
        old_last = _held(table, last)
        moved = [dataclasses.replace(s, value=(s.value or 0) + 0.5) for s in RULES]
        engine.emit(RulesEvent(tuple(moved)))
        await wait_for(pilot, lambda: _held(table, first) == "100.50 / —")
        assert _held(table, last) == old_last, "a rule out of view is not written yet"
        table.action_scroll_bottom()  # the last rule comes into view
        await pilot.pause()
        await pilot.pause()
        assert last in table.rows_in_view()
        assert _held(table, last) == "139.50 / —"
        fresh = type(app.alerts)()._rule_rows  # nothing kept: as a rebuild makes them
        columns = [column.key.value for column in table.ordered_columns]
        for state in moved:
            if state.name in table.rows_in_view():
                cells = fresh.cells(state, app.alerts.stamp)
                held = [table.get_cell(state.name, c).plain for c in columns]
                assert held == [cells[c].plain for c in columns], state.name
