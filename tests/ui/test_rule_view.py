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


async def _rules_shown(pilot, app, engine):
    """The app started, every rule of RULES in its rules table: the table."""
    await ready(pilot, app)
    table = app.alerts.rules_table
    engine.emit(RulesEvent(tuple(RULES)))
    await wait_for(pilot, lambda: table.row_count == len(RULES))
    return table


async def test_rules_out_of_view_are_written_when_they_come_into_view() -> None:
    app, engine = make_app()
    async with app.run_test(size=WIDE) as pilot:
        table = await _rules_shown(pilot, app, engine)
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


async def test_a_state_that_widens_its_column_keeps_the_rows_and_the_view(monkeypatch) -> None:
    """A rule firing ("fired at 09:35 UTC") widens the state column: the columns take
    their new widths, the rows stay (the table is not cleared, the view does not jump
    to the top), and what is in view is what a rebuild shows."""
    from datetime import UTC, datetime

    app, engine = make_app()
    async with app.run_test(size=WIDE) as pilot:
        table = await _rules_shown(pilot, app, engine)
        table.scroll_to(y=15, animate=False, immediate=True)
        await pilot.pause()
        top = table.scroll_offset.y
        in_view = sorted(table.rows_in_view())
        assert top > 0 and in_view
        cleared: list[bool] = []
        real_clear = table.clear
        monkeypatch.setattr(table, "clear", lambda **kw: cleared.append(True) or real_clear(**kw))
        at = datetime(2025, 1, 27, 14, 35, tzinfo=UTC)
        fired = {in_view[1]}
        states = [
            dataclasses.replace(s, status=RuleStatus.FIRED, fired_at=at, value=(s.value or 0) - 1)
            if s.name in fired
            else dataclasses.replace(s, value=(s.value or 0) + 0.25)
            for s in RULES
        ]
        widths = {c.key.value: c.width for c in table.ordered_columns}
        engine.emit(RulesEvent(tuple(states)))
        await wait_for(pilot, lambda: table.get_cell(in_view[1], "state").plain != "armed")
        await pilot.pause()
        assert {c.key.value: c.width for c in table.ordered_columns} != widths, "it widened"
        assert cleared == [] and table.scroll_offset.y == top

        def shown() -> tuple[object, ...]:
            columns = [(c.key.value, c.width) for c in table.ordered_columns]
            cells = [
                [table.get_cell(name, key).plain for key, _ in columns]
                for name in sorted(table.rows_in_view())
            ]
            return columns, cells

        kept = shown()
        app.alerts._rule_keys = []  # the next render builds the table anew
        app.alerts._render_rules()
        table.scroll_to(y=top, animate=False, immediate=True)
        await pilot.pause()
        assert kept == shown()
