"""The screen tells the truth: what a pane shows agrees with `monitor once --json`.

The real engine and a recorded quotes CSV; `monitor once --json --at T` runs first (in a
subprocess, on its own database, the feed served on loopback), then the app as the demo
runs (the same feed as a recording), replayed up to T.  The Headlines pane lists exactly the
stories `once` prints (the topic query, with a NOT, decides for both), and the
watchlist's market state is the state `once --at` reports for the same moment: Hong
Kong at 09:35 New York is closed, although the last Hong Kong quote arrived at its
close, when it was open.
"""

from __future__ import annotations

import html
from pathlib import Path

from monitor.config import LoadedConfig, parse_config_text
from monitor.engine import Engine
from monitor.model import MarketState
from monitor.ui.app import MonitorApp
from monitor.ui.widgets.quote_cells import STATE_WORDS
from tests.cli_helpers import json_lines, run_monitor, write_config
from tests.feedserver import FeedServer
from tests.ui.test_app import filled

#: the moment both look at: 09:35 in New York, 22:35 in Hong Kong (whose last row is its
#: close of the day before, read while it was open)
AT = "2025-01-28T09:35:00-05:00"
QUOTES_CSV = """\
time,symbol,price,prev_close,open,high,low,volume,currency
2025-01-27T16:00:00+08:00,0700.HK,404.0,406.0,404.8,409.0,401.2,22000000,HKD
2025-01-27T16:00:00-05:00,NVDA,118.42,142.62,124.80,128.40,116.70,818830900,USD
2025-01-27T16:00:00-05:00,^SOX,4853.24,5341.94,5007.84,5045.43,4785.43,,USD
2025-01-28T09:35:00-05:00,NVDA,120.10,118.42,121.81,121.90,119.60,35000000,USD
"""
QUERY = "(DeepSeek OR 深度求索) -Apple"
#: (title, matches QUERY?) — written for this test, in the shape of real headlines
ITEMS = [
    ("DeepSeek R1 tops the App Store as Nvidia slides", True),
    ("Apple earnings preview: iPhone demand, DeepSeek worries", False),  # -Apple
    ("Deepseeker app is unrelated", False),  # not the word DeepSeek
    ("深度求索发布推理模型", True),
    ("DeepSeek says it faces large-scale cyber attacks", True),
    ("DeepSeek releases Janus-Pro image model", True),
    ("Chip stocks fall before the open", False),
]


def _rss(items: list[tuple[str, bool]]) -> bytes:
    entries = "".join(
        f"<item><title>{html.escape(title)}</title><link>https://news.example/{i}</link>"
        f"<guid>https://news.example/{i}</guid>"
        f"<pubDate>Tue, 28 Jan 2025 0{1 + i}:00:00 -0500</pubDate></item>"
        for i, (title, _) in enumerate(items)
    )
    channel = f"<channel><title>Local</title>{entries}</channel>"
    return f'<?xml version="1.0"?><rss version="2.0">{channel}</rss>'.encode()


def _config_text(url: str | None, database: str) -> str:
    feeds = f'[[news.feeds]]\nname = "Local"\nurl = "{url}"\n' if url else ""
    return f"""
[settings]
quote_source = "quotes.csv"
database = "{database}"
notify = ["terminal"]
[settings.replay]
speed = 100000
[watchlist]
chips = ["NVDA", "^SOX"]
"Hong Kong" = ["0700.HK"]
[news]
query = '{QUERY}'
{feeds}"""


def _factory(tmp: Path, feed: Path):
    """The app as `monitor demo` runs it: the feed is a recording released on the replay
    clock, and no timed poll refreshes the quotes between the recording's rows."""
    text = _config_text(None, "app.db")
    path = write_config(tmp, text, "app.toml")
    loaded = LoadedConfig(parse_config_text(text, path), path, "--config")

    async def factory() -> Engine:
        engine = Engine(loaded, recorded_feeds=[feed])
        await engine.open()
        return engine

    return factory


def _once(tmp: Path, url: str) -> list[dict]:
    cfg = write_config(tmp, _config_text(url, "once.db"), "once.toml")
    result = run_monitor(tmp, "once", "--json", "--at", AT, "--config", str(cfg))
    assert result.returncode == 0, result.stderr
    return json_lines(result.stdout)


async def _until(pilot, condition, tries: int = 1200) -> None:
    for _ in range(tries):
        if condition():
            return
        await pilot.pause(0.05)
    assert condition()


def _state_column(app: MonitorApp) -> dict[str, str]:
    table = app.watchlist.table
    rows = {}
    for row in table.ordered_rows:
        symbol = table.get_cell(row.key, "symbol").plain
        rows[symbol] = table.get_cell(row.key, "state").plain
    return rows


async def test_headlines_and_market_state_agree_with_once_json(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    feed_server.serve("/local.xml", _rss(ITEMS))
    url = feed_server.url("/local.xml")
    recording = tmp_path / "local.xml"
    recording.write_bytes(_rss(ITEMS))
    (tmp_path / "quotes.csv").write_text(QUOTES_CSV, encoding="utf-8")
    printed = _once(tmp_path, url)
    once_titles = {x["title"] for x in printed if x["type"] == "headline"}
    assert once_titles == {title for title, matches in ITEMS if matches}
    once_states = {x["symbol"]: x["market_state"] for x in printed if x["type"] == "quote"}
    assert once_states["0700.HK"] == "closed" and once_states["NVDA"] == "regular"

    app = MonitorApp(_factory(tmp_path, recording))
    async with app.run_test(size=(160, 48)) as pilot:
        await filled(pilot, app)
        await _until(pilot, lambda: len(app.headlines.order) >= len(once_titles))
        await _until(pilot, lambda: app.engine is not None and app.engine.clock.now().hour == 14)
        await _until(pilot, lambda: app.query_one("#banner").display)  # replay ended
        await pilot.pause(1.1)  # one tick: the state cells follow the clock
        shown = {app.headlines.headlines[s].title for s in app.headlines.order}
        assert shown == once_titles
        states = _state_column(app)
        for symbol, state in once_states.items():
            assert states[symbol] == STATE_WORDS[MarketState(state)], symbol
        assert states["0700.HK"] == "closed"

        # the `/` filter on the real store speaks the same language
        async def search(text: str) -> set[str]:
            app.headlines.action_clear_filter()
            await pilot.press("slash", *text)
            await _until(pilot, lambda: app.headlines.answered == text)
            return {app.headlines.results[s].title for s in app.headlines.order}

        await pilot.press("2")
        attacks, releases = ITEMS[4][0], ITEMS[5][0]
        assert await search("attacks OR releases") == {attacks, releases}
        assert await search('"Chip stocks"') == {"Chip stocks fall before the open"}
        # words, not substrings: "-App" keeps Apple, "DeepSeek" is not "Deepseeker"
        assert await search("DeepSeek -App") == {attacks, releases, ITEMS[1][0]}
        assert await search("深度求索") == {"深度求索发布推理模型"}
