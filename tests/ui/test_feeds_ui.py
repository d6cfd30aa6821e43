"""The per-feed view (`f` in the Headlines pane): every feed with its health and what
is stored of it; Enter shows one feed's stories (topic matches marked), Esc goes back
to the topic view; unread state survives the switch. With the real engine the pane
lists exactly the stories of that feed that `monitor once --json --all` prints."""

from __future__ import annotations

from pathlib import Path

from monitor.engine import Engine
from monitor.events import HeadlinesEvent
from monitor.model import Headline
from monitor.ui.app import MonitorApp
from monitor.ui.screens.feeds import FeedsScreen
from tests.feedserver import FeedServer
from tests.ui.fake_engine import NOW
from tests.ui.test_app import SMALL, WIDE, filled, make_app, ready, wait_for
from tests.ui.test_related_ui import polled_engine


def _rows(screen: FeedsScreen) -> dict[str, dict[str, str]]:
    table = screen.table
    keys = [c.key.value for c in table.columns.values()]
    return {
        str(row.key.value): {k: table.get_cell(row.key, k).plain for k in keys}
        for row in table.rows.values()
    }


async def _open_feeds(pilot, app: MonitorApp) -> FeedsScreen:
    app.action_show_pane("headlines")
    await pilot.press("f")
    await wait_for(pilot, lambda: isinstance(app.screen, FeedsScreen) and app.screen.rows)
    assert isinstance(app.screen, FeedsScreen)
    return app.screen


async def _choose(pilot, screen: FeedsScreen, name: str) -> None:
    names = [row.name for row in screen.rows]
    screen.table.move_cursor(row=names.index(name))
    await pilot.press("enter")


async def test_the_feed_list_says_each_feeds_health_and_counts() -> None:
    app, engine = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot, app)
        rows = _rows(await _open_feeds(pilot, app))
        assert list(rows) == ["__all__", "reuters", "cnbc", "ft", "odd"]
        assert rows["__all__"]["health"] == "⚠ 2 of 3 ok"
        assert rows["reuters"]["health"] == "ok"
        assert rows["ft"]["health"].startswith("⚠ backing off until ")
        assert rows["odd"]["health"] == "not in the config now"  # stored, since removed
        assert (rows["cnbc"]["stories"], rows["cnbc"]["matched"]) == ("2", "2")
        assert rows["cnbc"]["unread"] == "1"  # s5 is new and unread; s3 was seen before
        assert (rows["ft"]["stories"], rows["ft"]["matched"]) == ("1", "0")
        await pilot.press("escape")
        assert not isinstance(app.screen, FeedsScreen)
        assert app.headlines.feeds.name is None


async def test_enter_shows_one_feeds_stories_and_escape_the_topic_view() -> None:
    app, engine = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot, app)
        pane = app.headlines
        topic = list(pane.order)
        assert "s4" not in topic  # ft's story does not match the topic
        await _choose(pilot, await _open_feeds(pilot, app), "ft")
        await wait_for(pilot, lambda: pane.order == ["s4"])
        assert "feed ft: backing off until" in str(pane.border_title)
        await _choose(pilot, await _open_feeds(pilot, app), "cnbc")
        await wait_for(pilot, lambda: pane.order == ["s3", "s5"])
        assert pane.table.get_cell("s5", "match").plain == "◆"
        assert pane.table.get_cell("s5", "unread").plain == "●"  # still unread here
        assert "feed cnbc: ok (2;" in str(pane.border_title)
        pane.table.focus()
        await pilot.press("escape")
        await wait_for(pilot, lambda: pane.order == topic)
        assert pane.feeds.name is None and str(pane.border_title) == "Headlines"
        assert "s5" in pane.unread


async def test_new_stories_reload_the_feed_and_a_filter_replaces_it() -> None:
    app, engine = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot, app)
        pane = app.headlines
        await _choose(pilot, await _open_feeds(pilot, app), "cnbc")
        await wait_for(pilot, lambda: pane.order == ["s3", "s5"])
        fresh = Headline(story="s9", title="CNBC: DeepSeek shakes the Nasdaq", link=None,
                         source="CNBC", feed="cnbc", published=NOW, first_seen=NOW,
                         matched=("DeepSeek",), new=True)  # fmt: skip
        engine._headlines.insert(0, fresh)
        engine.emit(HeadlinesEvent((fresh,)))
        await wait_for(pilot, lambda: pane.order == ["s9", "s3", "s5"])
        assert engine.calls.count(("feed_headlines", "cnbc")) == 2
        await pilot.press("slash")
        await pilot.press(*"Broadcom")
        await wait_for(pilot, lambda: pane.answered == "Broadcom")
        assert pane.feeds.name is None and pane.order == ["s3"]


async def test_the_feed_list_fits_80_columns() -> None:
    app, _ = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await ready(pilot, app)
        rows = _rows(await _open_feeds(pilot, app))
        assert rows["ft"]["feed"] == "ft" and rows["ft"]["health"].startswith("⚠ backing")
        assert {"feed", "health", "stories", "unread"} <= set(rows["cnbc"])


async def test_with_the_real_engine_a_feed_shows_what_once_prints_for_it(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    engine = await polled_engine(tmp_path, feed_server)
    printed = await engine.shown_headlines(show_all=True)  # `once --json --all`
    wire = {h.story for h in printed if h.feed == "Wire"}
    assert wire

    async def factory() -> Engine:
        return engine

    app = MonitorApp(factory)
    async with app.run_test(size=WIDE) as pilot:
        await filled(pilot, app)
        await wait_for(pilot, lambda: app.headlines.loaded, tries=300)
        screen = await _open_feeds(pilot, app)
        rows = _rows(screen)
        assert rows["Wire"]["stories"] == str(len(wire))
        google = [h for h in printed if h.feed == "Google News"]
        assert rows["Google News"]["stories"] == str(len(google))
        assert rows["Google News"]["matched"] == str(sum(bool(h.matched) for h in google))
        await _choose(pilot, screen, "Wire")
        await wait_for(pilot, lambda: app.headlines.feeds.name == "Wire")
        await wait_for(pilot, lambda: set(app.headlines.order) == wire)
