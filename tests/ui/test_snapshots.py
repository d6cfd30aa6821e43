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


SIZES = [(80, 24), (120, 32), (160, 48)]
SIZE_IDS = ["80x24", "120x32", "160x48"]


@pytest.mark.parametrize("theme", ["textual-dark", "textual-light"])
@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
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


async def _open_nvda(pilot) -> None:
    """The symbol view of the first watchlist row (NVDA), its headlines asked for."""
    await _wait_for_engine(pilot)
    await pilot.press("down", "enter")
    for _ in range(50):
        if ("symbol_headlines", "NVDA") in pilot.app.engine.calls:
            break
        await pilot.pause(0.02)


def test_symbol_view(snap_compare) -> None:
    async def open_nvda(pilot) -> None:
        await _open_nvda(pilot)
        await pilot.pause(0.1)

    assert snap_compare(_app("textual-dark"), terminal_size=(160, 48), run_before=open_nvda)


# ---- what each pane shows is true (issue 12, items 1-5) ---------------------------------


async def _answered(pilot, text: str) -> None:
    for _ in range(100):
        if pilot.app.headlines.answered == text:
            break
        await pilot.pause(0.02)
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_headlines_all_stories_marked(snap_compare, size: tuple[int, int]) -> None:
    """`*`: every stored story, the topic matches marked ◆, the others dimmed."""

    async def show_all(pilot) -> None:
        await _wait_for_engine(pilot)
        await pilot.press("2", "asterisk")
        for _ in range(50):
            if "s4" in pilot.app.headlines.order:
                break
            await pilot.pause(0.02)
        await pilot.pause()

    assert snap_compare(_app("textual-dark"), terminal_size=size, run_before=show_all)


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_headlines_filter_in_the_query_language(snap_compare, size: tuple[int, int]) -> None:
    """`/` with OR: both stories found (one no topic match), unread markers kept."""
    text = "broadcom OR microsoft OR nvidia"

    async def filter_(pilot) -> None:
        await _wait_for_engine(pilot)
        await pilot.press("slash", *text, "enter")
        await _answered(pilot, text)

    assert snap_compare(_app("textual-dark"), terminal_size=size, run_before=filter_)


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_alerts_ack_from_the_rules_table(snap_compare, size: tuple[int, int]) -> None:
    """`a` on a rule acknowledges that rule's alert, not the newest one; the tab's count
    drops."""

    async def ack(pilot) -> None:
        from monitor.events import AlertEvent
        from monitor.model import Alert
        from tests.ui.fake_engine import NOW

        await _wait_for_engine(pilot)
        alert = Alert("sox-drop", NOW, "^SOX -8.75% (below -3%)", "warning", id=9)
        pilot.app.engine.emit(AlertEvent(alert))
        await pilot.pause(0.1)
        await pilot.press("3", "a")
        for _ in range(50):
            if ("ack", 7) in pilot.app.engine.calls:
                break
            await pilot.pause(0.02)
        await pilot.pause(0.1)
        pilot.app.clear_notifications()
        await pilot.pause()

    assert snap_compare(_app("textual-dark"), terminal_size=size, run_before=ack)


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_symbol_view_follows_its_quote(snap_compare, size: tuple[int, int]) -> None:
    """The symbol view after a new quote arrived while it was open."""

    async def open_and_update(pilot) -> None:
        import dataclasses

        from monitor.events import QuotesEvent
        from monitor.model import QuoteBatch
        from tests.ui.fake_engine import NOW

        await _open_nvda(pilot)
        engine = pilot.app.engine
        newer = dataclasses.replace(engine.quotes()["NVDA"], price=119.01, as_of=NOW)
        engine.emit(QuotesEvent(QuoteBatch(NOW, {"NVDA": newer})))
        await pilot.pause(0.1)

    app = _app("textual-dark")
    assert snap_compare(app, terminal_size=size, run_before=open_and_update)


# ---- columns that fit, details one key away (issue 12, items 6, 7) ----------------------


def _long_rules_app() -> MonitorApp:
    """Two rules whose names start alike, and a reason that is long."""
    import dataclasses

    from monitor.model import RuleStatus

    engine = FakeEngine()
    first = engine._rules[0]
    engine._rules = [
        *engine._rules,
        dataclasses.replace(first, name="DeepSeek news while NVDA falls", symbol="NVDA"),
        dataclasses.replace(
            first,
            name="DeepSeek news burst",
            status=RuleStatus.NOT_EVALUATED,
            why="feed 'Google News: DeepSeek' unreachable since 09:40 EST",
        ),
    ]
    return MonitorApp(factory_for(engine), theme="textual-dark")


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_alerts_pane_columns_fit(snap_compare, size: tuple[int, int]) -> None:
    """Rule names and the states' first words whole at every width; the rest by priority."""

    async def show_alerts(pilot) -> None:
        await _wait_for_engine(pilot)
        await pilot.press("3")
        await pilot.pause()

    assert snap_compare(_long_rules_app(), terminal_size=size, run_before=show_alerts)


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_rule_detail(snap_compare, size: tuple[int, int]) -> None:
    """Enter on a rule: its condition, its whole state and its latest alert."""

    async def open_rule(pilot) -> None:
        await _wait_for_engine(pilot)
        await pilot.press("3", "down", "enter")
        await pilot.pause(0.1)

    assert snap_compare(_long_rules_app(), terminal_size=size, run_before=open_rule)


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_alert_log_detail(snap_compare, size: tuple[int, int]) -> None:
    """Enter on an alert of the log: message, level, data time with date and zone,
    context and headlines."""
    from datetime import timedelta

    from monitor.model import Alert
    from tests.ui.fake_engine import NOW

    engine = FakeEngine()
    engine._alerts = [
        Alert(
            "SOX selloff", NOW - timedelta(days=1), "^SOX day% -9.15% ≤ -9% (4853.24, prev "
            "close 5341.94) at 2025-01-26 16:00 EST (level 3 of 3) — largest one-day drop "
            "since 2020-03-18", "critical", symbol="^SOX",
            context={"data_time": "2025-01-26T21:00:00+00:00", "level": 3, "levels": 3,
                     "thresholds": [-5, -7.5, -9],
                     "largest_since": "largest one-day drop since 2020-03-18"},
            headlines=({"title": "Chip stocks slide as DeepSeek rattles investors",
                        "source": "Reuters", "link": "https://www.reuters.com/x",
                        "published": "2025-01-26T20:40:00+00:00", "story": "s9"},),
            id=9,
        ),
        *engine._alerts,
    ]  # fmt: skip

    async def open_alert(pilot) -> None:
        await _wait_for_engine(pilot)
        await pilot.press("3")
        pilot.app.alerts.log_table.focus()
        await pilot.press("down", "down", "enter")  # the oldest: yesterday's, dated
        await pilot.pause(0.1)

    app = MonitorApp(factory_for(engine), theme="textual-dark")
    assert snap_compare(app, terminal_size=size, run_before=open_alert)


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_help_says_how_to_close_it(snap_compare, size: tuple[int, int]) -> None:
    """`?`: every key, and first how to close the list."""

    async def open_help(pilot) -> None:
        await _wait_for_engine(pilot)
        await pilot.press("question_mark")
        await pilot.pause(0.1)

    assert snap_compare(_app("textual-dark"), terminal_size=size, run_before=open_help)


# ---- the per-feed view ------------------------------------------------------------------


async def _open_feed_list(pilot) -> None:
    from monitor.ui.screens.feeds import FeedsScreen

    await _wait_for_engine(pilot)
    await pilot.press("2", "f")
    for _ in range(50):
        screen = pilot.app.screen
        if isinstance(screen, FeedsScreen) and screen.rows:
            break
        await pilot.pause(0.02)
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_feed_list_with_health(snap_compare, size: tuple[int, int]) -> None:
    """`f`: every feed with its health and stored, topic and unread counts."""
    assert snap_compare(_app("textual-dark"), terminal_size=size, run_before=_open_feed_list)


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_one_feeds_stories(snap_compare, size: tuple[int, int]) -> None:
    """Enter on a feed: its stories only, topic matches marked, its health in the title."""

    async def one_feed(pilot) -> None:
        await _open_feed_list(pilot)
        await pilot.press("down", "down", "enter")  # cnbc
        for _ in range(50):
            if pilot.app.headlines.order == ["s3", "s5"]:
                break
            await pilot.pause(0.02)
        await pilot.pause()

    assert snap_compare(_app("textual-dark"), terminal_size=size, run_before=one_feed)
