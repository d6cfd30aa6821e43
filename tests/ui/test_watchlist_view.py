"""A quote batch works out the cells of the watchlist rows in view only; a row that comes
into view later (a scroll, a group shown, another sort, a taller pane) shows its current
figures before it is painted, as a full rebuild would show them."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from monitor.events import QuotesEvent
from monitor.model import QuoteBatch
from monitor.ui.app import MonitorApp
from tests.ui.fake_engine import NOW, FakeEngine
from tests.ui.test_app import SMALL, WIDE, make_app, ready, screen_text, wait_for

#: more symbols than a pane 24 lines high shows
MANY = [f"S{i:02d}" for i in range(40)]


def _many() -> FakeEngine:
    engine = FakeEngine()
    engine.groups = {"AI": ["NVDA", "AVGO", "MSFT"], "Many": list(MANY)}
    template = engine.quotes()["MSFT"]
    for i, symbol in enumerate(MANY):
        engine._quotes[symbol] = dataclasses.replace(template, symbol=symbol, price=10.0 + i)
    return engine


def _batch(engine: FakeEngine, prices: dict[str, float], minutes: float = 0) -> None:
    at = NOW + timedelta(minutes=minutes)
    quotes = {
        s: dataclasses.replace(engine.quotes()[s], price=p, as_of=at) for s, p in prices.items()
    }
    engine._quotes.update(quotes)
    engine.emit(QuotesEvent(QuoteBatch(at, quotes)))


def _last(app: MonitorApp, symbol: str) -> str:
    return app.watchlist.table.get_cell(f"Many\x1f{symbol}", "last").plain


def _in_view(app: MonitorApp) -> list[tuple[str, list[str]]]:
    """The rows in view, their cells as the table holds them (what is painted)."""
    table = app.watchlist.table
    keys = table.rows_in_view()
    return [
        (str(row.key.value), [table.get_cell(row.key, c.key).plain for c in table.ordered_columns])
        for row in table.ordered_rows
        if row.key.value in keys
    ]


async def _as_a_rebuild(pilot, app: MonitorApp) -> None:
    """What is in view (cells, columns, screen) is what a full rebuild shows."""
    await pilot.pause()
    table = app.watchlist.table
    shown = _in_view(app), [(c.key.value, c.width) for c in table.ordered_columns]
    screen, top = screen_text(app), table.scroll_offset.y
    app.watchlist.rebuild()
    table.scroll_to(y=top, animate=False, immediate=True)  # as far down as before
    await pilot.pause()
    assert shown == (_in_view(app), [(c.key.value, c.width) for c in table.ordered_columns])
    assert screen == screen_text(app)


async def test_a_batch_works_out_the_rows_in_view_and_a_scroll_shows_the_others() -> None:
    app, engine = make_app(_many())
    async with app.run_test(size=SMALL) as pilot:
        await ready(pilot, app)
        pane = app.watchlist
        worked: list[str] = []
        real = pane._cells
        pane._cells = lambda key: worked.append(key) or real(key)  # type: ignore[method-assign]
        _batch(engine, {s: 500.0 + i for i, s in enumerate(MANY)})
        await wait_for(pilot, lambda: _last(app, "S00") == "500.00")
        await pilot.pause()
        in_view = pane.table.rows_in_view()
        assert worked and set(worked) <= in_view, "no row out of view is worked out"
        assert _last(app, "S39") == "49.00", "out of view: not worked out yet"
        pane.table.move_cursor(row=len(pane.rows) - 1)  # scrolls to the last row
        await pilot.pause()
        assert _last(app, "S39") == "539.00"
        assert "539.00" in screen_text(app)
        await _as_a_rebuild(pilot, app)


async def test_a_wider_price_out_of_view_widens_its_column_when_it_comes_into_view() -> None:
    app, engine = make_app(_many())
    async with app.run_test(size=SMALL) as pilot:
        await ready(pilot, app)
        width = app.watchlist._widths["pct"]
        _batch(engine, {"S39": 123456.78})
        await pilot.pause()
        app.watchlist.table.scroll_end(animate=False)
        await wait_for(pilot, lambda: app.watchlist._widths["pct"] > width)  # +28,6xx%
        assert "123,456.78" in screen_text(app)
        await _as_a_rebuild(pilot, app)


async def test_rows_shown_by_a_group_a_sort_or_a_taller_pane_are_current() -> None:
    app, engine = make_app(_many())
    async with app.run_test(size=SMALL) as pilot:
        await ready(pilot, app)
        _batch(engine, {"S14": 77.0}, minutes=1)
        await pilot.pause()
        assert "77.00" not in screen_text(app)
        await pilot.press("g", "g")  # the group "Many" alone: S14 comes into view
        await wait_for(pilot, lambda: "77.00" in screen_text(app))
        await _as_a_rebuild(pilot, app)
        await pilot.press("g")  # every group again
        _batch(engine, {"S39": 9999.0}, minutes=2)
        await pilot.pause()
        await pilot.press("s")  # by change %: S39 first in its group, in view
        await wait_for(pilot, lambda: "9,999.00" in screen_text(app))
        await _as_a_rebuild(pilot, app)
        await pilot.press("s", "s")  # file order again
        _batch(engine, {"S20": 66.0}, minutes=3)
        app.watchlist.tick()  # the ages move on, in view only
        await pilot.pause()
        assert "66.00" not in screen_text(app)
        await pilot.resize_terminal(*WIDE)  # a taller pane: the rows below come into view
        await wait_for(pilot, lambda: "66.00" in screen_text(app))
        assert _last(app, "S20") == "66.00"
        await _as_a_rebuild(pilot, app)
