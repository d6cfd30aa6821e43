"""Pilot tests of the app against the FakeEngine: each pane and the main key paths."""

from __future__ import annotations

import dataclasses
import html
import os
import re
from pathlib import Path

import pytest
from rich.text import Text
from textual.widgets import DataTable

from monitor.events import AlertEvent, HeadlinesEvent, NoticeEvent, QuotesEvent, ReplayEndedEvent
from monitor.model import Alert, Headline, Quote, QuoteBatch, Status
from monitor.ui.app import MonitorApp
from monitor.ui.palette import app_commands
from monitor.ui.screens.confirm_open import ConfirmOpen, safe_url
from monitor.ui.screens.headline_detail import HeadlineDetail
from monitor.ui.screens.help import HelpScreen
from monitor.ui.screens.snooze import SnoozeScreen
from monitor.ui.screens.symbol_detail import SymbolDetail
from tests.ui.fake_engine import MARKUP_TITLE, NOW, FakeEngine, factory_for

WIDE = (160, 48)
SMALL = (80, 24)


def make_app(engine: FakeEngine | None = None, **kwargs) -> tuple[MonitorApp, FakeEngine]:
    engine = engine or FakeEngine()
    return MonitorApp(factory_for(engine), **kwargs), engine


async def ready(pilot, app: MonitorApp) -> None:
    """Wait (bounded) until the engine is started and stored data is shown."""
    for _ in range(100):
        if app.engine is not None and ("start",) in app.engine.calls:
            break
        await pilot.pause(0.02)
    await pilot.pause()
    assert app.engine is not None


def cell_texts(table: DataTable, column: str) -> list[str]:
    return [table.get_cell(row.key, column).plain for row in table.ordered_rows]


def screen_text(app: MonitorApp) -> str:
    """The text on the terminal, from the SVG screenshot (text runs joined)."""
    runs = re.findall(r">([^<]*)</text>", app.export_screenshot())
    return html.unescape("".join(runs)).replace("\xa0", " ")


def table_shown(table: DataTable) -> tuple[list[list[tuple[str, str, list]]], list[tuple]]:
    """A table's cells as drawn (text, style, spans), row by row, and its columns with
    their widths: what a rebuild and an in-place update must agree on."""
    rows = [
        [_look(table.get_cell(row.key, column.key)) for column in table.ordered_columns]
        for row in table.ordered_rows
    ]
    return rows, [(column.key.value, column.width) for column in table.ordered_columns]


def _look(cell: Text) -> tuple[str, str, list]:
    return cell.plain, str(cell.style), list(cell.spans)


async def filled(pilot, app: MonitorApp) -> None:
    """Wait (bounded) until the panes are mounted in the painted skeleton."""
    await wait_for(pilot, lambda: bool(app.query("#alerts")), tries=300)


async def wait_for(pilot, condition, tries: int = 100) -> None:
    for _ in range(tries):
        if condition():
            return
        await pilot.pause(0.02)
    assert condition()


# ---- headlines ------------------------------------------------------------------------


async def test_headlines_newest_first_with_outlet_count_and_unread() -> None:
    app, _ = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot, app)
        table = app.headlines.table
        # s4 does not match the topic query: it is not shown (see test_topic_query_...)
        assert app.headlines.order == ["s1", "s2", "s3", "s5"]
        assert cell_texts(table, "outlets")[0] == "+3"  # CNBC, Bloomberg, FT beside Reuters
        assert cell_texts(table, "unread") == ["●", "●", "", "●"]
        assert cell_texts(table, "time")[:3] == ["5m ago", "20m ago", "45m ago"]
        assert cell_texts(table, "time")[3] == "Jan 26"


async def test_matched_terms_are_highlighted() -> None:
    app, _ = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot, app)
        title = app.headlines.table.get_cell("s1", "title")
        styled = [title.plain[span.start : span.end] for span in title.spans]
        assert styled == ["DeepSeek"]


async def test_markup_in_titles_is_shown_literally_and_inert() -> None:
    app, _ = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot, app)
        title = app.headlines.table.get_cell("s2", "title")
        assert title.plain == MARKUP_TITLE
        assert "[bold]DeepSeek[/bold] [link=" in screen_text(app)
        # clicking the rendered '[@click=app.quit]' text must not quit
        app.action_show_pane("headlines")
        app.headlines.select("s2")
        await pilot.click("#headline-table", offset=(60, 1))
        await pilot.pause()
        assert app.is_running and app.return_code is None


async def test_enter_opens_headline_detail_and_marks_read() -> None:
    app, engine = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot, app)
        app.action_show_pane("headlines")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, HeadlineDetail))
        text = app.screen.query_one("#headline-detail").render()
        plain = str(text)
        assert "Chip stocks fell sharply" in plain
        for link in ("https://www.cnbc.com/deepseek", "https://www.ft.com/deepseek"):
            assert link in plain
        assert "NVDA" in plain
        await wait_for(pilot, lambda: ("mark_read", ("s1",)) in engine.calls)
        assert "s1" not in app.headlines.unread
        await pilot.press("escape")
        assert not isinstance(app.screen, HeadlineDetail)


async def test_detail_summary_with_markup_is_plain_text() -> None:
    app, _ = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot, app)
        app.action_show_pane("headlines")
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, HeadlineDetail))
        plain = str(app.screen.query_one("#headline-detail").render())
        assert "[red]not red[/red] and [@click=app.quit]not a button[/]" in plain
        assert "javascript:alert(1)" in plain


async def test_open_refuses_javascript_link(monkeypatch) -> None:
    opened: list[str] = []
    monkeypatch.setattr("webbrowser.open", opened.append)
    app, _ = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot, app)
        app.action_show_pane("headlines")
        await pilot.press("down", "o")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmOpen)
        assert any("Not opening" in n.message for n in app._notifications)
    assert opened == []


async def test_open_http_link_asks_first(monkeypatch) -> None:
    opened: list[str] = []
    monkeypatch.setattr("webbrowser.open", opened.append)
    app, _ = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot, app)
        app.action_show_pane("headlines")
        await pilot.press("o")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmOpen))
        assert opened == []  # nothing before the person says yes
        await pilot.press("y")
        link = "https://www.reuters.com/technology/deepseek-nvidia"
        await wait_for(pilot, lambda: opened == [link])


def test_safe_url() -> None:
    assert safe_url("https://example.com/a?b=1") == "https://example.com/a?b=1"
    assert safe_url("HTTP://example.com") == "HTTP://example.com"
    for bad in (
        "javascript:alert(1)",
        "file:///etc/passwd",
        "https://",
        "https://a b",
        None,
        "https://x.com/\x1b]52;c;x\x07",
        "data:text/html,hi",
    ):
        assert safe_url(bad) is None


async def test_filter_searches_engine_after_typing_pauses() -> None:
    app, engine = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot, app)
        await pilot.press("slash")
        await pilot.press(*"broadcom")
        await wait_for(pilot, lambda: app.headlines.order == ["s3"])
        searches = [c for c in engine.calls if c[0] == "search_headlines"]
        assert searches == [("search_headlines", "broadcom")]  # debounced: one search
        await pilot.press("escape")
        await wait_for(pilot, lambda: len(app.headlines.order) == 4)


async def test_n_and_shift_n_jump_between_unread() -> None:
    app, _ = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot, app)
        await pilot.press("n")
        assert app.headlines.selected_story() == "s2"
        await pilot.press("n")
        assert app.headlines.selected_story() == "s5"
        await pilot.press("N")
        assert app.headlines.selected_story() == "s2"


async def test_new_headlines_arrive_live() -> None:
    app, engine = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot, app)
        fresh = Headline(
            "s9",
            "DeepSeek V4 tops benchmarks",
            "https://x.example/v4",
            "AP",
            "ap",
            NOW,
            NOW,
            matched=("DeepSeek",),
            new=True,
        )
        engine.emit(HeadlinesEvent((fresh,)))
        await wait_for(pilot, lambda: app.headlines.order[:1] == ["s9"])
        assert "s9" in app.headlines.unread


# ---- watchlist ------------------------------------------------------------------------


async def test_watchlist_rows_grouped_with_arrows_and_badges() -> None:
    app, _ = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot, app)
        table = app.watchlist.table
        symbols = cell_texts(table, "symbol")
        assert symbols == ["▾ AI", "NVDA", "AVGO", "MSFT", "▾ Semis & China", "^SOX",
                           "300766.SZ", "9988.HK", "▾ Crypto", "BTC-USD"]  # fmt: skip
        pct = dict(zip(symbols, cell_texts(table, "pct"), strict=True))
        assert pct["NVDA"] == "▼ -16.97%" and pct["MSFT"] == "▲ +1.30%"
        age = dict(zip(symbols, cell_texts(table, "age"), strict=True))
        assert age["^SOX"] == "⚠ stale 25m" and age["NVDA"] == "12s"
        note = dict(zip(symbols, cell_texts(table, "note"), strict=True))
        assert note["300766.SZ"] in ("涨停 LIMIT↑", "涨停↑")  # short form when tight
        spark = dict(zip(symbols, cell_texts(table, "spark"), strict=True))
        assert spark["MSFT"][0] == "▁" and spark["MSFT"][-1] == "█"


async def test_watchlist_shows_the_limit_up_streak_when_history_is_known() -> None:
    engine = FakeEngine()
    engine.limit_streak = lambda symbol: 3 if symbol == "300766.SZ" else None
    app, _ = make_app(engine)
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot, app)
        table = app.watchlist.table
        symbols = cell_texts(table, "symbol")
        note = dict(zip(symbols, cell_texts(table, "note"), strict=True))
        assert note["300766.SZ"].endswith("×3") and note["300766.SZ"].startswith("涨停")
        assert note["NVDA"] == ""


async def test_quote_batch_updates_only_changed_cells(monkeypatch) -> None:
    app, engine = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot, app)
        table = app.watchlist.table
        updates: list[tuple[str, str]] = []
        real = table.set_cells

        def spy(changes):
            changes = list(changes)
            updates.extend((row, column) for row, column, _ in changes)
            return real(changes)

        monkeypatch.setattr(table, "set_cells", spy)
        old = engine.quotes()["MSFT"]
        new = dataclasses.replace(old, price=440.0, as_of=NOW)
        engine.emit(QuotesEvent(QuoteBatch(NOW, {"MSFT": new})))
        await wait_for(pilot, lambda: updates)
        await pilot.pause()
        assert {row for row, _ in updates} == {"AI\x1fMSFT"}
        assert "symbol" not in {column for _, column in updates}
        assert table.get_cell("AI\x1fMSFT", "last").plain == "440.00"


async def test_sort_cycles_and_groups_collapse() -> None:
    app, _ = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot, app)
        await pilot.press("s")  # by change %
        assert cell_texts(app.watchlist.table, "symbol")[1:4] == ["MSFT", "AVGO", "NVDA"]
        await pilot.press("s")  # by symbol
        assert cell_texts(app.watchlist.table, "symbol")[1:4] == ["AVGO", "MSFT", "NVDA"]
        await pilot.press("s")  # back to file order
        assert cell_texts(app.watchlist.table, "symbol")[1:4] == ["NVDA", "AVGO", "MSFT"]
        await pilot.press("c")  # collapse the group under the cursor (AI)
        assert cell_texts(app.watchlist.table, "symbol")[:2] == ["▸ AI", "▾ Semis & China"]
        await pilot.press("c")
        assert cell_texts(app.watchlist.table, "symbol")[1] == "NVDA"
        await pilot.press("g")  # one group at a time
        assert cell_texts(app.watchlist.table, "symbol") == ["▾ AI", "NVDA", "AVGO", "MSFT"]


async def test_enter_opens_symbol_view_with_chart_and_headlines() -> None:
    app, engine = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot, app)
        await pilot.press("down", "enter")  # NVDA
        await wait_for(pilot, lambda: isinstance(app.screen, SymbolDetail))
        await wait_for(pilot, lambda: ("symbol_headlines", "NVDA") in engine.calls)
        await pilot.pause(0.05)
        assert ("daily_history", "NVDA") in engine.calls
        screen = app.screen
        assert "NVIDIA Corp" in str(screen.query_one("#symbol-summary").render())
        assert "█" in str(screen.query_one("#symbol-intraday").render())
        assert "Last 40 sessions" in str(screen.query_one("#symbol-days").render())
        rows = cell_texts(screen.query_one("#symbol-headlines", DataTable), "title")
        assert rows == ["DeepSeek R1 sends Nvidia down 17% as AI spending doubts grow"]


# ---- alerts ---------------------------------------------------------------------------


async def test_alert_event_toasts_rings_and_flashes_row(monkeypatch) -> None:
    app, engine = make_app()
    rings: list[bool] = []
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot, app)
        monkeypatch.setattr(app, "bell", lambda: rings.append(True))
        alert = Alert("msft-up", NOW, "MSFT [bold]+1.3%[/bold]", "critical", symbol="MSFT", id=9)
        engine.emit(AlertEvent(alert))
        await wait_for(pilot, lambda: rings)
        toast = list(app._notifications)[-1]
        assert toast.message == "MSFT [bold]+1.3%[/bold]" and toast.markup is False
        assert toast.severity == "error" and "CRITICAL" in toast.title
        assert app.alerts.alerts[0].rule == "msft-up"
        assert app.watchlist.table.get_cell("AI\x1fMSFT", "symbol").plain == "‼ MSFT"


async def test_many_alerts_at_once_make_one_summary_toast(monkeypatch) -> None:
    app, engine = make_app()
    rings: list[bool] = []
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot, app)
        monkeypatch.setattr(app, "bell", lambda: rings.append(True))
        before = len(app._notifications)
        for i in range(6):
            engine.emit(AlertEvent(Alert(f"rule-{i}", NOW, f"move {i}", "warning", id=20 + i)))
        await wait_for(pilot, lambda: rings)
        await pilot.pause(0.1)
        toasts = list(app._notifications)[before:]
        assert len(toasts) == 1 and toasts[0].title == "6 alerts"
        assert "rule-0" in toasts[0].message and "2 more" in toasts[0].message
        assert rings == [True]
        assert len(app.alerts.alerts) >= 6, "every alert still goes to the log"


async def test_ack_snooze_and_mute_call_the_engine() -> None:
    app, engine = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot, app)
        await pilot.press("3", "a")  # newest unacknowledged alert (id 7)
        await wait_for(pilot, lambda: ("ack", 7) in engine.calls)
        assert app.alerts.alerts[0].acknowledged
        await pilot.press("m")  # the rules table has focus: nvda-drop
        await wait_for(pilot, lambda: ("mute", "nvda-drop", True) in engine.calls)
        await pilot.press("z")
        await wait_for(pilot, lambda: isinstance(app.screen, SnoozeScreen))
        await pilot.press("down", "enter")  # 1 hour
        await wait_for(pilot, lambda: ("snooze", "nvda-drop", 3600.0) in engine.calls)


async def test_rule_states_are_shown() -> None:
    app, _ = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot, app)
        states = cell_texts(app.alerts.rules_table, "state")
        assert states[0] == "fired at 15:02 UTC"  # the local zone (TZ=UTC here), named
        assert states[1].startswith("⚠ not evaluated: ^SOX: stale quote")
        assert states[2] == "armed"


async def test_notice_is_shown_once() -> None:
    app, engine = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot, app)
        before = len(app._notifications)
        engine.emit(NoticeEvent("Desktop notifications unavailable [x]"))
        engine.emit(NoticeEvent("Desktop notifications unavailable [x]"))
        await pilot.pause(0.1)
        assert len(app._notifications) == before + 1


# ---- app-wide -------------------------------------------------------------------------


async def test_help_lists_every_binding() -> None:
    app, _ = make_app(keys={"refresh": "f5"})
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot, app)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        text = str(app.screen.query_one("#help-text").render())
        for _, bindings in app.binding_sections():
            for binding in bindings:
                if getattr(binding, "description", "") and not binding.system:
                    assert binding.description in text
        assert "f5" in text and "refresh" in text  # the remapped key is what is shown


async def test_remapped_key_works_and_unknown_action_is_reported() -> None:
    app, engine = make_app(keys={"refresh": "f5", "fly": "x"})
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot, app)
        assert any("fly" in n.message for n in app._notifications)
        await pilot.press("f5")
        await wait_for(pilot, lambda: ("refresh_now",) in engine.calls)


async def test_palette_offers_the_app_commands() -> None:
    app, engine = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot, app)
        names = [name for name, _, _ in app_commands(app)]
        for wanted in (
            "Refresh now",
            "Pause polling",
            "Reload config",
            "Toggle groups",
            "Keys",
            "Export",
        ):
            assert wanted in names
        await pilot.press("ctrl+p")
        await pilot.press(*"export")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_for(pilot, lambda: any(c[0] == "export" for c in engine.calls))


async def test_pause_and_theme_keys() -> None:
    app, engine = make_app(theme="textual-light")
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot, app)
        assert app.theme == "textual-light"
        await pilot.press("p")
        assert engine.paused
        await pilot.pause(1.1)
        assert "PAUSED" in str(app.status_bar.render())
        await pilot.press("t")
        assert app.theme != "textual-light"


async def test_small_terminal_switches_panes_with_number_keys() -> None:
    app, _ = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await ready(pilot, app)
        assert app.watchlist.display and app.watchlist.region.width > 0
        assert app.headlines.region.width == 0 and app.alerts.region.width == 0
        await pilot.press("2")
        await pilot.pause()
        assert app.headlines.region.width == 80 and app.watchlist.region.width == 0
        await pilot.press("3")
        await pilot.pause()
        assert app.alerts.region.height > 10


async def test_config_reload_error_is_shown_and_success_applies(tmp_path: Path) -> None:
    config = tmp_path / "watchlist.toml"
    config.write_text("[groups]\n")
    engine = FakeEngine(config_path=config)
    app, _ = make_app(engine)
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot, app)
        engine.reload_error = "line 3: unknown key 'thresold' in [[rules]]"
        config.write_text("[groups]\nbad = 1\n")
        os.utime(config, ns=(1, 10**18))
        await wait_for(pilot, lambda: ("reload_config",) in engine.calls, tries=200)
        await wait_for(pilot, lambda: app.status_bar.config_error is not None)
        assert "thresold" in str(app.status_bar.render())
        assert any("thresold" in n.message for n in app._notifications)
        engine.reload_error = None
        engine.groups = {"Only": ["MSFT"]}
        os.utime(config, ns=(2, 2 * 10**18))
        await wait_for(pilot, lambda: app.watchlist.groups == {"Only": ["MSFT"]}, tries=200)
        assert app.status_bar.config_error is None


async def test_a_replays_clock_is_never_older_than_the_prices_it_shows() -> None:
    """The bar reads the engine's clock once a second; a replayed batch moves it at once
    (here the engine's clock stays behind: only the batch can move the bar)."""
    from datetime import timedelta

    app, engine = make_app(FakeEngine(replay=True))
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot, app)
        later = NOW + timedelta(minutes=5)
        quote = dataclasses.replace(engine.quotes()["NVDA"], price=119.01, as_of=later)
        engine.emit(QuotesEvent(QuoteBatch(later, {"NVDA": quote})))
        await wait_for(
            pilot,
            lambda: (
                app.watchlist.table.get_cell("AI\x1fNVDA", "last").plain == "119.01"
                and "DEMO — replay 2025-01-27 10:10:00 EST" in str(app.status_bar.render())
            ),
        )


async def test_replay_end_banner_and_r_replays() -> None:
    app, engine = make_app(FakeEngine(replay=True))
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot, app)
        assert "DEMO — replay 2025-01-27 10:05:00 EST" in str(app.status_bar.render())
        engine.emit(ReplayEndedEvent(NOW))
        await pilot.pause()
        banner = app.query_one("#banner")
        assert banner.display and "press r to replay" in str(banner.render())
        await pilot.press("r")
        await wait_for(pilot, lambda: ("restart_replay",) in engine.calls)


async def test_config_error_from_factory_exits_with_code_2() -> None:
    class ConfigError(Exception):
        pass

    async def factory():
        raise ConfigError("watchlist.toml line 4: [settings] unknown key 'colour'")

    app = MonitorApp(factory)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause(0.2)
    assert app.return_code == 2


async def test_first_frame_paints_before_the_engine_is_ready() -> None:
    import asyncio

    gate = asyncio.Event()
    engine = FakeEngine()

    async def slow_factory():
        await gate.wait()
        return engine

    app = MonitorApp(slow_factory)
    async with app.run_test(size=WIDE) as pilot:
        await pilot.pause()
        assert "loading…" in cell_texts(app.headlines.table, "title")
        gate.set()
        await ready(pilot, app)
        assert app.headlines.order[0] == "s1"


@pytest.mark.parametrize("status_word", ["rate_limited", "unknown_symbol"])
async def test_unusable_quotes_say_why(status_word: str) -> None:
    app, engine = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot, app)
        quote = Quote("NVDA", status=Status(status_word), as_of=NOW)
        engine.emit(QuotesEvent(QuoteBatch(NOW, {"NVDA": quote})))
        table = app.watchlist.table
        await wait_for(pilot, lambda: table.get_cell("AI\x1fNVDA", "age").plain.startswith("⚠"))
        assert table.get_cell("AI\x1fNVDA", "last").plain == "—"


async def test_the_headlines_pane_keeps_only_the_newest_stories() -> None:
    from datetime import timedelta

    from monitor.ui.widgets.headlines import MAX_SHOWN

    app, engine = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot, app)
        many = [
            Headline(
                f"bulk{i}",
                f"DeepSeek item {i}",
                None,
                "Src",
                "feed",
                NOW - timedelta(minutes=i),
                NOW,
                matched=("DeepSeek",),
                new=True,
            )
            for i in range(MAX_SHOWN + 100)
        ]
        engine.emit(HeadlinesEvent(tuple(many)))
        await wait_for(pilot, lambda: "bulk0" in app.headlines.headlines)
        assert len(app.headlines.headlines) == MAX_SHOWN
        assert app.headlines.order[0] == "bulk0"
        assert f"bulk{MAX_SHOWN + 99}" not in app.headlines.headlines


async def test_a_new_outlet_of_a_shown_story_updates_its_row_in_place(monkeypatch) -> None:
    from monitor.model import Outlet

    app, engine = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot, app)
        story = app.headlines.headlines["s1"]
        rebuilds: list[bool] = []
        monkeypatch.setattr(app.headlines, "_rebuild", lambda: rebuilds.append(True))
        more = (*story.outlets, Outlet("AP", None, story.published), Outlet("WSJ", None, NOW))
        engine.emit(HeadlinesEvent((dataclasses.replace(story, outlets=more, new=False),)))
        await wait_for(pilot, lambda: len(app.headlines.headlines["s1"].outlets) == len(more))
        await pilot.pause()
        outlets = app.headlines.table.get_cell("s1", "outlets").plain
        assert outlets == f"+{len({o.source for o in more} - {story.source})}"
        assert rebuilds == [], "no full rebuild for a known story"
