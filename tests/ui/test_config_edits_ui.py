"""Editing the watchlist file from the app: `a`/`d` in the watchlist, the palette for
feeds and rules; each written by the engine, comments kept, then reloaded."""

from __future__ import annotations

from pathlib import Path

from monitor.cli import commands
from monitor.config import load_config_file
from monitor.ui.app import MonitorApp
from monitor.ui.screens.prompt import PromptScreen
from tests.ui.test_real_engine import _engine_factory, _until


def _config(tmp: Path) -> Path:
    return tmp / "watchlist.toml"


async def _palette(pilot, command: str) -> None:
    await pilot.press("ctrl+p")
    await pilot.pause()
    for ch in command:
        await pilot.press(ch if ch != " " else "space")
    await pilot.pause(0.3)
    await pilot.press("enter")
    await pilot.pause()


async def _answer(pilot, text: str) -> None:
    app = pilot.app
    await _until(pilot, lambda: isinstance(app.screen, PromptScreen))
    for ch in text:
        await pilot.press(ch if ch != " " else "space")
    await pilot.press("enter")


async def test_a_adds_and_d_removes_a_symbol_in_the_file(tmp_path: Path) -> None:
    app = MonitorApp(_engine_factory(tmp_path, []))
    async with app.run_test(size=(120, 32)) as pilot:
        await _until(pilot, lambda: app.engine is not None and app.watchlist.rows)
        path = _config(tmp_path)
        with path.open("a", encoding="utf-8") as f:
            f.write("# a comment the edit keeps\n")
        app.action_show_pane("watchlist")
        await pilot.press("a")
        await _answer(pilot, "avgo")
        await _until(pilot, lambda: "AVGO" in app.engine.symbols)
        assert load_config_file(path).config.groups["chips"] == ["NVDA", "^SOX", "AVGO"]
        assert "# a comment the edit keeps" in path.read_text(encoding="utf-8")
        await _until(pilot, lambda: any(r.endswith("\x1fAVGO") for r in app.watchlist.rows))
        # d: the symbol under the cursor
        table = app.watchlist.table
        table.move_cursor(row=app.watchlist.rows.index(next(
            r for r in app.watchlist.rows if r.endswith("\x1fAVGO"))))  # fmt: skip
        await pilot.press("d")
        await _until(pilot, lambda: "AVGO" not in app.engine.symbols)
        assert load_config_file(path).config.groups["chips"] == ["NVDA", "^SOX"]


async def test_the_palette_adds_and_removes_a_feed_and_mutes_a_rule(tmp_path: Path) -> None:
    app = MonitorApp(_engine_factory(tmp_path, []))
    async with app.run_test(size=(120, 32)) as pilot:
        await _until(pilot, lambda: app.engine is not None)
        path = _config(tmp_path)
        await _palette(pilot, "Add feed")
        await _answer(pilot, "Local Wire http://127.0.0.1:9/rss")
        await _until(
            pilot, lambda: [f.name for f in app.engine.settings.all_feeds] == ["Local Wire"]
        )
        assert load_config_file(path).config.news.feeds[0].url == "http://127.0.0.1:9/rss"
        await _palette(pilot, "Remove feed")
        await _answer(pilot, "Local Wire")
        await _until(pilot, lambda: not app.engine.settings.all_feeds)
        app.action_show_pane("alerts")
        await _palette(pilot, "Mute rule in file")
        await _until(pilot, lambda: not app.engine.settings.rule_specs[0].enabled)
        assert load_config_file(path).config.alerts[0].enabled is False


async def test_the_demo_config_is_never_written(tmp_path: Path) -> None:
    async def factory():
        return await commands.make_engine_for_app(None, demo=True)

    app = MonitorApp(factory, title="monitor demo")
    async with app.run_test(size=(120, 32)) as pilot:
        await _until(pilot, lambda: app.engine is not None)
        before = app.engine.config_path.read_bytes()
        app.action_show_pane("watchlist")
        await pilot.press("a")
        await pilot.pause()
        assert not isinstance(app.screen, PromptScreen), "no prompt: nothing can be saved"
        await pilot.press("d")
        await pilot.pause(0.2)
        assert app.engine.config_path.read_bytes() == before
        assert any("part of the installed package" in str(n.message) for n in app._notifications)
