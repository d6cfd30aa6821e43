"""Issue 11, case 1: a feed date of year 0001 must not stop the monitor, and must not
stop it again on the next start from the same database.

The first run stores the date the way the monitor did before the ingest check (the
check is switched off for it), so the second run starts from the database the issue
describes; both run the real app on the real engine with the local zone west of UTC.
"""

from __future__ import annotations

import html
import os
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.clock import ManualClock
from monitor.config import LoadedConfig, parse_config_text
from monitor.engine import Engine
from monitor.news import parse
from monitor.ui.app import MonitorApp
from tests.faults.kit import US_OPEN, StaticQuotes, config_text, open_engine, rss, rss_item
from tests.feedserver import FeedServer

YEAR_ONE = "Mon, 01 Jan 0001 00:00:00 +0000"


@pytest.fixture
def west_of_utc() -> Iterator[None]:
    previous = os.environ.get("TZ")
    os.environ["TZ"] = "America/New_York"
    time.tzset()
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = previous
        time.tzset()


def feed(*entries: tuple[str, str, str]) -> bytes:
    return rss(
        rss_item(title, link=f"https://example.com/{guid}", guid=guid, date=date)
        for title, guid, date in entries
    )


def factory_for(tmp_path: Path, url: str):
    text = config_text(feeds=[("wire", url)], settings='news_every = "10s"')
    path = tmp_path / "watchlist.toml"
    path.write_text(text, encoding="utf-8")
    loaded = LoadedConfig(parse_config_text(text, path), path, "--config")

    async def factory() -> Engine:
        engine = Engine(loaded, quote_source=StaticQuotes(), database=tmp_path / "m.db")
        await engine.open()
        return engine

    return factory


def screen_text(app: MonitorApp) -> str:
    runs = re.findall(r">([^<]*)</text>", app.export_screenshot())
    return html.unescape("".join(runs)).replace("\xa0", " ")


async def until(pilot, condition, tries: int = 400) -> None:
    for _ in range(tries):
        if condition():
            return
        await pilot.pause(0.05)
    assert condition()


async def run_app_until(tmp_path: Path, server: FeedServer, condition) -> str:
    """Run the app until ``condition(app)``; the screen's text at that point."""
    app = MonitorApp(factory_for(tmp_path, server.url("/wire")))
    async with app.run_test(size=(160, 48)) as pilot:
        await until(pilot, lambda: condition(app))
        assert app.is_running and app.return_code is None
        return screen_text(app)


async def test_case01_year_one_entry_twice_in_a_row_west_of_utc(
    tmp_path: Path, feed_server: FeedServer, west_of_utc, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed_server.serve("/wire", feed(("Ancient chips story", "old", YEAR_ONE)))
    with monkeypatch.context() as old_ingest:  # as stored before the ingest check
        old_ingest.setattr(parse, "EARLIEST", datetime(1, 1, 1, tzinfo=UTC))
        await run_app_until(tmp_path, feed_server, lambda a: "Ancient chips" in screen_text(a))
    hits = feed_server.hits("/wire")
    feed_server.serve(
        "/wire",
        feed(("Ancient chips story", "old", YEAR_ONE), ("Another ancient one", "older", YEAR_ONE)),
    )
    screen = await run_app_until(
        tmp_path,
        feed_server,
        lambda a: feed_server.hits("/wire") > hits and "Another ancient" in screen_text(a),
    )
    assert "Ancient chips story" in screen and "1-01-01" in screen  # the stored row


async def test_case01_dates_before_1990_or_a_day_ahead_become_first_seen(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    clock = ManualClock(US_OPEN)
    feed_server.serve(
        "/wire",
        feed(
            ("Year one story", "a", YEAR_ONE),
            ("Year 1900 story", "b", "Mon, 01 Jan 1900 00:00:00 +0000"),
            ("Two days ahead story", "c", "Thu, 29 Jan 2025 20:00:00 +0000"),
            ("Fine story", "d", "Mon, 27 Jan 2025 19:00:00 +0000"),
        ),
    )
    text = config_text(feeds=[("wire", feed_server.url("/wire"))])
    engine, _ = await open_engine(tmp_path, text, clock=clock)
    try:
        stored = {h.title: h for h in await engine.poll_news(force=True)}
        for title in ("Year one story", "Year 1900 story", "Two days ahead story"):
            assert stored[title].published == US_OPEN, title  # the time first seen
        fine = stored["Fine story"].published
        assert fine == datetime(2025, 1, 27, 19, tzinfo=UTC)
    finally:
        await engine.stop()


@pytest.mark.parametrize("when", [datetime(1, 1, 1, tzinfo=UTC), datetime.max.replace(tzinfo=UTC)])
def test_case01_time_formatting_never_raises_at_the_calendars_edges(
    when: datetime, west_of_utc
) -> None:
    from zoneinfo import ZoneInfo

    from monitor.formatting import clock_time, headline_time, stamp

    now = datetime(2025, 1, 27, 20, tzinfo=UTC)
    for tz in (None, ZoneInfo("America/New_York"), ZoneInfo("Asia/Shanghai")):
        assert headline_time(when, now, tz)  # shown as stored (UTC) when it cannot move
        assert clock_time(when, tz)
        assert stamp(when, tz) and stamp(when, tz, now)  # every time the screen shows
