"""The first frame is a skeleton (tab bar, status bar, footer): the panes, with their
heavier modules, are mounted once it is painted, then the engine starts."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from monitor.ui.app import MonitorApp
from tests.ui.test_app import WIDE, make_app, ready, screen_text


async def test_the_skeleton_is_painted_then_the_panes_fill_it(monkeypatch) -> None:
    app, engine = make_app()
    frames: list[object] = []
    at_fill: dict[str, Any] = {}
    real_display, real_fill = MonitorApp._display, MonitorApp._fill

    def display(self: MonitorApp, screen: Any, renderable: Any) -> None:
        if renderable is not None:
            frames.append(renderable)
        real_display(self, screen, renderable)

    async def fill(self: MonitorApp) -> None:
        at_fill.update(
            frames=len(frames),
            panes=[w.id for w in self.query("#watchlist, #headlines, #alerts")],
            engine=self.engine,
            text=screen_text(self),
        )
        await real_fill(self)

    monkeypatch.setattr(MonitorApp, "_display", display)
    monkeypatch.setattr(MonitorApp, "_fill", fill)
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot, app)
        assert at_fill["frames"] >= 1, "a frame was painted before the panes"
        assert at_fill["panes"] == [] and at_fill["engine"] is None
        assert "Watchlist" in at_fill["text"] and "starting…" in at_fill["text"]
        assert [w.id for w in app.query("#top > *")] == ["watchlist", "headlines"]
        assert [w.id for w in app.query("#main > *")] == ["top", "alerts"]
        assert app.focused is app.watchlist.table
        assert "NVDA" in screen_text(app), "the filled panes show the engine's data"


def test_the_app_module_leaves_the_panes_modules_for_after_the_first_frame() -> None:
    code = (
        "import sys, monitor.cli.main, monitor.ui.app; "
        "print(sorted(m for m in ('monitor.query', 'monitor.sessions', "
        "'monitor.ui.widgets.watchlist', 'monitor.ui.widgets.headlines', "
        "'monitor.ui.widgets.alerts', 'monitor.engine', 'monitor.store', "
        "'monitor.text') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
