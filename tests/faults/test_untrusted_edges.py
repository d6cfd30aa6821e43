"""Issue 11, rows 2 and 3: text from every other edge is untrusted too.

Quote sources (a fake Yahoo on 127.0.0.1 through both live paths, and a recorded CSV),
the config's names and the errors that quote them, ``monitor check``, and what the
person types into the ``/`` filter.  Checked: the store (every text cell of the SQLite
file), plain and ``--json`` output, and the real app's rendered screen.
"""

from __future__ import annotations

import html
import io
import json
import random
import re
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from textual.widgets import Input

from monitor.cli.commands import Printer
from monitor.clock import ManualClock, WallClock
from monitor.config import ConfigError, LoadedConfig, parse_config_text
from monitor.engine import Engine
from monitor.quotes.yahoo import Backoff, YahooQuotes
from monitor.quotes.yahoo_live import YahooLiveQuotes
from monitor.ui.app import MonitorApp
from monitor.ui.screens.symbol_detail import SymbolDetail
from tests.cli_helpers import DAILY_CSV, json_lines, run_monitor, write_config
from tests.fake_yahoo import FakeYahoo, fake_async_session, fake_session, reset_yfinance
from tests.faults.kit import US_OPEN, config_text, open_engine, rss, rss_item

ESC = "\x1b"
# Everything a terminal could act on, or that reorders what a person reads.
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# What the issue found in a Yahoo answer: OSC 52 (set the clipboard), CSI 2J (clear the
# screen) and the 8-bit CSI U+009B.
HOSTILE_CURRENCY = "US\x1b]52;c;UFdORUQ=\x07\x1b[2J\x9b31m"
HOSTILE_NAME = "NVIDIA\x1b[2J Corp\u202egpj.exe\x9b1m"


def _clean(text: str, what: str) -> None:
    assert ESC not in text and not CONTROL.search(text), f"{what}: {text!r}"
    assert "52;c;" not in text and "\\u001b" not in text and "\\u009b" not in text, text


def stored_text(db: Path) -> str:
    """Every text value in every table of the SQLite file (and its WAL)."""
    found: list[str] = []
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            try:
                rows = conn.execute(f'SELECT * FROM "{table}"').fetchall()
            except sqlite3.DatabaseError:  # an FTS shadow table that cannot be read alone
                continue
            found += [v for row in rows for v in row if isinstance(v, str)]
    return "\n".join(found)


def screen(app: MonitorApp) -> tuple[str, str]:
    svg = app.export_screenshot()
    runs = re.findall(r">([^<]*)</text>", svg)
    return svg, html.unescape("".join(runs)).replace("\xa0", " ")


async def until(pilot, condition, tries: int = 600, why=lambda: None) -> None:
    for _ in range(tries):
        if condition():
            return
        await pilot.pause(0.05)
    assert condition(), why()


# ---- row 2: quote sources ------------------------------------------------------------


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(US_OPEN)


@pytest.fixture(params=["live", "yfinance"])
async def yahoo(request, fake: FakeYahoo, clock: ManualClock, tmp_path: Path) -> AsyncIterator:
    """Both Yahoo paths: the batch quote JSON (live) and yfinance's chart."""
    reset_yfinance(tmp_path / "yfinance")
    session = fake_session(fake)
    backoff = Backoff(base=60, cap=600, rng=random.Random(7))
    if request.param == "yfinance":
        yield YahooQuotes(clock=clock, cache_dir=tmp_path, session=session, backoff=backoff)
    else:
        live_session = fake_async_session(fake)
        source = YahooLiveQuotes(
            clock=clock,
            cache_dir=tmp_path,
            session=session,
            live_session=live_session,
            backoff=backoff,
        )
        yield source
        await source.aclose()
        await live_session.close()
    session.close()


async def test_issue11_row2_yahoo_currency_and_name_escapes_reach_neither_output_nor_store(
    fake, clock, yahoo, tmp_path
) -> None:
    fake.set_quote(
        "NVDA",
        price=118.42,
        prev_close=142.62,
        time=clock.now(),
        currency=HOSTILE_CURRENCY,
        name=HOSTILE_NAME,
    )
    engine, _ = await open_engine(tmp_path, config_text(), clock=clock, quote_source=yahoo)
    plain, as_json = io.StringIO(), io.StringIO()
    engine.subscribe(Printer(as_json=False, show_all=True, out=plain).event)
    engine.subscribe(Printer(as_json=True, show_all=True, out=as_json).event)
    try:
        await engine.poll_quotes()
        quote = engine.quotes()["NVDA"]
        assert quote.price == 118.42 and quote.currency == "US"
        assert quote.name is not None and quote.name.startswith("NVIDIA Corp")
        _clean(quote.name, "name")
    finally:
        await engine.stop()
    assert "118.42" in plain.getvalue() and "US" in plain.getvalue()
    _clean(plain.getvalue(), "plain output")
    lines = json_lines(as_json.getvalue())
    assert [q["currency"] for q in lines if q["type"] == "quote"] == ["US"]
    _clean(as_json.getvalue(), "--json output")
    _clean(stored_text(tmp_path / "m.db"), "the store")


async def test_issue11_row2_yahoo_currency_escapes_never_reach_the_symbol_view(
    fake, tmp_path
) -> None:
    fake.set_quote("NVDA", price=118.42, prev_close=142.62, currency=HOSTILE_CURRENCY)
    text = config_text() + "\n[settings.replay]\nspeed = 1\n"
    loaded = LoadedConfig(parse_config_text(text, tmp_path / "w.toml"), tmp_path / "w.toml", "x")
    reset_yfinance(tmp_path / "yfinance")
    session = fake_session(fake)

    async def factory() -> Engine:
        live = YahooLiveQuotes(
            clock=WallClock(),
            cache_dir=tmp_path,
            session=session,
            live_session=fake_async_session(fake),
        )
        engine = Engine(loaded, quote_source=live, database=tmp_path / "m.db", notify=False)
        await engine.open()
        return engine

    app = MonitorApp(factory)
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            await until(pilot, lambda: "118.42" in screen(app)[1], why=lambda: screen(app)[1])
            await pilot.press("1", "home", "down", "enter")  # the NVDA row
            await until(pilot, lambda: isinstance(app.screen, SymbolDetail))
            await until(pilot, lambda: "118.42 US" in screen(app)[1], why=lambda: screen(app)[1])
            svg, _ = screen(app)
            _clean(svg, "the symbol view")
    finally:
        session.close()


def test_issue11_row2_recorded_csv_currency_escapes_reach_neither_output_nor_store(
    tmp_path,
) -> None:
    hostile = DAILY_CSV.replace(",USD\n", f",{HOSTILE_CURRENCY}\n", 1)
    header, *rows = hostile.splitlines()
    rows[-1] = rows[-1].replace("USD", f"USD\u202e{HOSTILE_CURRENCY}")
    (tmp_path / "quotes.csv").write_text(
        "\n".join([header + ",name", *(r + f",{HOSTILE_NAME}" for r in rows)]) + "\n",
        encoding="utf-8",
    )
    write_config(
        tmp_path,
        '[settings]\nquote_source = "quotes.csv"\ndatabase = "m.db"\nnotify = ["terminal"]\n'
        '[watchlist]\nchips = ["NVDA", "^SOX"]\n[news]\nquery = ""\n',
    )
    for args in (("once", "--all"), ("once", "--all", "--json")):
        result = run_monitor(tmp_path, *args, "--config", "watchlist.toml")
        assert result.returncode == 0, result.stderr
        assert "128.99" in result.stdout, result.stdout
        _clean(result.stdout, " ".join(args))
        _clean(result.stderr, " ".join(args) + " stderr")
    quotes = [q for q in json_lines(result.stdout) if q["type"] == "quote"]
    assert {q["currency"] for q in quotes} <= {"USD", "US", "USDUS"}
    _clean(stored_text(tmp_path / "m.db"), "the store")


def test_issue11_row2_recorded_csv_errors_write_escapes_out(tmp_path) -> None:
    path = tmp_path / "quotes.csv"
    path.write_text(f"time,symbol,price,prev_close,evil{ESC}]52;c;QQ==\x07\n", encoding="utf-8")
    write_config(tmp_path, '[settings]\nquote_source = "quotes.csv"\n[watchlist]\nm = ["NVDA"]\n')
    result = run_monitor(tmp_path, "once", "--config", "watchlist.toml")
    assert result.returncode != 0
    assert "unknown column(s) evil\\x1b]52;c;qq==\\x07" in result.stderr, result.stderr
    _clean(result.stderr.replace("52;c;", ""), "the error")
    assert "Traceback" not in result.stderr


# ---- row 3: config names, check, errors ----------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        '[watchlist]\n"Chips \\u001b]52;c;QQ==\\u0007\\u009b31m" = ["NVDA"]\n',
        '[watchlist]\nm = ["NVDA"]\n[[alerts]]\nname = "x\\u001b[2J\\u202e"\nwhen = "NVDA"\n',
        '[watchlist]\nm = ["NVDA"]\n[settings]\n"k\\u001b[2J\\u009b" = 1\n',
        '[watchlist]\nm = ["NVDA"]\n[news]\nquery = "chips \\u001b[2J"\n',
        '[watchlist]\nm = ["NVDA"]\n[[news.feeds]]\nname = "a"\nurl = "https://e.com/\\u001b[2J"\n',
        '[watchlist]\nm = ["NVDA"]\n[[alerts]]\nname = "n"\nwhen = "news \\"a\\u001b[2J\\""\n',
        '[watchlist]\nm = ["NVDA"]\n\x1b[2J\x9b31m = 1\n',
    ],
    ids=["group", "rule", "key", "query", "url", "when", "toml-line"],
)
def test_issue11_row3_config_errors_write_escape_sequences_out(tmp_path, body) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config_text(body, tmp_path / "watchlist.toml")
    message = str(info.value)
    assert not CONTROL.search(message), repr(message)
    assert "\\x1b" in message or "control characters" in message, message
    write_config(tmp_path, body)
    result = run_monitor(tmp_path, "check", "--config", "watchlist.toml")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert not CONTROL.search(result.stderr + result.stdout), repr(result.stderr)


def test_issue11_row3_config_error_caret_points_at_the_column_after_an_escape(tmp_path) -> None:
    body = '[watchlist]\nm = ["NVDA"]\n\x1b[2J = 1\n'
    with pytest.raises(ConfigError) as info:
        parse_config_text(body, tmp_path / "w.toml")
    echo, caret = str(info.value).splitlines()[-2:]
    assert echo.strip() == "\\x1b[2J = 1" and caret.index("^") == echo.index("\\")


def test_issue11_row3_check_shows_markup_in_names_as_written(tmp_path) -> None:
    write_config(
        tmp_path,
        '[watchlist]\n"Chips [/]" = ["NVDA"]\n"[b red]X[/]" = ["AMD"]\n'
        '[news]\nquery = "chips OR [bold]"\n'
        '[[news.feeds]]\nname = "[@click=app.quit]"\nurl = "https://e.com/r?a=[/]"\n',
    )
    result = run_monitor(tmp_path, "check", "--config", "watchlist.toml")
    assert result.returncode == 0, result.stderr
    for shown in ("Chips [/]: NVDA", "[b red]X[/]: AMD", "news query: chips OR [bold]"):
        assert shown in result.stdout
    assert "[@click=app.quit]: https://e.com/r?a=[/]" in result.stdout
    _clean(result.stdout, "check")


def _app_with_groups(tmp: Path, groups: dict[str, list[str]], feed_url: str | None = None):
    (tmp / "quotes.csv").write_text(DAILY_CSV, encoding="utf-8")
    watchlist = "".join(
        f"{json.dumps(name)} = {json.dumps(symbols)}\n" for name, symbols in groups.items()
    )
    feeds = f'[[news.feeds]]\nname = "wire"\nurl = "{feed_url}"\n' if feed_url else ""
    text = (
        '[settings]\nquote_source = "quotes.csv"\ndatabase = "m.db"\nnotify = ["terminal"]\n'
        f"[settings.replay]\nspeed = 100000\n[watchlist]\n{watchlist}"
        f'[news]\nquery = ""\n{feeds}'
    )
    path = write_config(tmp, text)
    loaded = LoadedConfig(parse_config_text(text, path), path, "--config")

    async def factory() -> Engine:
        engine = Engine(loaded)
        await engine.open()
        return engine

    return MonitorApp(factory)


async def test_issue11_row3_markup_group_names_survive_g(tmp_path) -> None:
    app = _app_with_groups(
        tmp_path, {"Chips [/]": ["NVDA"], "[b red]X[/]": ["^SOX"], "[@click=app.quit]": ["NVDA"]}
    )
    async with app.run_test(size=(160, 48)) as pilot:
        await until(pilot, lambda: app.engine is not None and "NVDA" in screen(app)[1])
        for expected in ("Chips [/]", "[b red]X[/]", "[@click=app.quit]"):
            await pilot.press("g")  # one group at a time: its name goes into the title
            await pilot.pause()
            assert app.is_running
            assert app.watchlist.group_view == expected
            _, text = screen(app)
            assert f"Watchlist · {expected}" in text, text
        title = app.watchlist._border_title
        assert title is not None and not title.spans  # shown as typed, not styled
        await pilot.press("g")  # back to every group
        assert app.watchlist.group_view is None and app.is_running


async def test_issue11_row3_typed_filter_is_text_not_markup(tmp_path, feed_server) -> None:
    feed_server.serve(
        "/wire",
        rss(
            [
                rss_item("Chips [/] rally as [b red]X[/] tops", guid="a"),
                rss_item("Other news about memory", guid="b"),
            ]
        ),
    )
    app = _app_with_groups(tmp_path, {"chips": ["NVDA"]}, feed_server.url("/wire"))
    async with app.run_test(size=(160, 48)) as pilot:
        await until(pilot, lambda: app.engine is not None and len(app.headlines.order) == 2)
        await pilot.press("2", "slash")
        box = app.headlines.query_one(Input)
        for typed in ("[b red]X[/]", "[/]"):
            box.value = ""
            await pilot.press(*typed)
            shown = f"filter: {typed} (1)"
            await until(
                pilot,
                lambda shown=shown: shown in screen(app)[1],
                why=lambda: (screen(app)[1], app.headlines.order),
            )
            assert len(app.headlines.order) == 1 and app.is_running
            title = app.headlines._border_title
            assert title is not None and not title.spans  # "[b red]" did not make it bold
        box.value = f"chips{ESC}[2J{ESC}]52;c;QQ==\x07\u202e"  # pasted escape sequences
        await until(pilot, lambda: "filter: chips (1)" in screen(app)[1])
        svg, _ = screen(app)
        _clean(svg, "the screen")
