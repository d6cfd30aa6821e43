"""The lines a table paints are freed by reference counting when they are replaced,
not left as reference cycles for the garbage collector; Strip's answers are Textual's."""

from __future__ import annotations

import gc
import random

from rich.segment import Segment
from rich.style import Style
from textual.cache import LRUCache
from textual.strip import Strip

import monitor.ui.app  # noqa: F401  (installs monitor.ui.strips, as the app does)
from monitor.ui import strips
from monitor.ui.widgets.cell_table import CellTable
from tests.ui.test_cell_table import COLUMNS, ROWS, TableApp, _value

WORDS = ["a", "bc", "def", "中文", "€", " ", "ghij", "深度求索"]
STYLES = [None, Style(bold=True), Style(color="red")]


def _strip(rng: random.Random) -> Strip:
    segments = [
        Segment("".join(rng.choices(WORDS, k=rng.randint(1, 3))), rng.choice(STYLES))
        for _ in range(rng.randint(0, 5))
    ]
    return Strip(segments)


def _same(a: Strip, b: Strip) -> bool:
    return list(a) == list(b) and a.cell_length == b.cell_length


def test_divide_and_crop_extend_answer_as_textual_does() -> None:
    rng = random.Random(14)
    for _ in range(3000):
        line = _strip(rng)
        length = line.cell_length
        cuts = sorted({rng.randint(0, length + 3) for _ in range(rng.randint(1, 4))})
        if rng.random() < 0.3:
            cuts = [length]  # the whole line: the case answered here
        ours, theirs = line.divide(iter(cuts)), strips._divide(_strip_copy(line), cuts)
        assert len(ours) == len(theirs) and all(map(_same, ours, theirs)), (line, cuts)
        start, end = rng.randint(-2, length + 2), rng.randint(0, length + 4)
        if rng.random() < 0.3:
            start, end = 0, length
        style = rng.choice(STYLES)
        expected = strips._crop_extend(_strip_copy(line), start, end, style)
        assert _same(line.crop_extend(start, end, style), expected), (line, start, end)


def _strip_copy(line: Strip) -> Strip:
    return Strip(list(line), line.cell_length)


def test_a_strip_never_caches_itself() -> None:
    line = Strip([Segment("NVDA 118.42 -16.97%")])
    length = line.cell_length
    assert line.divide([length]) == [line]
    assert line.crop_extend(0, length, None) is line
    cached = [*line._divide_cache._cache.values(), *line._crop_extend_cache._cache.values()]
    assert all(value is not line and line not in value for value in cached)  # type: ignore[operator]


def test_a_cleared_lru_cache_leaves_no_cycle() -> None:
    cache: LRUCache[int, list[str]] = LRUCache(8)
    for key in range(5):
        cache.set(key, [f"line {key}"])
    gc.collect()
    gc.disable()
    try:
        before = len(gc.get_objects())
        cache.clear()
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        left = [o for o in gc.garbage if isinstance(o, list) and len(o) in (0, 4)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert left == [] and len(cache) == 0
    assert cache.get(1) is None and len(gc.get_objects()) <= before


async def test_the_lines_a_busy_table_paints_are_freed_without_the_collector() -> None:
    app = TableApp()
    async with app.run_test(size=(60, 16)) as pilot:
        table = app.query_one(CellTable)
        await pilot.pause()
        gc.collect()
        gc.disable()
        gc.set_debug(gc.DEBUG_SAVEALL)
        try:
            for tick in range(1, 25):  # a second of a moving market, 24 times
                table.set_cells([(r, c, _value(r, c, tick)) for r in ROWS for c in COLUMNS])
                await pilot.pause()
            gc.collect()
            painted = [o for o in gc.garbage if isinstance(o, Strip)]
        finally:
            gc.set_debug(0)
            gc.garbage.clear()
            gc.enable()
        assert table.get_cell("r0", "price").plain == "r0:price:24"
    assert painted == [], f"{len(painted)} painted lines were left to the collector"
