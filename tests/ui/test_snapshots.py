"""SVG snapshots of the main screen (pytest-textual-snapshot).

Time is frozen by the FakeEngine's ManualClock and TZ=UTC (conftest), so the
screens are stable.  Regenerate with `pytest tests/ui/test_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

import pytest

from monitor.ui.app import MonitorApp
from tests.ui.fake_engine import FakeEngine, factory_for


async def _wait_for_engine(pilot) -> None:
    app = pilot.app
    for _ in range(100):
        if app.engine is not None and ("start",) in app.engine.calls:
            break
        await pilot.pause(0.02)
    await pilot.pause()


def _app(theme: str, replay: bool = False) -> MonitorApp:
    return MonitorApp(factory_for(FakeEngine(replay=replay)), theme=theme)


@pytest.mark.parametrize("theme", ["textual-dark", "textual-light"])
@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
def test_main_screen(snap_compare, theme: str, size: tuple[int, int]) -> None:
    assert snap_compare(_app(theme), terminal_size=size, run_before=_wait_for_engine)


def test_headlines_pane_small_with_markup_title(snap_compare) -> None:
    async def show_headlines(pilot) -> None:
        await _wait_for_engine(pilot)
        await pilot.press("2")

    assert snap_compare(_app("textual-dark"), terminal_size=(80, 24), run_before=show_headlines)


def test_demo_replay_ended(snap_compare) -> None:
    async def end_replay(pilot) -> None:
        from monitor.events import ReplayEndedEvent
        from tests.ui.fake_engine import NOW

        await _wait_for_engine(pilot)
        pilot.app.engine.emit(ReplayEndedEvent(NOW))
        await pilot.pause()

    app = _app("textual-dark", replay=True)
    assert snap_compare(app, terminal_size=(160, 48), run_before=end_replay)


def test_symbol_view(snap_compare) -> None:
    async def open_nvda(pilot) -> None:
        await _wait_for_engine(pilot)
        await pilot.press("down", "enter")
        for _ in range(50):
            if ("symbol_headlines", "NVDA") in pilot.app.engine.calls:
                break
            await pilot.pause(0.02)
        await pilot.pause(0.1)

    assert snap_compare(_app("textual-dark"), terminal_size=(160, 48), run_before=open_nvda)
