"""Issue 12, items 6-8 and 10 on screen: times that say their zone, columns that fit,
details one key away, toasts that leave the log and the status bar alone, and the
smaller things (palette, help, export, `r` offline, DEMO only for the demo)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from monitor.events import AlertEvent
from monitor.model import Alert, Quote, SourceStatus, Status
from monitor.paths import export_dir
from monitor.ui.palette import app_commands
from monitor.ui.screens.alert_detail import AlertDetail, RuleDetail
from monitor.ui.screens.help import HelpScreen
from tests.ui.fake_engine import NOW, FakeEngine
from tests.ui.test_app import SMALL, WIDE, cell_texts, make_app, ready, screen_text, wait_for

MIDDLE = (120, 32)


# ---- times that say their zone -------------------------------------------------------


async def test_the_alert_log_dates_a_row_that_is_not_today_and_names_zones() -> None:
    engine = FakeEngine()
    old = Alert("sox-drop", NOW - timedelta(days=11), "^SOX fell", "warning", symbol="^SOX", id=3)
    shenzhen = Alert(
        "limit", NOW - timedelta(hours=8), "300766.SZ at limit up", symbol="300766.SZ", id=4
    )
    engine._alerts = [*engine._alerts, old, shenzhen]
    app, _ = make_app(engine)
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot, app)
        times = dict(
            zip(
                cell_texts(app.alerts.log_table, "rule"),
                cell_texts(app.alerts.log_table, "time"),
                strict=True,
            )
        )
        assert times["nvda-drop"] == "10:02 EST"  # NVDA's exchange, today
        assert times["sox-drop"] == "2025-01-16 10:05 EST"  # another day: dated
        assert times["limit"] == "15:05 +08"  # Shenzhen's close, today there: not "CST"


async def test_times_local_shows_every_time_in_the_configured_zone() -> None:
    from monitor.config import parse_config_text

    engine = FakeEngine()
    engine.app_settings = parse_config_text(
        '[settings]\ntimes = "local"\ntime_zone = "Asia/Tokyo"\n[watchlist]\nA = ["NVDA"]\n',
        engine.config_path,
    ).settings
    app, _ = make_app(engine)
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot, app)
        assert cell_texts(app.alerts.log_table, "time")[0] == "00:02 JST"  # NVDA's, in Tokyo
        assert str(app.status_bar.render()).startswith("00:05 JST")  # today in Tokyo


# ---- columns that fit ----------------------------------------------------------------


@pytest.mark.parametrize("size", [SMALL, MIDDLE, WIDE, (240, 60)])
async def test_nothing_that_matters_is_cut_at_any_width(size) -> None:
    app, engine = make_app()
    engine._rules = [
        *engine._rules,
        dataclasses.replace(engine._rules[0], name="DeepSeek news while NVDA falls"),
        dataclasses.replace(engine._rules[0], name="DeepSeek news burst"),
    ]
    async with app.run_test(size=size) as pilot:
        await ready(pilot, app)
        text = screen_text(app)
        for symbol in ("300766.SZ", "9988.HK", "BTC-USD", "▼ -16.97%", "98,250.00"):
            assert symbol in text, (size, symbol)
        await pilot.press("3")
        await pilot.pause()
        text = screen_text(app)
        # two names that start alike are cut (if at all) where they differ
        assert "DeepSeek news w" in text and "DeepSeek news b" in text
        assert "⚠ not evaluated" in text


@pytest.mark.parametrize("size", [SMALL, MIDDLE])
async def test_with_no_prices_a_groups_count_is_read_whole(size) -> None:
    """Offline, every price is "—": the price column is narrow, the count is not cut."""
    engine = FakeEngine()
    engine._quotes = {s: unreachable(s) for group in engine.groups.values() for s in group}
    app, _ = make_app(engine)
    async with app.run_test(size=size) as pilot:
        await ready(pilot, app)
        text = screen_text(app)
        assert "3 symbols" in text and "1 symbol" in text
        assert "⚠ unreachable" in text


def unreachable(symbol: str) -> Quote:
    return Quote(symbol, status=Status.UNREACHABLE, error="name not resolved")


async def test_at_120_columns_the_headlines_pane_shows_titles() -> None:
    app, _ = make_app()
    async with app.run_test(size=MIDDLE) as pilot:
        await ready(pilot, app)
        widths = app.headlines.table.widths
        assert widths["title"] >= 20 and "time" in widths
        assert "DeepSeek R1 sends" in screen_text(app)


async def test_a_new_limit_badge_widens_the_watchlist_to_show_it() -> None:
    app, engine = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot, app)
        below = dataclasses.replace(engine._quotes["300766.SZ"], price=27.00)
        app.watchlist.apply_quotes({"300766.SZ": below})
        await pilot.pause()
        assert "note" not in app.watchlist._widths  # no badge: no column
        up = dataclasses.replace(below, price=30.36, high=30.36)
        app.watchlist.apply_quotes({"300766.SZ": up})
        await pilot.pause()
        assert "note" in app.watchlist._widths and "涨停" in screen_text(app)


# ---- the whole of a row, one key away -------------------------------------------------


async def test_enter_on_a_rule_opens_it_whole() -> None:
    app, _ = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await ready(pilot, app)
        await pilot.press("3", "down", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RuleDetail))
        body = str(app.screen.query_one("#alert-detail").render())
        assert "⚠ not evaluated: ^SOX: stale quote" in body and "^SOX.change_pct <= -3" in body
        assert "Esc or q closes" in screen_text(app)
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, RuleDetail))


async def test_enter_on_an_alert_of_the_log_opens_it_whole() -> None:
    engine = FakeEngine()
    long = Alert(
        "SOX selloff", NOW, "^SOX day% -9.15% ≤ -9% (4853.24, prev close 5341.94) at "
        "2025-01-27 10:05 EST (level 3 of 3) — largest one-day drop since 2020-03-18",
        "critical", symbol="^SOX",
        context={"data_time": "2025-01-27T15:05:00+00:00", "level": 3, "levels": 3,
                 "thresholds": [-5, -7.5, -9],
                 "largest_since": "largest one-day drop since 2020-03-18"},
        headlines=({"title": "Chip stocks slide", "source": "Reuters", "link": "https://r.test/1",
                    "published": "2025-01-27T14:50:00+00:00", "story": "s9"},),
        id=9,
    )  # fmt: skip
    engine._alerts = [long, *engine._alerts]
    app, _ = make_app(engine)
    async with app.run_test(size=MIDDLE) as pilot:
        await ready(pilot, app)
        await pilot.press("3")
        app.alerts.log_table.focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, AlertDetail))
        body = str(app.screen.query_one("#alert-detail").render())
        assert long.message in body.replace("\n", " ") or "since 2020-03-18" in body
        assert "level 3 of 3" in body and "levels -5, -7.5, -9" in body
        assert "data time  2025-01-27 10:05 EST" in body  # dated, with its exchange's zone
        assert "Chip stocks slide" in body and "https://r.test/1" in body


# ---- toasts --------------------------------------------------------------------------


def _fire(engine: FakeEngine, n: int) -> None:
    for i in range(n):
        alert = Alert(
            f"rule {i}", NOW, f"NVDA day% -1{i}.00% ≤ -5% at 10:05 EST — more", symbol="NVDA"
        )
        engine.emit(AlertEvent(alert))


@pytest.mark.parametrize("size", [SMALL, MIDDLE, WIDE])
async def test_toasts_leave_the_log_and_the_status_bar_alone(size) -> None:
    app, engine = make_app()
    async with app.run_test(size=size, notifications=True) as pilot:
        await ready(pilot, app)
        if size == SMALL:
            await pilot.press("3")  # the alerts pane: its log is the lower half
        _fire(engine, 1)
        await pilot.pause(0.3)
        _fire(engine, 4)
        await wait_for(pilot, lambda: len(app.screen.query("Toast")) >= 2)
        await pilot.pause()
        log = app.alerts.query_one("#log-box").region
        bar = app.status_bar.region
        for toast in app.screen.query("Toast"):
            assert not toast.region.overlaps(bar), size
            assert not toast.region.overlaps(log), size
            assert toast.region.width <= size[0] * 0.4 + 1
        covered = sum(t.region.area for t in app.screen.query("Toast"))
        assert covered <= size[0] * size[1] * 0.15  # never half the screen
        shown = " ".join(str(t.render()) for t in app.screen.query("Toast"))
        assert "at 10:05 EST" in shown and " — more" not in shown  # the log has it whole


# ---- the smaller ones ----------------------------------------------------------------


async def test_help_says_how_to_close_it() -> None:
    app, _ = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await ready(pilot, app)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        assert "Esc, q or ? closes this list." in screen_text(app)
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, HelpScreen))


async def test_the_palette_lists_each_command_once() -> None:
    app, _ = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot, app)
        ours = [name for name, _, _ in app_commands(app)]
        textuals = [c.title for c in app.get_system_commands(app.screen)]
        titles = [t.lower() for t in ours + textuals]
        assert len(titles) == len(set(titles))
        for pair in (("theme", "switch theme"), ("keys", "show keys")):
            assert sum(t in pair for t in titles) == 1, pair


async def test_export_writes_into_the_user_data_dir_and_says_where(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))  # never the user's own data dir
    app, engine = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot, app)
        app.action_export()
        await wait_for(pilot, lambda: any(c[0] == "export" for c in engine.calls))
        (path,) = [c[1] for c in engine.calls if c[0] == "export"]
        assert path.parent == export_dir() == tmp_path / "monitor" / "exports"
        assert path.parent.is_dir() and path.name.startswith("monitor-export-")
        await wait_for(pilot, lambda: any(str(path) in n.message for n in app._notifications))


async def test_r_offline_says_which_sources_failed() -> None:
    engine = FakeEngine()
    engine._sources = [
        SourceStatus("reuters", "feed", Status.UNREACHABLE, error="connection refused"),
        SourceStatus("quotes", "quotes", Status.OK),
    ]
    app, _ = make_app(engine)
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot, app)
        await pilot.press("r")
        await wait_for(pilot, lambda: any("Refreshed:" in n.message for n in app._notifications))
        (said,) = [n for n in app._notifications if "Refreshed:" in n.message]
        assert said.message.startswith("Refreshed: 1 of 2 sources failed")
        assert "reuters: unreachable: connection refused" in said.message
        assert said.severity == "warning"


async def test_a_recording_of_ones_own_is_not_labelled_demo() -> None:
    engine = FakeEngine(replay=True)
    engine.config_source = "--config"
    app, _ = make_app(engine)
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot, app)
        status = str(app.status_bar.render())
        assert "DEMO" not in status and status.startswith(" REPLAY 2025-01-27 10:05:00 EST")
