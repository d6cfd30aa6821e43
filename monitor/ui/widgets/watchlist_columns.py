"""The watchlist's columns: which are shown and how wide, from what the cells hold.

The symbol, the price, the change % and the first word of the quote's state ("⚠
unreachable") are never cut; the market state and an A-share's limit badge come next,
then the sparkline, the volume, the absolute change and the day's range give way, in
that order (``monitor.ui.columns``).  How old a quote is comes before the badge; the
symbol column keeps room for a group's name ("▾ ETF & crypto") after the volume, before
the change and the range, and takes what is left over for a longer one.

The cells of a group's header row, and of a column shown anew, are made here too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from rich.cells import cell_len
from rich.text import Text

from monitor.ui.columns import Column, fit
from monitor.ui.widgets.quote_cells import SPARK_WIDTH, cell_key

COLUMNS = [
    Column("symbol", "symbol", priority=0, flexible=True),
    Column("last", "last", priority=0),
    Column("change", "chg", priority=6),
    Column("pct", "chg %", priority=0),
    Column("spark", "today", priority=3),
    Column("range", "day range", priority=7),
    Column("volume", "vol", priority=5),
    Column("state", "mkt", priority=2),
    Column("age", "age", priority=0),
    Column("note", "", priority=1),
]
HEADERS = {c.key: c.header for c in COLUMNS}
#: '涨停 LIMIT↑' is this much wider than the short '涨停↑'
BADGE_SHORTENING = cell_len("涨停 LIMIT↑") - cell_len("涨停↑")
HEADER_PREFIX = "\x00group:"  # row keys of group headers cannot clash with a symbol
#: the mark in front of a symbol whose alert just fired
FLASH_MARK = "‼ "
#: this much of a group's name ("▾ ETF & crypto") is kept before lesser columns show:
#: those after the volume
GROUP_NAME_KEPT = 16
GROUP_NAME_PRIORITY = 5


def first_word(text: str) -> str:
    """A state's first word, with its ⚠: '⚠ unreachable 5m' -> '⚠ unreachable'."""
    words = text.split()
    return " ".join(words[:2]) if words[:1] == ["⚠"] else " ".join(words[:1])


def _head_width(text: str) -> int:
    """The first word whole, with room for the "…" of what follows it."""
    head = first_word(text)
    return cell_len(head) + (1 if head != text else 0)


def layout(
    plain: Iterable[Mapping[str, str]],
    symbols: Iterable[str],
    groups: Iterable[str],
    room: int,
    short_badges: bool = False,
) -> tuple[dict[str, int], bool]:
    """The shown columns' widths for quote rows whose cells read ``plain`` (their limit
    badges in the short form when ``short_badges``), and whether the badges must be
    short to fit."""
    widths, short, _ = measured_layout(plain, symbols, groups, room, short_badges)
    return widths, short


def measured_layout(
    plain: Iterable[Mapping[str, str]],
    symbols: Iterable[str],
    groups: Iterable[str],
    room: int,
    short_badges: bool = False,
) -> tuple[dict[str, int], bool, dict[str, int]]:
    """``layout``, and each column's widest cell it was laid out for."""
    rows = list(plain)
    widest = {c.key: max((cell_len(r.get(c.key, "")) for r in rows), default=0) for c in COLUMNS}
    natural = dict(widest)
    if short_badges and natural["note"]:
        natural["note"] += BADGE_SHORTENING  # as wide as the long form would be
    longest_symbol = max((cell_len(s) for s in symbols), default=0)
    natural["symbol"] = longest_symbol + cell_len(FLASH_MARK)  # a flash never cuts it
    if natural["spark"]:
        natural["spark"] = SPARK_WIDTH  # the day's line is drawn to its full width
    heads = max((_head_width(r.get("age", "")) for r in rows), default=0)
    header = max((cell_len(f"▾ {g}") for g in groups), default=0)
    columns = [_sized(c, natural, heads, header) for c in COLUMNS]
    widths = fit(columns, room, natural)
    return widths, 0 < widths.get("note", 0) < natural["note"], widest


def pane_layout(
    shown: Mapping[str, Mapping[str, tuple[Any, ...]]],
    groups: Mapping[str, list[str]],
    room: int,
    short_badges: bool,
) -> tuple[dict[str, int], bool, dict[str, int]]:
    """The columns that fit ``room``, from what the rows show (``shown``: each row's
    ``cell_key`` per column), whether the limit badges must be short, and each
    column's widest cell (a cell may change width within it: the layout stays)."""
    symbols = {s for group in groups.values() for s in group}
    plain = [
        {column: look[0] for column, look in cells.items()}
        for key, cells in shown.items()
        if not key.startswith(HEADER_PREFIX)
    ]
    plain += [{"last": symbol_count(len(group))} for group in groups.values()]
    return measured_layout(plain, symbols, groups, room, short_badges)


#: columns whose layout reads more than their widest cell (a state's first word, the
#: badges' form): any change of a cell's width lays them out again
READ_WHOLE = frozenset({"age", "note"})


def look_moves_layout(
    column: str, old: tuple[Any, ...] | None, new: tuple[Any, ...], widest: Mapping[str, int]
) -> bool:
    """``moves_layout`` for a cell that looked ``old`` (``cell_key``; None: new) and
    looks ``new``."""
    return old is None or moves_layout(column, cell_len(old[0]), cell_len(new[0]), widest)


def moves_layout(column: str, old: int, new: int, widest: Mapping[str, int]) -> bool:
    """Whether a cell of ``column`` going from ``old`` to ``new`` cells wide may change
    the layout made for these ``widest`` cells: it grows past them, or it was (one of)
    the widest and shrinks."""
    top = widest.get(column)
    return old != new and (column in READ_WHOLE or top is None or new > top or old >= top)


def _sized(column: Column, natural: Mapping[str, int], heads: int, header: int) -> Column:
    key = column.key
    if key == "age":  # the first word always; the rest (how old) before the badge shows
        return Column(key, column.header, minimum=heads, ideal=natural[key], ideal_priority=1)
    if key == "note" and natural[key]:
        shortest = natural[key] - BADGE_SHORTENING
        return Column(key, column.header, minimum=shortest, priority=column.priority)
    if key == "symbol":  # a group's name is read before the less needed columns show
        ideal = min(header, GROUP_NAME_KEPT)
        return Column(
            key,
            column.header,
            flexible=True,
            cap=max(natural[key], header),
            ideal=ideal,
            ideal_priority=GROUP_NAME_PRIORITY,
        )
    return column


def columns_added(
    new: list[str], rows: Mapping[str, dict[str, Text]], shown: dict[str, dict[str, Any]]
) -> dict[str, tuple[Text, dict[str, Text]]]:
    """The columns shown anew, each with its header and its cell in every row (``rows``:
    each row's cells now, noted in ``shown`` as what the row shows)."""
    added = {}
    for column in new:
        for key, cells in rows.items():
            shown[key][column] = cell_key(cells[column])
        label = Text(HEADERS[column], style="bold")
        added[column] = (label, {key: cells[column] for key, cells in rows.items()})
    return added


def header_cells(group: str, collapsed: bool, count: int) -> dict[str, Text]:
    """The cells of a group's header row."""
    cells = {c.key: Text("") for c in COLUMNS}
    cells["symbol"] = Text(
        f"{'▸' if collapsed else '▾'} {group}",
        style="bold underline",
        no_wrap=True,
        overflow="ellipsis",
    )
    cells["last"] = Text(symbol_count(count), style="dim")
    return cells


def symbol_count(count: int) -> str:
    """A group's size, as its header row says it (in the price column)."""
    return f"{count} symbol{'' if count == 1 else 's'}"
