"""CellTable repaints the cells a batch changes and nothing else; PerFrame hands the
items of one frame on once, the newest per key."""

from __future__ import annotations

from typing import Any

from rich.style import Style
from rich.text import Text
from textual.app import App, ComposeResult
from textual.geometry import Region

from monitor.ui.widgets.cell_table import CellTable, PerFrame

ROWS = [f"r{i}" for i in range(12)]
COLUMNS = ["name", "price", "change"]


def _value(row: str, column: str, tick: int) -> Text:
    return Text(f"{row}:{column}:{tick}")


class TableApp(App[None]):
    def __init__(self, tick: int = 0) -> None:
        super().__init__()
        self.tick = tick

    def compose(self) -> ComposeResult:
        yield CellTable()

    def on_mount(self) -> None:
        table = self.query_one(CellTable)
        for column in COLUMNS:
            table.add_column(column, key=column, width=14)
        for row in ROWS:
            table.add_row(*(_value(row, c, self.tick) for c in COLUMNS), key=row)


def _lines(table: CellTable) -> list[str]:
    return [strip.text for strip in table.render_lines(Region(0, 0, *table.size))]


async def test_changed_cells_are_shown_and_the_other_cells_are_not_rendered_again() -> None:
    app = TableApp()
    async with app.run_test(size=(60, 16)) as pilot:
        table = app.query_one(CellTable)
        await pilot.pause()
        table.refresh()  # every cell rendered once at the table's settled size
        await pilot.pause()
        rendered: list[tuple[int, int]] = []
        real = table._render_cell

        def spy(row_index: int, column_index: int, *args: Any, **kwargs: Any) -> Any:
            cached = set(table._cell_render_cache.keys())
            lines = real(row_index, column_index, *args, **kwargs)
            if set(table._cell_render_cache.keys()) - cached:  # rendered, not from cache
                rendered.append((row_index, column_index))
            return lines

        table._render_cell = spy  # type: ignore[method-assign]
        changed = {("r2", "price"), ("r5", "change")}
        table.set_cells((row, column, _value(row, column, 1)) for row, column in changed)
        await pilot.pause()
        shown = _lines(table)

    assert set(rendered) == {(2, 1), (5, 2)}, "only the two changed cells are rendered again"
    expected = TableApp()
    async with expected.run_test(size=(60, 16)) as pilot:
        fresh = expected.query_one(CellTable)
        for row, column in changed:
            fresh.update_cell(row, column, _value(row, column, 1))
        await pilot.pause()
        assert shown == _lines(fresh), "the same lines as a table updated the usual way"
    assert any("r2:price:1" in line for line in shown)
    assert any("r5:change:1" in line for line in shown)


async def test_per_frame_applies_the_newest_of_each_key_once_after_the_frame() -> None:
    app = TableApp()
    applied: list[dict[str, int]] = []
    async with app.run_test(size=(60, 16)) as pilot:
        batches = PerFrame[str, int](app.query_one(CellTable), applied.append)
        batches.add({"a": 1, "b": 1})
        batches.add({"a": 2})
        batches.add({})
        assert applied == [], "nothing before the frame"
        await pilot.pause()
        await pilot.pause()
        batches.add({"c": 3})
        await pilot.pause()
        await pilot.pause()
    assert applied == [{"a": 2, "b": 1}, {"c": 3}]


async def test_placed_rows_show_as_a_table_built_in_that_order() -> None:
    app = TableApp()
    order = ["new0", *ROWS[:5], "new1", *ROWS[7:]]  # two added, r5 and r6 dropped
    async with app.run_test(size=(60, 16)) as pilot:
        table = app.query_one(CellTable)
        table.move_cursor(row=3)  # on r3
        await pilot.pause()
        added = {key: [_value(key, c, 0) for c in COLUMNS] for key in ("new0", "new1")}
        table.place_rows(order, added)
        await pilot.pause()
        shown = _lines(table)
        keys = [row.key.value for row in table.ordered_rows]
        height = table.virtual_size.height
    assert keys == order
    expected = TableApp()
    async with expected.run_test(size=(60, 16)) as pilot:
        fresh = expected.query_one(CellTable)
        fresh.clear()
        for key in order:
            fresh.add_row(*(_value(key, c, 0) for c in COLUMNS), key=key)
        fresh.move_cursor(row=3)
        await pilot.pause()
        assert shown == _lines(fresh), "the same lines as a table built in that order"
        assert height == fresh.virtual_size.height == len(order) + 1  # and its header


#: cells of every kind a pane shows: styled, with spans, right and centre justified, cut
#: with an ellipsis, wide characters, empty, wider than their column
CELLS = [
    Text("NVDA", style="bold"),
    Text("118.42", justify="right"),
    Text.assemble(("▼ ", "red"), ("-16.97%", "bold red")),
    Text("涨停 LIMIT↑", style="bold reverse green"),
    Text("⚠ unreachable 5m", style="bold yellow", no_wrap=True, overflow="ellipsis"),
    Text("", style="dim"),
    Text("a headline far wider than its column, cut", overflow="ellipsis"),
    Text("mid", justify="center", style="italic"),
]


async def test_a_text_cell_is_rendered_as_datatable_renders_it() -> None:
    from textual.widgets import DataTable

    class CellsApp(App[None]):
        def compose(self) -> ComposeResult:
            yield CellTable(cursor_type="row")

        def on_mount(self) -> None:
            table = self.query_one(CellTable)
            for i, width in enumerate((4, 9, 12)):
                table.add_column(f"c{i}", key=f"c{i}", width=width)
            for i, cell in enumerate(CELLS):
                table.add_row(cell, CELLS[(i + 3) % len(CELLS)], cell, key=f"r{i}")

    app = CellsApp()
    async with app.run_test(size=(60, 16)) as pilot:
        table = app.query_one(CellTable)
        table.move_cursor(row=2)
        await pilot.pause()
        compared = 0
        for row in range(len(CELLS)):
            for column in range(3):
                for cursor, hover in ((False, False), (True, False), (False, True)):
                    width = table.ordered_columns[column].get_render_width(table)
                    base = table.rich_style
                    table._cell_render_cache.clear()
                    fast = table._render_cell(row, column, base, width, cursor, hover)
                    table._cell_render_cache.clear()
                    usual = DataTable._render_cell(table, row, column, base, width, cursor, hover)
                    assert fast == usual, (row, column, cursor, hover)
                    compared += 1
        assert compared == len(CELLS) * 9


async def test_a_cut_wide_title_keeps_its_ellipsis_beside_the_last_character() -> None:
    """Rich leaves a blank where half a Chinese character would go ("恶意攻 …"); the
    table puts the "…" right after the characters kept and the blank at the end."""
    title = "恶意攻击导致注册受限"

    class WideApp(App[None]):
        def compose(self) -> ComposeResult:
            yield CellTable()

        def on_mount(self) -> None:
            table = self.query_one(CellTable)
            table.add_column("odd", key="odd", width=8)
            table.add_column("even", key="even", width=7)
            table.add_column("ascii", key="ascii", width=8)
            cut = Text(title, no_wrap=True, overflow="ellipsis")
            ascii_cut = Text("DeepSeek shock", no_wrap=True, overflow="ellipsis")
            table.add_row(cut, cut.copy(), ascii_cut, key="r")

    app = WideApp()
    async with app.run_test(size=(40, 6)) as pilot:
        await pilot.pause()
        table = app.query_one(CellTable)
        row = _lines(table)[1]
        assert " 恶意攻…  " in row  # 8 cells: 3 characters, "…", a blank; padding around
        assert "恶意攻 …" not in row
        assert " 恶意攻… " in row  # 7 cells: the cut falls between characters anyway
        assert " DeepSee… " in row


class _SizedApp(App[None]):
    """A CellTable as tall as its screen gives it, and one as tall as its rows."""

    CSS = "#fixed { height: 1fr; } #auto { height: auto; }"

    def compose(self) -> ComposeResult:
        yield CellTable(id="fixed")
        yield CellTable(id="auto")


async def test_a_table_growing_moves_its_scrollbars_and_lays_the_screen_out_only_when_needed(
    monkeypatch,
) -> None:
    """A table whose size does not follow its content lays nothing else out when rows
    or a wider column come: its scrollbars follow (and a scrollbar that appears lays
    the screen out, as one whose size follows its rows always does)."""
    from textual.screen import Screen

    layouts: list[str] = []
    real = Screen._refresh_layout

    def counted(self: Screen[Any], *args: Any, **kwargs: Any) -> Any:
        layouts.append("layout")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Screen, "_refresh_layout", counted)
    app = _SizedApp()
    async with app.run_test(size=(40, 24)) as pilot:
        fixed, auto = app.query_one("#fixed", CellTable), app.query_one("#auto", CellTable)
        fixed.add_column("name", key="name", width=8)
        auto.add_column("name", key="name", width=8)
        fixed.add_row(Text("a"), key="a")
        await pilot.pause()
        layouts.clear()
        fixed.add_row(Text("b"), key="b")
        fixed.columns[next(iter(fixed.columns))].width = 12
        fixed._require_update_dimensions = True
        await pilot.pause()
        await pilot.pause()
        assert fixed.virtual_size.height == 3 and fixed.virtual_size.width == 14
        assert layouts == [], "a wider column and a row more: the screen is not laid out"
        assert not fixed.show_vertical_scrollbar
        for n in range(30):  # more rows than the table is tall
            fixed.add_row(Text(str(n)), key=f"n{n}")
        await pilot.pause()
        await pilot.pause()
        assert fixed.show_vertical_scrollbar and layouts, "a scrollbar appears: laid out"
        assert fixed.vertical_scrollbar.window_virtual_size == fixed.virtual_size.height
        assert (
            fixed.max_scroll_y == fixed.virtual_size.height - fixed.scrollable_content_region.height
        )
        layouts.clear()
        auto.add_row(Text("x"), key="x")
        await pilot.pause()
        await pilot.pause()
        assert layouts and auto.size.height == auto.virtual_size.height, "its size follows its rows"


async def test_the_regions_of_rows_are_datatables() -> None:
    app = TableApp()
    async with app.run_test(size=(60, 16)) as pilot:
        table = app.query_one(CellTable)
        table.add_row(Text("tall"), Text("two\\nlines"), Text(""), key="tall", height=2)
        table.add_row(*(Text("x") for _ in COLUMNS), key="after")
        await pilot.pause()
        keys = [row.key for row in table.ordered_rows]
        for some in ({keys[0]}, {keys[3], keys[-1]}, set(keys), {keys[-2]}):
            indexes = sorted(table._row_locations.get(key) for key in some)
            assert table.row_regions(some) == [table._get_row_region(i) for i in indexes]
        for show_header in (False, True):
            table.show_header = show_header
            everything = set(keys)
            assert table.row_regions(everything) == [
                table._get_row_region(i) for i in range(len(keys))
            ]


def test_a_fitting_cell_is_laid_out_in_the_segments_rich_gives_it() -> None:
    """The one-step layout of a cell that fits (``cell_lines``) against Rich's own, on
    random cells: styles and spans, justified every way, wide characters, blanks at the
    ends, cells wider than their column (those go Rich's way: the same by definition)."""
    import random

    from rich.console import Console
    from rich.segment import Segment

    from monitor.ui.widgets.cell_lines import padded_line

    rng = random.Random(14)
    console = Console(width=80, color_system="truecolor", force_terminal=True)
    words = ["NVDA", "118.42", "▼", "-16.97%", "涨停", "DeepSeek", " ", "  ", "x", "恶意攻击", ""]
    styles = ["", "bold", "red", "bold red", "dim italic", "reverse green", "on blue"]
    fast_path = 0
    for _ in range(3000):
        plain = "".join(rng.choice(words) for _ in range(rng.randint(0, 4)))
        cell = Text(
            plain,
            style=rng.choice(styles),
            justify=rng.choice([None, "default", "left", "right", "center"]),
            overflow=rng.choice([None, "ellipsis", "crop", "fold"]),
            no_wrap=rng.choice([None, True]),
        )
        for _ in range(rng.randint(0, 3)):
            if plain:
                start = rng.randrange(len(plain))
                cell.stylize(rng.choice(styles[1:]), start, rng.randint(start, len(plain)))
        width = rng.randint(1, 20)
        options = console.options.update_dimensions(width, 1)
        fast = padded_line(console, options, cell, 1, Style.null(), Style.null())
        rich_line = console.render_lines(
            cell, options.update(no_wrap=True), style=Style.null(), pad=True
        )[0]
        blank = Segment(" ", Style.null())
        if cell.cell_len <= width and "\n" not in plain:
            assert fast == [blank, *rich_line, blank], (plain, cell.justify, width)
            fast_path += cell.justify in (None, "default", "right")
    assert fast_path > 500


#: a cell with its own colours (the cursor's colours win over them, or not, as the
#: table's cursor priorities say)
BACKED = Text.assemble(("fg", "red on blue"), " plain")


async def test_a_line_is_rendered_as_datatable_renders_it() -> None:
    """A whole line of a row (its cells and the blank past them) while the table
    paints, against DataTable's own, on random tables: header, zebra stripes, every
    cursor type, cursor and hover anywhere, the cursor hidden, each theme's styles."""
    import random
    from functools import partial

    from textual.coordinate import Coordinate
    from textual.widgets import DataTable

    from monitor.ui.widgets.cell_lines import Paint

    rng = random.Random(7)

    class LinesApp(App[None]):
        def compose(self) -> ComposeResult:
            yield CellTable()

    app = LinesApp()
    compared = 0
    async with app.run_test(size=(70, 20)) as pilot:
        table = app.query_one(CellTable)
        for round_ in range(40):
            table.clear(columns=True)
            for i in range(rng.randint(1, 5)):
                table.add_column(f"c{i}", key=f"c{i}", width=rng.choice([None, 1, 3, 8, 14]))
            for r in range(rng.randint(1, 8)):
                cells = [rng.choice([*CELLS, BACKED, "plain", 42]) for _ in table.columns]
                table.add_row(*cells, key=f"r{r}", height=rng.choice([1, 1, 1, 2]))
            table.cursor_type = rng.choice(["row", "cell", "column", "none"])
            table.zebra_stripes = rng.random() < 0.5
            table.show_cursor = rng.random() < 0.8
            table.show_header = rng.random() < 0.8
            table.cell_padding = rng.choice([0, 1, 2])
            table.cursor_foreground_priority = rng.choice(["css", "renderable"])
            table.cursor_background_priority = rng.choice(["css", "renderable"])
            if round_ % 8 == 7:
                app.theme = rng.choice(["textual-light", "nord", "textual-dark"])
            await pilot.pause()
            base = table.rich_style
            rows = [row.key for row in table.ordered_rows]
            for row_key in [table._header_row_key, *rows]:
                for line_no in range(table.get_row_height(row_key)):
                    cursor = Coordinate(rng.randrange(len(rows)), rng.randrange(len(table.columns)))
                    hover = Coordinate(rng.randrange(len(rows)), rng.randrange(len(table.columns)))
                    table._show_hover_cursor = rng.random() < 0.5
                    table._clear_caches()
                    table._paint = Paint(table)
                    fast = table._render_line_in_row(row_key, line_no, base, cursor, hover)
                    table._paint = None
                    table._clear_caches()
                    table._render_cell = partial(DataTable._render_cell, table)  # type: ignore[method-assign]
                    usual = DataTable._render_line_in_row(
                        table, row_key, line_no, base, cursor, hover
                    )
                    del table._render_cell
                    assert fast == usual, (round_, row_key, line_no, cursor, hover)
                    compared += 1
    assert compared > 150


def test_merged_regions_cover_the_same_lines_in_fewer_regions() -> None:
    import random
    from itertools import pairwise

    from monitor.ui.widgets.cell_table import merged

    rng = random.Random(3)
    for _ in range(200):
        y, regions = 0, []
        for _ in range(rng.randint(0, 30)):
            height = rng.choice([1, 1, 2])
            if rng.random() < 0.7:
                regions.append(Region(0, y, 40, height))
            y += height
        out = merged(regions)

        def lines(rs: list[Region]) -> list[int]:
            return sorted(line for r in rs for line in range(r.y, r.bottom))

        assert lines(out) == lines(regions)
        assert all(r.x == 0 and r.width == 40 for r in out)
        assert all(a.bottom < b.y for a, b in pairwise(out)), "runs are joined"
    assert merged([Region(0, 0, 40, 1), Region(2, 1, 38, 1)]) == [
        Region(0, 0, 40, 1),
        Region(2, 1, 38, 1),
    ]


async def test_cells_rewritten_again_and_again_never_show_a_stale_rendering() -> None:
    """Cells rewritten at random, with the cursor moving, the mouse over a row, the
    focus coming and going, rows placed and columns set: what the table paints is
    what it paints with every cache emptied."""
    import random

    rng = random.Random(11)
    app = TableApp()
    async with app.run_test(size=(60, 16)) as pilot:
        table = app.query_one(CellTable)
        await pilot.pause()
        for step in range(60):
            action = rng.random()
            if action < 0.5:
                changes = [
                    (
                        rng.choice(ROWS),
                        rng.choice(COLUMNS),
                        _value("x", str(step), rng.randint(0, 9)),
                    )
                    for _ in range(rng.randint(1, 6))
                ]
                table.set_cells(changes)
            elif action < 0.65:
                table.move_cursor(row=rng.randrange(len(ROWS)))
            elif action < 0.75:
                table.hover_coordinate = table.hover_coordinate._replace(row=rng.randrange(12))
            elif action < 0.85:
                (table.blur if table.has_focus else table.focus)()
            elif action < 0.93:
                order = rng.sample(ROWS, len(ROWS))
                table.place_rows(order, {})
            else:
                table.set_columns({c: rng.choice([8, 14]) for c in COLUMNS}, {})
            await pilot.pause()
            shown = _lines(table)
            table._clear_caches()
            table.refresh()
            assert shown == _lines(table), step
