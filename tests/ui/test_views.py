"""What each pane shows is what is true: the topic query, the filter's language, the
market's state now, the alert under the cursor, a symbol view that follows its quote.

Pilot tests against the FakeEngine (tests/ui/fake_engine.py), one per key path.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from monitor.events import AlertEvent, HeadlinesEvent, QuotesEvent
from monitor.model import Alert, Headline, MarketState, QuoteBatch
from monitor.ui.screens.symbol_detail import SymbolDetail
from tests.ui.fake_engine import NOW, FakeEngine
from tests.ui.test_app import WIDE, cell_texts, make_app, ready, wait_for


def tab_line(app) -> str:
    return str(app.query_one("#tabs").render())


# ---- 1. the Headlines pane shows what the topic query matches ---------------------------


async def test_headlines_pane_shows_only_topic_matches_and_star_shows_all() -> None:
    app, _ = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot, app)
        # s4 is stored, but does not match the topic query
        assert app.headlines.order == ["s1", "s2", "s3", "s5"]
        assert "●3" in tab_line(app)
        app.action_show_pane("headlines")
        await pilot.press("asterisk")
        await wait_for(pilot, lambda: "s4" in app.headlines.order)
        table = app.headlines.table
        marks = dict(zip(app.headlines.order, cell_texts(table, "match"), strict=True))
        assert marks == {"s1": "◆", "s2": "◆", "s3": "◆", "s4": "", "s5": "◆"}
        assert "all stories" in str(app.headlines.border_title)
        assert "●3" in tab_line(app), "a story that does not match is never unread"
        await pilot.press("asterisk")
        assert app.headlines.order == ["s1", "s2", "s3", "s5"]
        assert "match" not in [str(c.key.value) for c in table.columns.values()]


async def test_a_live_headline_that_does_not_match_stays_off_the_pane() -> None:
    app, engine = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot, app)
        other = Headline("s8", "Apple earnings preview", None, "AP", "ap", NOW, NOW, new=True)
        match = dataclasses.replace(other, story="s9", title="DeepSeek V3", matched=("DeepSeek",))
        engine.emit(HeadlinesEvent((other, match)))
        await wait_for(pilot, lambda: "s9" in app.headlines.order)
        assert "s8" not in app.headlines.order and "s8" not in app.headlines.unread
        assert "●4" in tab_line(app)


# ---- 2. the `/` filter speaks the query language and keeps unread state -----------------


async def _filter(pilot, app, text: str) -> list[str]:
    app.headlines.action_clear_filter()
    await pilot.press("slash")
    await pilot.press(*text)
    await wait_for(pilot, lambda: app.headlines.answered == text)
    return list(app.headlines.order)


async def test_filter_uses_the_topic_query_language() -> None:
    app, engine = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot, app)
        # OR finds both (one of them no topic match), the index is asked once per branch
        assert await _filter(pilot, app, "broadcom OR microsoft") == ["s3", "s4"]
        searches = [c[1] for c in engine.calls if c[0] == "search_headlines"]
        assert searches == ["broadcom", "microsoft"]
        assert await _filter(pilot, app, '"app store"') == ["s5"]
        assert await _filter(pilot, app, '"store app"') == []
        assert await _filter(pilot, app, "DeepSeek -Nvidia") == ["s2", "s3", "s5"]
        # title and summary, as a feed entry is matched: s1's summary says "Chip stocks"
        assert await _filter(pilot, app, "(chip OR spending) AND NOT microsoft") == ["s1", "s3"]
        # a word, not a substring: as the config's query ("deepseek" is not "deepseeker")
        assert await _filter(pilot, app, "Broad") == []
        marks = cell_texts(app.headlines.table, "match")
        assert marks == [""]  # the placeholder row
        assert await _filter(pilot, app, "-deepseek") == ["s4"]


async def test_filter_keeps_unread_markers_and_the_count() -> None:
    app, _ = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot, app)
        assert await _filter(pilot, app, "DeepSeek -Nvidia") == ["s2", "s3", "s5"]
        assert cell_texts(app.headlines.table, "unread") == ["●", "", "●"]
        assert "●3" in tab_line(app)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.headlines.results is None)
        assert cell_texts(app.headlines.table, "unread") == ["●", "●", "", "●"]


async def test_filter_with_a_syntax_error_says_what_is_wrong() -> None:
    app, _ = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot, app)
        await _filter(pilot, app, '"unterminated')
        assert "unterminated quote" in str(app.headlines.border_title)
        assert app.is_running


# ---- 3. market state on the screen's clock -----------------------------------------------


async def test_market_state_is_the_markets_state_now_not_at_the_quotes_fetch() -> None:
    # the canned 9988.HK quote was read at Hong Kong's close (16:00 HKT), when it was
    # open; the screen's clock says 10:05 in New York
    engine = FakeEngine()
    assert engine.quotes()["9988.HK"].market_state is MarketState.REGULAR
    app, _ = make_app(engine)
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot, app)
        symbols = cell_texts(app.watchlist.table, "symbol")
        states = dict(zip(symbols, cell_texts(app.watchlist.table, "state"), strict=True))
        assert states["9988.HK"] == "closed"
        assert states["NVDA"] == "open" and states["300766.SZ"] == "closed"
        assert states["BTC-USD"] == "open"
        engine.clock.set(NOW + timedelta(hours=6))  # 16:05 New York: the US closes too
        await pilot.pause(1.2)
        states = dict(zip(symbols, cell_texts(app.watchlist.table, "state"), strict=True))
        assert states["NVDA"] == "post" and states["BTC-USD"] == "open"


# ---- 4. `a` acknowledges the alert under the cursor --------------------------------------


async def test_a_on_a_rule_acknowledges_that_rules_alert_and_the_count_drops() -> None:
    app, engine = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot, app)
        newest = Alert("sox-drop", NOW, "^SOX -8.75%", "warning", symbol="^SOX", id=9)
        engine.emit(AlertEvent(newest))
        await wait_for(pilot, lambda: "!2" in tab_line(app))
        await pilot.press("3")  # the rules table, cursor on nvda-drop
        await pilot.press("a")
        await wait_for(pilot, lambda: ("ack", 7) in engine.calls)
        assert ("ack", 9) not in engine.calls, "the newest alert is not the one chosen"
        acks = dict(zip(cell_texts(app.alerts.log_table, "rule"),
                        cell_texts(app.alerts.log_table, "ack"), strict=True))  # fmt: skip
        assert acks == {"sox-drop": "●", "nvda-drop": "✓", "avgo-drop": "✓"}
        assert "!1" in tab_line(app)


async def test_a_in_the_log_acknowledges_the_row_under_the_cursor_after_new_alerts() -> None:
    app, engine = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot, app)
        await pilot.press("3", "tab")  # the alert log
        assert app.alerts.log_table.has_focus
        await pilot.press("down")  # avgo-drop (acknowledged)
        await pilot.press("up")  # nvda-drop
        engine.emit(AlertEvent(Alert("sox-drop", NOW, "^SOX -8.75%", "warning", id=9)))
        await wait_for(pilot, lambda: len(app.alerts.alerts) == 3)
        await pilot.press("a")
        await wait_for(pilot, lambda: ("ack", 7) in engine.calls)
        assert ("ack", 9) not in engine.calls


# ---- 5. the symbol view follows its quote ------------------------------------------------


async def test_symbol_view_updates_live() -> None:
    app, engine = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await ready(pilot, app)
        await pilot.press("down", "enter")  # NVDA
        await wait_for(pilot, lambda: isinstance(app.screen, SymbolDetail))
        summary = app.screen.query_one("#symbol-summary")
        assert "118.42" in str(summary.render())
        newer = dataclasses.replace(engine.quotes()["NVDA"], price=119.01, as_of=NOW)
        engine.emit(QuotesEvent(QuoteBatch(NOW, {"NVDA": newer})))
        await wait_for(pilot, lambda: "119.01" in str(summary.render()))
        assert "-16.55%" in str(summary.render()) or "−16.55%" in str(summary.render())
        await pilot.press("escape")
        assert app.watchlist.table.get_cell("AI\x1fNVDA", "last").plain == "119.01"
