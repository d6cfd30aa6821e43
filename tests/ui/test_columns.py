"""Columns that fit (issue 12, item 7): a minimum and a priority for every column, at
any width from 80 to 240 columns."""

from __future__ import annotations

import pytest
from rich.cells import cell_len
from rich.text import Text

from monitor.ui.columns import CELL_PADDING, Column, fit
from monitor.ui.widgets.watchlist_columns import first_word, layout

COLUMNS = [
    Column("symbol", priority=0),
    Column("name", minimum=6, priority=2),
    Column("price", priority=0),
    Column("note", minimum=4, priority=1),
    Column("title", minimum=10, priority=0, flexible=True),
]
NATURAL = {"symbol": 9, "name": 30, "price": 8, "note": 12, "title": 50}


def used(widths: dict[str, int]) -> int:
    return sum(w + CELL_PADDING for w in widths.values())


def shown(text: str, width: int) -> str:
    """What a cell of ``width`` shows of ``text`` (as a DataTable cuts it)."""
    cell = Text(text, no_wrap=True, overflow="ellipsis")
    cell.truncate(width, overflow="ellipsis")
    return cell.plain


def test_everything_at_its_natural_width_when_there_is_room() -> None:
    widths = fit(COLUMNS, 200, NATURAL)
    assert list(widths) == ["symbol", "name", "price", "note", "title"]  # display order
    assert (widths["symbol"], widths["name"], widths["price"], widths["note"]) == (9, 30, 8, 12)
    assert used(widths) == 200  # the flexible title takes the rest


def test_lower_priorities_give_way_first_and_nothing_important_is_cut() -> None:
    widths = fit(COLUMNS, 40, NATURAL)
    assert widths == {"symbol": 9, "price": 8, "note": 5, "title": 10}  # name hidden
    assert used(widths) <= 40
    narrow = fit(COLUMNS, 33, NATURAL)
    assert narrow == {"symbol": 9, "price": 8, "title": 10}  # note hidden too


def test_a_column_with_nothing_to_show_is_hidden() -> None:
    widths = fit(COLUMNS, 200, {**NATURAL, "note": 0})
    assert "note" not in widths


def test_spare_room_grows_the_more_important_first() -> None:
    widths = fit(COLUMNS, 60, NATURAL)
    # all minimums fit (9+6+8+4+10 + 10 padding = 47); 13 spare: name (priority 2) waits
    # for note (priority 1), which grows to 12 first
    assert widths["note"] == 12 and widths["name"] == 6 + 5 and widths["title"] == 10


ROWS = [
    {"symbol": "NVDA", "last": "118.42", "pct": "▼ -16.97%", "spark": "▆▅▄▃▂▁", "age": "12s",
     "state": "open", "volume": "821.0M", "change": "-24.20", "range": "116.25–128.40",
     "note": ""},
    {"symbol": "300766.SZ", "last": "30.36", "pct": "▲ +20.00%", "spark": "▁▂▄▆█",
     "age": "⚠ unreachable 5m", "state": "closed", "volume": "66.0M", "change": "+5.06",
     "range": "25.90–30.36", "note": "涨停 LIMIT↑ ×3"},
    {"symbol": "^IXIC", "last": "19,234.04", "pct": "▼ -3.61%", "spark": "▄", "age": "45m",
     "state": "open", "volume": "—", "change": "-720.00", "range": "19,100.00–19,900.00",
     "note": ""},
]  # fmt: skip
SYMBOLS = ["NVDA", "300766.SZ", "^IXIC"]
GROUPS = ["AI chips", "DeepSeek concept (A-shares)"]


@pytest.mark.parametrize("room", range(78, 240))
def test_the_watchlist_never_cuts_symbol_price_change_or_the_states_first_word(room) -> None:
    widths, short = layout(ROWS, SYMBOLS, GROUPS, room)
    assert used(widths) <= room
    assert shown("‼ 300766.SZ", widths["symbol"]) == "‼ 300766.SZ"  # never '‼ 300766.S'
    assert shown("19,234.04", widths["last"]) == "19,234.04"
    assert shown("▼ -16.97%", widths["pct"]) == "▼ -16.97%"
    assert shown("⚠ unreachable 5m", widths["age"]).startswith("⚠ unreachable")  # not 'unreacha…'
    if "note" in widths:
        assert widths["note"] >= len("涨停↑ ×3") + 1  # the badge's short form, with streak
        assert short == (widths["note"] < len("涨停 LIMIT↑ ×3") + 2)


def test_the_watchlist_at_80_and_160_columns() -> None:
    at_80, short = layout(ROWS, SYMBOLS, GROUPS, 77)
    # the badge and how old a quote is come before the sparkline; a long group name
    # before the volume, the change and the range
    assert list(at_80) == ["symbol", "last", "pct", "state", "age", "note"]
    assert at_80["age"] == len("⚠ unreachable 5m") and at_80["note"] == cell_len("涨停 LIMIT↑ ×3")
    without_badges = [{**row, "note": ""} for row in ROWS]
    at_80, _ = layout(without_badges, SYMBOLS, ["AI chips", "ETF & crypto"], 77)
    assert list(at_80) == ["symbol", "last", "pct", "spark", "state", "age"]
    assert at_80["symbol"] == len("▾ ETF & crypto")
    at_160, short = layout(ROWS, SYMBOLS, GROUPS, 157)
    assert not short
    assert set(at_160) == {c for c in ROWS[0]}  # every column
    assert at_160["age"] == len("⚠ unreachable 5m") and at_160["note"] == 14


def test_first_word_of_a_state() -> None:
    assert first_word("⚠ unreachable 5m") == "⚠ unreachable"
    assert first_word("12s") == "12s" and first_word("") == ""


def test_an_ideal_is_kept_before_lesser_columns_show() -> None:
    title = Column("title", minimum=20, priority=0, flexible=True, ideal=48)
    source = Column("source", minimum=8, priority=3)
    natural = {"title": 90, "source": 18}
    assert fit([source, title], 59, natural) == {"title": 57}  # no room for both
    assert fit([source, title], 60, natural) == {"source": 8, "title": 48}
    assert fit([source, title], 80, natural) == {"source": 18, "title": 58}
    assert fit([source, title], 30, natural) == {"title": 28}  # below its ideal: still shown


@pytest.mark.parametrize("room", range(40, 120))
def test_a_rules_name_and_its_states_first_words_are_never_cut(room) -> None:
    from monitor.ui.widgets.alert_rows import rules_layout

    def row(name: str, state: str) -> dict[str, Text]:
        cells = {"rule": name, "state": state, "value": "-11.04 / -3.00", "when": "NVDA day% <= -3"}
        return {k: Text(v) for k, v in cells.items()}

    rows = [
        row("DeepSeek news while NVDA falls", "fired at 09:35 EST"),
        row("DeepSeek news burst", "⚠ not evaluated: news feed unreachable since 09:00 EST"),
        row("NVDA below 120", "armed"),
    ]
    widths = rules_layout(rows, room)
    assert used(widths) <= room or list(widths) == ["rule"]
    names = [shown(r["rule"].plain, widths["rule"]) for r in rows]
    assert len(set(names)) == 3  # never 'DeepSeek ne…' twice
    if "state" in widths:
        assert shown("fired at 09:35 EST", widths["state"]).startswith("fired")
        assert shown(rows[1]["state"].plain, widths["state"]).startswith("⚠ not evaluated")
    if room >= 77:  # 160 columns: a reason is read whole, the condition gives way
        assert shown("⚠ not evaluated: ^SOX: stale quote", widths["state"]).endswith("quote")


def test_distinct_width() -> None:
    from monitor.ui.widgets.alert_rows import distinct_width

    names = ["DeepSeek news while NVDA falls", "DeepSeek news burst", "NVDA below 120"]
    assert distinct_width(names) == len("DeepSeek news w…")
    assert distinct_width(["a", "b"]) == 1 and distinct_width([]) == 0


def test_a_cell_that_does_not_move_the_layout_leaves_it_as_laid_out() -> None:
    """The watchlist lays its columns out again only when a cell's new width may move
    them (``moves_layout``): every other change gives the same layout."""
    import random

    from monitor.ui.widgets.watchlist_columns import COLUMNS, measured_layout, moves_layout

    rng = random.Random(8)
    words = {
        "symbol": ["NVDA", "^SOX", "300766.SZ", "S001"],
        "last": ["99.99", "100.00", "1,234.50", "—", "7 symbols"],
        "change": ["-1.25", "+16.97", "-120.50", "—"],
        "pct": ["▼ -1.25%", "▲ +16.97%", "—"],
        "spark": ["", "▁▂▃▄▅▆▇█▇▆"],
        "range": ["99.50–101.20", "1,200.00–1,250.00", "—"],
        "volume": ["75.7M", "1.2B", "—"],
        "state": ["open", "closed", "pre", "post"],
        "age": ["0s", "12s", "⚠ stale 30m", "⚠ rate-limited 2m"],
        "note": ["", "涨停 LIMIT↑", "跌停↓ ×2"],
    }
    checked = 0
    for _ in range(400):
        rows = [{c.key: rng.choice(words[c.key]) for c in COLUMNS} for _ in range(6)]
        symbols, groups, room = ["NVDA", "300766.SZ"], ["AI chips"], rng.choice([60, 80, 120])
        short = rng.random() < 0.3
        widths, was_short, widest = measured_layout(rows, symbols, groups, room, short)
        row, column = rng.randrange(len(rows)), rng.choice(COLUMNS).key
        old, new = rows[row][column], rng.choice(words[column])
        rows[row][column] = new
        if not moves_layout(column, cell_len(old), cell_len(new), widest):
            assert measured_layout(rows, symbols, groups, room, short)[:2] == (widths, was_short)
            checked += 1
    assert checked > 100
