"""`+`/`-` change the demo's speed while it runs, shown in the status bar."""

from __future__ import annotations

from monitor.cli import commands
from monitor.ui.app import MonitorApp
from monitor.ui.widgets.statusbar import StatusBar
from tests.ui.fake_engine import FakeEngine, factory_for
from tests.ui.test_real_engine import _until


def _bar(app: MonitorApp) -> str:
    return str(app.query_one(StatusBar).render())


async def test_plus_and_minus_change_the_demo_speed_and_the_status_bar_says_so() -> None:
    async def factory():
        return await commands.make_engine_for_app(None, demo=True, speed=50)

    app = MonitorApp(factory, title="monitor demo")
    async with app.run_test(size=(120, 32)) as pilot:
        await _until(pilot, lambda: app.engine is not None and "×50" in _bar(app))
        assert app.engine is not None
        await pilot.press("plus")
        assert app.engine.replay.speed == 100
        await pilot.pause()
        assert "×100 (+/-)" in _bar(app)
        await pilot.press("minus", "minus")
        assert app.engine.replay.speed == 20
        await pilot.pause()
        assert "×20 (+/-)" in _bar(app)


async def test_plus_does_nothing_outside_a_replay() -> None:
    engine = FakeEngine(replay=False)
    app = MonitorApp(factory_for(engine))
    async with app.run_test(size=(120, 32)) as pilot:
        await _until(pilot, lambda: app.engine is not None)
        await pilot.press("plus", "minus")
        await pilot.pause()
        assert not [c for c in engine.calls if c[0] == "step_replay_speed"]
        assert "×" not in _bar(app)
