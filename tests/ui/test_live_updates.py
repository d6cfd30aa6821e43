"""Under a moving market the panes rewrite only what moved: quote batches of one frame
are applied once, together; a rule's new value rewrites its cells, not the table."""

from __future__ import annotations

import dataclasses

from textual.screen import Screen

from monitor.events import QuotesEvent, ReplayEndedEvent, RulesEvent
from monitor.model import QuoteBatch
from monitor.ui.widgets.banner import ReplayBanner
from tests.ui.fake_engine import NOW
from tests.ui.test_app import WIDE, cell_texts, make_app, ready, wait_for


async def test_quote_batches_of_one_frame_are_applied_once_with_the_newest_prices(
    monkeypatch,
) -> None:
    app, engine = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot, app)
        pane = app.watchlist
        applied: list[dict[str, float | None]] = []
        real = pane.apply_quotes

        def spy(quotes):
            applied.append({s: q.price for s, q in quotes.items()})
            return real(quotes)

        monkeypatch.setattr(pane, "apply_quotes", spy)
        msft, nvda = engine.quotes()["MSFT"], engine.quotes()["NVDA"]
        for price in (440.0, 441.0, 442.0):  # three batches before the next frame
            quote = dataclasses.replace(msft, price=price, as_of=NOW)
            engine.emit(QuotesEvent(QuoteBatch(NOW, {"MSFT": quote})))
        engine.emit(QuotesEvent(QuoteBatch(NOW, {"NVDA": dataclasses.replace(nvda, price=99.0)})))
        await wait_for(pilot, lambda: applied)
        await pilot.pause()
        assert applied == [{"MSFT": 442.0, "NVDA": 99.0}], "one apply, each symbol's newest"
        assert pane.table.get_cell("AI\x1fMSFT", "last").plain == "442.00"


async def test_a_rule_value_rewrites_its_cells_and_keeps_the_table(monkeypatch) -> None:
    app, engine = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot, app)
        table = app.alerts.rules_table
        await pilot.press("3")
        table.move_cursor(row=2)
        cleared: list[bool] = []
        real_clear = table.clear
        monkeypatch.setattr(table, "clear", lambda **kw: cleared.append(True) or real_clear(**kw))
        states = engine.rule_states()
        moved = dataclasses.replace(states[2], value=(states[2].value or 0) + 1.5)
        engine.emit(RulesEvent((states[0], states[1], moved)))
        await wait_for(pilot, lambda: app.alerts.states[2] == moved)
        await pilot.pause()
        assert cleared == [], "the rows stay; their cells are rewritten"
        assert table.cursor_row == 2
        assert cell_texts(table, "rule") == [s.name for s in states]
        shown = table.get_cell(states[2].name, "value").plain
        assert shown != "" and shown != cell_texts(table, "value")[1]
        renamed = dataclasses.replace(moved, name="another rule")
        engine.emit(RulesEvent((states[0], states[1], renamed)))
        await wait_for(pilot, lambda: cleared)
        assert cell_texts(table, "rule")[2] == "another rule", "new rules: the table anew"


async def test_a_view_mounted_or_removed_after_events_were_routed_is_found_again() -> None:
    """The views that take engine messages are kept between events: a banner mounted
    later gets the next one, a removed one does not, a screen pushed over the main one
    does."""
    app, engine = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot, app)
        engine.emit(QuotesEvent(QuoteBatch(NOW, {})))  # the views are found and kept
        first = app.query_one(ReplayBanner)
        await first.remove()
        later = ReplayBanner()
        await app.screen.mount(later)
        engine.emit(ReplayEndedEvent(NOW))
        await wait_for(pilot, lambda: later.ended)
        assert not first.ended, "a removed view is not sent to"
        seen: list[object] = []
        over = _Listening(seen)
        await app.push_screen(over)
        engine.emit(ReplayEndedEvent(NOW))
        await wait_for(pilot, lambda: seen)
        await later.remove()
        app.pop_screen()
        await pilot.pause()
        engine.emit(ReplayEndedEvent(NOW))
        await pilot.pause()
        assert len(seen) == 1, "a popped screen is not sent to"


class _Listening(Screen[None]):
    def __init__(self, seen: list[object]) -> None:
        super().__init__()
        self.seen = seen

    def on_replay_ended(self, message: object) -> None:
        self.seen.append(message)


async def test_the_same_rule_states_sent_again_read_as_a_full_rebuild_would() -> None:
    """The rules table keeps the cells of a state sent again: a state that only moved
    in why it is not evaluated is shown anew, and a fired rule's time, which reads by
    the day, is dated once its day is over though its state is the same."""
    app, engine = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot, app)
        table = app.alerts.rules_table
        states = engine.rule_states()
        engine.emit(RulesEvent(tuple(states)))
        await pilot.pause()
        fired = table.get_cell("nvda-drop", "state").plain
        assert fired.startswith("fired at ") and "2025" not in fired
        why = dataclasses.replace(states[1], why="^SOX: no quote yet")
        engine.clock.advance(86_400)  # the next day: the same states
        engine.emit(RulesEvent((states[0], why, states[2])))
        await wait_for(pilot, lambda: "no quote yet" in table.get_cell("sox-drop", "state").plain)
        assert table.get_cell("nvda-drop", "state").plain.startswith("fired at 2025-01-27 ")
        fresh = type(app.alerts)()._rule_rows  # nothing kept: as a full rebuild
        shown = [key.value for key in table.columns]
        for state in (states[0], why, states[2]):
            cells = fresh.cells(state, app.alerts.stamp)
            assert [table.get_cell(state.name, c).plain for c in shown] == [
                cells[c].plain for c in shown
            ]
