"""The watchlist lays its columns out again without building its rows again: a change
that grows digits widens its column, a wider pane shows more columns; what it shows is what
a full rebuild would show (cells, columns, cursor, screen)."""

from __future__ import annotations

import dataclasses

from monitor.events import QuotesEvent
from monitor.model import QuoteBatch
from monitor.ui.app import MonitorApp
from tests.ui.fake_engine import NOW
from tests.ui.test_app import SMALL, WIDE, make_app, ready, screen_text, table_shown, wait_for


async def _shown(pilot, app: MonitorApp) -> tuple[object, ...]:
    await pilot.pause()
    table = app.watchlist.table
    rows, columns = table_shown(table)
    return rows, columns, table.cursor_row, table.virtual_size, screen_text(app)


def _spy(monkeypatch, app: MonitorApp) -> list[str]:
    pane, table, calls = app.watchlist, app.watchlist.table, []
    real_rebuild, real_clear = pane.rebuild, table.clear
    monkeypatch.setattr(pane, "rebuild", lambda: calls.append("rebuild") or real_rebuild())
    monkeypatch.setattr(table, "clear", lambda **kw: calls.append("clear") or real_clear(**kw))
    return calls


async def test_a_wider_change_widens_its_column_and_the_rows_stay(monkeypatch) -> None:
    app, engine = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot, app)
        app.watchlist.table.move_cursor(row=3)
        widths = dict(app.watchlist._widths)
        calls = _spy(monkeypatch, app)
        msft = dataclasses.replace(engine.quotes()["MSFT"], price=12345.67, as_of=NOW)
        engine.emit(QuotesEvent(QuoteBatch(NOW, {"MSFT": msft})))
        table = app.watchlist.table
        await wait_for(pilot, lambda: table.get_cell("AI\x1fMSFT", "last").plain == "12,345.67")
        placed = await _shown(pilot, app)
        assert calls == [], "no row built again"
        assert app.watchlist._widths["pct"] > widths["pct"], "+2,7xx.xx%: a wider column"
        app.watchlist.rebuild()
        assert placed == await _shown(pilot, app), "what a full rebuild shows"


async def test_a_wider_pane_shows_more_columns_and_the_rows_stay(monkeypatch) -> None:
    app, _ = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await ready(pilot, app)
        before = list(app.watchlist.table.columns)
        calls = _spy(monkeypatch, app)
        await pilot.resize_terminal(*WIDE)
        await wait_for(pilot, lambda: len(app.watchlist.table.columns) > len(before))
        placed = await _shown(pilot, app)
        assert calls == []
        app.watchlist.rebuild()
        assert placed == await _shown(pilot, app)
