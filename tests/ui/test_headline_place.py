"""A new headline takes its place in the pane without the other rows being built again;
what the pane shows is what a full rebuild would show (rows, columns, cursor, screen)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from monitor.events import HeadlinesEvent
from monitor.model import Headline, Outlet
from monitor.ui.app import MonitorApp
from tests.ui.fake_engine import NOW
from tests.ui.test_app import WIDE, make_app, ready, screen_text, table_shown, wait_for


def _fresh(story: str, minutes_ago: float, source: str = "Wire") -> Headline:
    return Headline(
        story=story,
        title=f"DeepSeek story {story}",
        link=f"https://wire.example/{story}",
        source=source,
        feed="wire",
        published=NOW - timedelta(minutes=minutes_ago),
        first_seen=NOW,
        matched=("DeepSeek",),
        new=True,
    )


async def _shown(pilot, app: MonitorApp) -> tuple[object, ...]:
    await pilot.pause()
    rows, columns = table_shown(app.headlines.table)
    return rows, columns, app.headlines.order, app.headlines.selected_story(), screen_text(app)


def _spy_rebuilds(monkeypatch, app: MonitorApp) -> list[bool]:
    pane, real, calls = app.headlines, app.headlines._rebuild, []
    monkeypatch.setattr(pane, "_rebuild", lambda: calls.append(True) or real())
    return calls


async def test_a_new_headline_takes_its_place_and_the_rows_stay(monkeypatch) -> None:
    app, engine = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot, app)
        app.action_show_pane("headlines")
        app.headlines.select("s3")
        rebuilds = _spy_rebuilds(monkeypatch, app)
        cleared: list[bool] = []
        table = app.headlines.table
        real_clear = table.clear
        monkeypatch.setattr(table, "clear", lambda **kw: cleared.append(True) or real_clear(**kw))
        engine.emit(HeadlinesEvent((_fresh("s9", 10),)))  # between s1 (5m) and s2 (20m)
        await wait_for(pilot, lambda: "s9" in app.headlines.order)
        placed = await _shown(pilot, app)
        assert rebuilds == [] and cleared == [], "no row built again"
        assert app.headlines.order == ["s1", "s9", "s2", "s3", "s5"]
        assert app.headlines.selected_story() == "s3", "the cursor stays on its story"
        assert table.get_cell("s9", "unread").plain == "●"
        app.headlines._rebuild()
        assert placed == await _shown(pilot, app), "what a full rebuild shows"


async def test_a_story_trimmed_away_leaves_the_pane(monkeypatch) -> None:
    monkeypatch.setattr("monitor.ui.widgets.headlines.MAX_SHOWN", 4)
    app, engine = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot, app)
        assert app.headlines.order == ["s1", "s2", "s3", "s5"]
        rebuilds = _spy_rebuilds(monkeypatch, app)
        engine.emit(HeadlinesEvent((_fresh("s9", 1),)))
        await wait_for(pilot, lambda: "s9" in app.headlines.order)
        placed = await _shown(pilot, app)
        assert rebuilds == []
        assert app.headlines.order == ["s9", "s1", "s2", "s3"], "the oldest match went"
        assert [row.key.value for row in app.headlines.table.ordered_rows] == [
            "s9",
            "s1",
            "s2",
            "s3",
        ]
        app.headlines._rebuild()
        assert placed == await _shown(pilot, app)


async def test_a_headline_that_moves_the_columns_rebuilds_them(monkeypatch) -> None:
    app, engine = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot, app)
        widths = dict(app.headlines.table.widths)
        rebuilds = _spy_rebuilds(monkeypatch, app)
        outlets = tuple(Outlet(f"Outlet {i}", None, NOW) for i in range(12))
        wide = dataclasses.replace(_fresh("s9", 1), outlets=outlets)  # "+12": a wider column
        engine.emit(HeadlinesEvent((wide,)))
        await wait_for(pilot, lambda: "s9" in app.headlines.order)
        placed = await _shown(pilot, app)
        assert rebuilds == [True]
        assert (widths["outlets"], app.headlines.table.widths["outlets"]) == (2, 3)
        app.headlines._rebuild()
        assert placed == await _shown(pilot, app)


async def test_times_move_on_when_a_headline_is_placed(monkeypatch) -> None:
    app, engine = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot, app)
        before = app.headlines.table.get_cell("s1", "time").plain
        later = NOW + timedelta(minutes=30)
        monkeypatch.setattr(type(app.headlines), "now", lambda self: later)
        engine.emit(HeadlinesEvent((dataclasses.replace(_fresh("s9", 0), published=later),)))
        await wait_for(pilot, lambda: "s9" in app.headlines.order)
        placed = await _shown(pilot, app)
        assert (before, app.headlines.table.get_cell("s1", "time").plain) == ("5m ago", "35m ago")
        app.headlines._rebuild()
        assert placed == await _shown(pilot, app)


async def test_times_moved_on_each_second_then_a_headline_placed_read_as_a_rebuild(
    monkeypatch,
) -> None:
    """The table keeps the words of its time cells (compared each second and on each
    headline); they are the cells' own through both."""
    app, engine = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot, app)
        table = app.headlines.table

        def held_as_cells() -> None:
            for story in app.headlines.order:
                assert table.time_of(story) == table.get_cell(story, "time").plain, story

        held_as_cells()
        for minutes in (1, 30, 90):
            later = NOW + timedelta(minutes=minutes)
            monkeypatch.setattr(type(app.headlines), "now", lambda self, at=later: at)
            app.headlines.refresh_times()
            held_as_cells()
        assert table.get_cell("s1", "time").plain == "1h ago"
        later = NOW + timedelta(minutes=200)
        monkeypatch.setattr(type(app.headlines), "now", lambda self: later)
        engine.emit(HeadlinesEvent((dataclasses.replace(_fresh("s9", 0), published=later),)))
        await wait_for(pilot, lambda: "s9" in app.headlines.order)
        held_as_cells()
        placed = await _shown(pilot, app)
        app.headlines._rebuild()
        assert placed == await _shown(pilot, app)
        held_as_cells()
