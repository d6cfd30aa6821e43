"""Related stories in the Headlines pane: shown beside the topic matches while a burst is
live, marked ≈, hidden with `~`, gone when the burst is over; and with the real engine
the pane lists exactly what `monitor once --json` prints (Engine.shown_headlines),
related stories marked alike."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from monitor.clock import ManualClock
from monitor.config import LoadedConfig, parse_config_text
from monitor.engine import Engine
from monitor.events import RelatedEvent
from monitor.model import Headline, Quote
from monitor.ui.app import MonitorApp
from tests.cli_helpers import DAILY_CSV, write_config
from tests.faults.kit import StaticQuotes
from tests.feedserver import FeedServer
from tests.test_related import ROUT, T27, _config_text, _serve
from tests.ui.fake_engine import NOW, FakeEngine
from tests.ui.test_app import WIDE, filled, make_app, ready, wait_for

BURST = "DeepSeek news burst"


def rout_story() -> Headline:
    return Headline(
        story="rout", title=ROUT, link="https://wire.example/rout", source="Wire",
        feed="Wire", published=NOW, first_seen=NOW, symbols=("NVDA",),
        related=BURST, related_by=("NVDA",),
    )  # fmt: skip


def _row(app: MonitorApp, story: str) -> dict[str, str]:
    table = app.headlines.table
    columns = app.headlines.table.widths
    return {c: table.get_cell(story, c).plain for c in columns}


async def test_related_stories_come_and_go_with_the_burst() -> None:
    engine = FakeEngine()
    app, _ = make_app(engine)
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot, app)
        app.action_show_pane("headlines")
        pane = app.headlines
        assert "rout" not in pane.order

        engine.emit(RelatedEvent((rout_story(),), (BURST,)))
        await wait_for(pilot, lambda: "rout" in pane.order)
        assert _row(app, "rout")["match"] == "≈"
        assert BURST in str(pane.border_title) and "1 related" in str(pane.border_title)
        matched = [s for s in pane.order if pane.headlines[s].matched]
        assert all(_row(app, s)["match"] == "◆" for s in matched)

        await pilot.press("~")
        await wait_for(pilot, lambda: "rout" not in pane.order)
        await pilot.press("~")
        await wait_for(pilot, lambda: "rout" in pane.order)

        engine.emit(RelatedEvent((), ()))  # the burst is over
        await wait_for(pilot, lambda: "rout" not in pane.order)
        assert pane.headlines["rout"].related is None
        assert "related" not in str(pane.border_title)


async def test_a_story_related_before_the_app_opened_is_shown_marked() -> None:
    engine = FakeEngine()
    engine._related = [rout_story()]
    app, _ = make_app(engine)
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot, app)
        await wait_for(pilot, lambda: "rout" in app.headlines.order)
        assert _row(app, "rout")["match"] == "≈"


async def polled_engine(tmp_path: Path, feed_server: FeedServer) -> Engine:
    """The real engine on two loopback feeds (Google News and a wire) after one poll,
    during the DeepSeek burst of 2025-01-27."""
    (tmp_path / "quotes.csv").write_text(DAILY_CSV, encoding="utf-8")
    text = _config_text(*_serve(feed_server))
    path = write_config(tmp_path, text)
    loaded = LoadedConfig(parse_config_text(text, path), path, "--config")
    quotes = StaticQuotes({"NVDA": Quote("NVDA", price=120.0, prev_close=142.6, as_of=T27)})
    engine = Engine(loaded, clock=ManualClock(T27), quote_source=quotes)
    await engine.open()
    await engine.poll_news(force=True)
    return engine


async def test_the_pane_shows_what_once_prints_related_marked_alike(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    engine = await polled_engine(tmp_path, feed_server)
    printed = {h.title: h.related for h in await engine.shown_headlines()}  # once's lines
    assert printed[ROUT] == BURST

    async def factory() -> Engine:
        return engine

    app = MonitorApp(factory)
    async with app.run_test(size=WIDE) as pilot:
        await filled(pilot, app)
        await wait_for(pilot, lambda: len(app.headlines.order) >= len(printed), tries=300)
        pane = app.headlines
        shown = {pane.headlines[s].title: pane.headlines[s].related for s in pane.order}
        assert shown == printed
        (rout,) = [s for s in pane.order if pane.headlines[s].title == ROUT]
        assert _row(app, rout)["match"] == "≈"


def test_a_google_news_title_names_the_outlets_domain() -> None:
    from monitor.ui.widgets.headline_rows import title_text

    google = dataclasses.replace(
        rout_story(), link="https://news.google.com/rss/articles/x", domain="reuters.com"
    )
    own = dataclasses.replace(rout_story(), link="https://www.reuters.com/a", domain="reuters.com")
    assert title_text(google).plain == f"{ROUT}  reuters.com"
    assert title_text(own).plain == ROUT
