"""The app on the real engine: a loopback feed server and a recorded quotes CSV."""

from __future__ import annotations

import html
import re
from pathlib import Path

from monitor.config import LoadedConfig, parse_config_text
from monitor.engine import Engine
from monitor.ui.app import MonitorApp
from tests.cli_helpers import DAILY_CSV, write_config
from tests.feedserver import FeedServer, unused_url

DATA = Path(__file__).parent.parent / "data" / "feeds"


def _engine_factory(tmp: Path, feeds: list[tuple[str, str]], settings: str = ""):
    (tmp / "quotes.csv").write_text(DAILY_CSV, encoding="utf-8")
    blocks = "".join(f'[[news.feeds]]\nname = "{n}"\nurl = "{u}"\n' for n, u in feeds)
    text = f"""
[settings]
quote_source = "quotes.csv"
database = "m.db"
notify = ["terminal"]
{settings}
[settings.replay]
speed = 100000
[watchlist]
chips = ["NVDA", "^SOX"]
[aliases]
NVDA = ["Nvidia"]
[news]
query = 'DeepSeek OR click OR bold'
{blocks}
[[alerts]]
name = "SOX selloff"
when = "^SOX day% <= -5"
"""
    path = write_config(tmp, text)
    loaded = LoadedConfig(parse_config_text(text, path), path, "--config")

    async def factory() -> Engine:
        engine = Engine(loaded)
        await engine.open()
        return engine

    return factory


def screen_text(app: MonitorApp) -> str:
    runs = re.findall(r">([^<]*)</text>", app.export_screenshot())
    return html.unescape("".join(runs)).replace("\xa0", " ")


async def _until(pilot, condition, tries: int = 1200) -> None:
    for _ in range(tries):
        if condition():
            return
        await pilot.pause(0.05)
    assert condition()


async def test_app_shows_live_panes_and_fires_the_sox_alert(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    feed_server.serve("/g.xml", (DATA / "google_news.xml").read_bytes())
    feed_server.serve("/nasty.xml", (DATA / "nasty_markup.xml").read_bytes())
    factory = _engine_factory(
        tmp_path, [("G", feed_server.url("/g.xml")), ("Nasty", feed_server.url("/nasty.xml"))]
    )
    app = MonitorApp(factory)
    async with app.run_test(size=(160, 48)) as pilot:
        await _until(
            pilot,
            lambda: (
                app.engine is not None
                and "SOX selloff" in screen_text(app)
                and "fired" in screen_text(app)
            ),
        )
        await _until(pilot, lambda: "Nvidia" in screen_text(app))
        text = screen_text(app)
        assert "NVDA" in text and "^SOX" in text
        assert "[@click=app.quit]" in text or "[bold]" in text, (
            "markup-like titles appear literally"
        )
        assert "\x1b" not in app.export_screenshot()
        assert app.is_running, "a [@click=app.quit] headline did not quit the app"
        await _until(
            pilot,
            lambda: any("SOX selloff" in f"{n.title} {n.message}" for n in app._notifications),
        )


async def test_app_without_network_starts_and_shows_sources_unreachable(tmp_path: Path) -> None:
    factory = _engine_factory(tmp_path, [("Far away", unused_url("/x.xml"))])
    app = MonitorApp(factory)
    async with app.run_test(size=(160, 48)) as pilot:
        await _until(pilot, lambda: "unreachable" in screen_text(app))
        await pilot.press("2")
        assert app.is_running


async def test_config_theme_and_key_remapping_apply(tmp_path: Path) -> None:
    factory = _engine_factory(
        tmp_path, [], settings='theme = "textual-light"\n[settings.keys]\nrefresh = "f5"'
    )
    app = MonitorApp(factory)
    async with app.run_test(size=(160, 48)) as pilot:
        await _until(pilot, lambda: app.engine is not None)
        await pilot.pause()
        assert app.theme == "textual-light"
        engine = app.engine
        calls: list[str] = []
        original = engine.refresh_now

        async def spy() -> None:
            calls.append("refresh")
            await original()

        engine.refresh_now = spy
        await pilot.press("f5")
        await _until(pilot, lambda: calls == ["refresh"])
