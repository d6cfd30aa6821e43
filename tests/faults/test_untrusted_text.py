"""Rows 13-15: headlines are untrusted input that ends up on a terminal.

A hostile feed (markup, escape sequences, controls, bidi overrides, dangerous links) is
served on 127.0.0.1 and read by the real engine.  Checked: the store, the JSON output,
the desktop notification text, and the real app's rendered screen.
"""

from __future__ import annotations

import html
import io
import json
import re
import webbrowser
from pathlib import Path

import pytest

from monitor.cli.printer import Printer
from monitor.clock import ManualClock
from monitor.config import LoadedConfig, parse_config_text
from monitor.engine import Engine
from monitor.notify.desktop import notification_body, notification_title
from monitor.notify.payload import alert_payload
from monitor.ui.app import MonitorApp
from monitor.ui.screens.confirm_open import ConfirmOpen
from monitor.ui.screens.headline_detail import HeadlineDetail
from tests.cli_helpers import DAILY_CSV
from tests.faults.kit import US_OPEN, config_text, open_engine

ESC = "\x1b"
# Everything a terminal could act on, or that reorders what a person reads.
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
MARKUP = ["[bold]", "[link=https://x]", "[@click=app.quit]", "[/]", "<b>"]

CLEAR = "\x1b[2J"
OSC52 = "\x1b]52;c;SGVsbG8=\x07"
OSC8 = "\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\"
C1 = "\x9b31m"
BIDI = "\u202e"


def _hostile_feed() -> bytes:
    """Raw control bytes make the XML ill-formed: the loose parser keeps them, which
    is what a sloppy real feed gives."""
    items = [
        # row 13: markup-like text, a double-escaped tag, an escaped ampersand
        (
            "[bold]Bold[/bold] [link=https://x]Link[/link] [@click=app.quit]Quit[/] "
            "&amp;lt;b&amp;gt;tag AT&amp;amp;T chips",
            "https://example.com/markup",
            "Plain",
        ),
        # row 14: escape sequences in title, summary and link
        (
            f"Clear{CLEAR} copy{OSC52} link{OSC8} bell\x07 c1{C1} bidi{BIDI}gpj.exe chips",
            f"https://example.com/esc{ESC}[2J",
            f"summary {OSC52} {CLEAR} {C1}",
        ),
        # row 15: links nobody should open
        ("Javascript link chips", "javascript:alert(document.cookie)", ""),
        ("File link chips", "file:///etc/passwd", ""),
        ("Data link chips", "data:text/html;base64,PHNjcmlwdD4=", ""),
        ("IDN link chips", "https://ex\u0430mple.com/a", ""),
        ("Bidi link chips", f"https://example.com/{BIDI}gpj.exe", ""),
        ("Userinfo link chips", "https://bank.example@evil.example/", ""),
    ]
    body = "".join(
        f"<item><title>{t}</title><link>{link}</link><guid>g{i}</guid>"
        f"<source url='https://x'>Outlet{OSC8}{CLEAR}</source>"
        f"<description>{s}</description></item>"
        for i, (t, link, s) in enumerate(items)
    )
    return (
        f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
        f"<title>Feed{CLEAR}{OSC52}name</title>{body}</channel></rss>"
    ).encode()


def _all_text(headline) -> str:
    outlets = " ".join(f"{o.source} {o.link}" for o in headline.outlets)
    return f"{headline.title}\n{headline.summary}\n{headline.link}\n{headline.source}\n{outlets}"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(US_OPEN)


async def test_rows13_15_stored_json_and_notification_text_are_inert(
    feed_server, clock, tmp_path
) -> None:
    feed_server.serve("/evil", _hostile_feed())
    rules = [("quit headline", 'news "quit" count >= 1 within 1h')]
    text = config_text(feeds=[("evil", feed_server.url("/evil"))], rules=rules)
    engine, events = await open_engine(tmp_path, text, clock=clock)
    out = io.StringIO()
    engine.subscribe(Printer(as_json=True, show_all=True, out=out).event)
    try:
        await engine.poll_news(force=True)
        stored = await engine.recent_headlines(limit=100, matched_only=False)
        assert len(stored) == 8
        for h in stored:  # row 14: stripped before storage
            assert not CONTROL.search(_all_text(h)), repr(_all_text(h))
        by_title = {h.title: h for h in stored}
        markup = next(t for t in by_title if t.startswith("[bold]"))
        for piece in MARKUP:  # row 13: kept as the literal text it is
            assert piece in markup, markup
        assert "AT&T" in markup

        links = {h.title: h.link for h in stored}  # row 15: only http(s), normalized
        assert links["Javascript link chips"] is None
        assert links["File link chips"] is None and links["Data link chips"] is None
        assert links["Userinfo link chips"] is None
        assert links["IDN link chips"] == "https://xn--exmple-4nf.com/a"
        assert links["Bidi link chips"] in (None, "https://example.com/gpj.exe")
        assert all(link is None or link.isascii() for link in links.values())

        # the JSON output and the alert's notification text
        lines = [json.loads(line) for line in out.getvalue().splitlines()]
        assert ESC not in out.getvalue() and not CONTROL.search(out.getvalue())
        assert any(piece in json.dumps(lines, ensure_ascii=False) for piece in MARKUP)
        assert [a.rule for a in events.alerts] == ["quit headline"]
        alert = events.alerts[0]
        body, title = notification_body(alert), notification_title(alert)
        payload = json.dumps(alert_payload(alert), ensure_ascii=False)
        for shown in (body, title, payload):
            assert not CONTROL.search(shown), repr(shown)
        assert "[@click=app.quit]" in body and "&lt;b&gt;" in body  # escaped for the shell
    finally:
        await engine.stop()


@pytest.mark.parametrize("name", ["evil\\u001b[2J", "evil\\u009b2J", "a\\u202egpj.exe"])
def test_row14_config_names_cannot_carry_escape_sequences(tmp_path, name) -> None:
    from monitor.config import ConfigError

    text = config_text(feeds=[(name, "https://example.com/rss")]).replace("\\\\u", "\\u")
    with pytest.raises(ConfigError, match="control characters"):
        parse_config_text(text, tmp_path / "watchlist.toml")


# ---- the rendered screen -------------------------------------------------------------


def _app_factory(tmp: Path, url: str):
    (tmp / "quotes.csv").write_text(DAILY_CSV, encoding="utf-8")
    text = f"""
[settings]
quote_source = "quotes.csv"
database = "m.db"
notify = ["terminal"]
[settings.replay]
speed = 100000
[watchlist]
chips = ["NVDA", "^SOX"]
[news]
query = ""
[[news.feeds]]
name = "evil"
url = "{url}"
[[alerts]]
name = "quit headline"
when = 'news "quit" count >= 1 within 30d'
"""
    path = tmp / "watchlist.toml"
    path.write_text(text, encoding="utf-8")
    loaded = LoadedConfig(parse_config_text(text, path), path, "--config")

    async def factory() -> Engine:
        engine = Engine(loaded)
        await engine.open()
        return engine

    return factory


def _screen(app: MonitorApp) -> tuple[str, str]:
    svg = app.export_screenshot()
    runs = re.findall(r">([^<]*)</text>", svg)
    return svg, html.unescape("".join(runs)).replace("\xa0", " ")


async def _until(pilot, condition, tries: int = 1200, why=lambda: None) -> None:
    for _ in range(tries):
        if condition():
            return
        await pilot.pause(0.05)
    assert condition(), why()


async def test_rows13_15_rendered_screen_toasts_and_link_opening(
    feed_server, tmp_path, monkeypatch
) -> None:
    opened: list[str] = []
    monkeypatch.setattr(webbrowser, "open", lambda url, *a, **k: opened.append(url))
    feed_server.serve("/evil", _hostile_feed())
    app = MonitorApp(_app_factory(tmp_path, feed_server.url("/evil")))
    toasts: list[dict] = []  # every toast, kept after it times out on screen
    show = app.notify
    monkeypatch.setattr(
        app,
        "notify",
        lambda message, **kw: (toasts.append({"message": message, **kw}), show(message, **kw))[1],
    )
    async with app.run_test(size=(200, 50)) as pilot:
        await _until(
            pilot,
            lambda: app.engine is not None and len(app.headlines.order) >= 8,
            why=lambda: app.engine and app.engine.sources(),
        )
        await _until(
            pilot,
            lambda: any("quit" in t["message"] for t in toasts),
            why=lambda: (toasts, app.engine.rule_states(), app.alerts.alerts),
        )
        await pilot.press("2")
        await pilot.pause()
        svg, text = _screen(app)
        assert ESC not in svg and not CONTROL.search(svg)  # row 14: nothing reaches the screen
        assert "[bold]Bold[/bold] [link=https://x]Link[/link] [@click" in text
        assert app.is_running  # the [@click=app.quit] title did not act
        for toast in toasts:  # toasts (alert, notices) are inert too
            assert not CONTROL.search(f"{toast.get('title', '')} {toast['message']}")
            if "[" in toast["message"]:  # feed text: shown as plain text
                assert toast.get("markup") is False

        # every pane's rendered rows: no escape sequence, markup shown as text
        for story in app.headlines.order:
            row = " ".join(str(c) for c in app.headlines.table.get_row(story))
            assert ESC not in row and not CONTROL.search(row)

        # the detail view shows the whole title, literally
        by_title = {app.headlines.headlines[s].title: s for s in app.headlines.order}
        app.headlines.select(next(s for t, s in by_title.items() if t.startswith("[bold]")))
        await pilot.press("enter")
        await _until(pilot, lambda: isinstance(app.screen, HeadlineDetail))
        svg, text = _screen(app)
        assert ESC not in svg and all(piece in text for piece in MARKUP), text
        await pilot.press("escape")
        await _until(pilot, lambda: not isinstance(app.screen, HeadlineDetail))
        assert app.is_running

        # row 15: a javascript: link is refused, an IDN link is shown normalized first
        app.headlines.select(by_title["Javascript link chips"])
        await pilot.press("o")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmOpen)
        assert any("only http/https" in t["message"] for t in toasts)
        app.headlines.select(by_title["IDN link chips"])
        await pilot.press("o")
        await _until(pilot, lambda: isinstance(app.screen, ConfirmOpen))
        _, shown = _screen(app)
        assert "https://xn--exmple-4nf.com/a" in shown
        await pilot.press("y")
        await _until(pilot, lambda: opened == ["https://xn--exmple-4nf.com/a"])
