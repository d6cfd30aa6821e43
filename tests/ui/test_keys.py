"""The key table the config checks a remapping against is the app's own bindings."""

from __future__ import annotations

from textual.binding import Binding

from monitor.key_actions import ACTIONS
from monitor.ui.app import MonitorApp
from monitor.ui.keys import binding_sections


def test_the_configs_key_table_is_the_apps_bindings() -> None:
    bound = {
        title: {b.id: tuple(k.strip() for k in b.key.split(",")) for b in bindings
                if isinstance(b, Binding) and b.id}
        for title, bindings in binding_sections(MonitorApp)
    }  # fmt: skip
    bound = {title: actions for title, actions in bound.items() if actions}
    assert bound == ACTIONS


async def test_home_and_end_move_the_cursor_to_the_first_and_last_row_of_each_list() -> None:
    from tests.ui.test_app import WIDE, make_app, ready
    from tests.ui.test_feeds_ui import _open_feeds

    app, _ = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot, app)
        for pane in ("watchlist", "headlines"):
            app.action_show_pane(pane)
            await pilot.pause()
            table = app.focused
            assert table is not None and table.row_count > 2
            await pilot.press("down", "down")
            assert table.cursor_row == 2
            await pilot.press("home")
            assert table.cursor_row == 0, pane
            await pilot.press("end")
            assert table.cursor_row == table.row_count - 1, pane
        feeds = (await _open_feeds(pilot, app)).table
        assert feeds.row_count > 1
        await pilot.press("end")
        assert feeds.cursor_row == feeds.row_count - 1
        await pilot.press("home")
        assert feeds.cursor_row == 0
