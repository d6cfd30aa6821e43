"""The CLI end to end: the real `monitor` command against a loopback feed server and a
recorded quotes CSV, in a subprocess with HOME and XDG dirs in a temp folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_helpers import DAILY_CSV, json_lines, run_monitor, write_config
from tests.feedserver import FeedServer, unused_url

DATA = Path(__file__).parent / "data" / "feeds"


def _config(
    tmp: Path, server: FeedServer, *, feeds: list[tuple[str, str]], extra: str = ""
) -> Path:
    (tmp / "quotes.csv").write_text(DAILY_CSV, encoding="utf-8")
    feed_blocks = "".join(
        f'\n[[news.feeds]]\nname = "{name}"\nurl = "{url}"\n' for name, url in feeds
    )
    return write_config(
        tmp,
        f"""
[settings]
quote_source = "quotes.csv"
database = "monitor.db"

[watchlist]
"AI chips" = ["NVDA", "^SOX"]
"Big tech" = ["AMZN"]

[aliases]
NVDA = ["Nvidia", "英伟达"]

[news]
query = 'DeepSeek OR "深度求索" OR 梁文锋'
{feed_blocks}
{extra}
""",
    )


@pytest.fixture
def served(feed_server: FeedServer) -> FeedServer:
    feed_server.serve("/gnews.xml", (DATA / "google_news.xml").read_bytes(), etag='"v1"')
    feed_server.serve("/zh.xml", (DATA / "chinese_utf8.xml").read_bytes())
    feed_server.serve("/nasty.xml", (DATA / "nasty_markup.xml").read_bytes())
    feed_server.fail("/limited.xml", 429, retry_after=120)
    feed_server.fail("/broken.xml", 500)
    return feed_server


def test_once_json_prints_headlines_quotes_and_sources(tmp_path: Path, served: FeedServer) -> None:
    cfg = _config(
        tmp_path,
        served,
        feeds=[
            ("Google News: DeepSeek", served.url("/gnews.xml")),
            ("Chinese", served.url("/zh.xml")),
            ("Nasty", served.url("/nasty.xml")),
            ("Limited", served.url("/limited.xml")),
            ("Broken", served.url("/broken.xml")),
        ],
    )
    result = run_monitor(tmp_path, "once", "--json", "--config", str(cfg))
    assert result.returncode == 0, result.stderr
    lines = json_lines(result.stdout)
    kinds = {line["type"] for line in lines}
    assert {"headline", "quote", "source"} <= kinds

    headlines = [x for x in lines if x["type"] == "headline"]
    assert headlines and all(h["matched"] for h in headlines)
    assert all(h["new"] for h in headlines)
    # the same story from two outlets is one story with two outlets
    plunge = [h for h in headlines if "plunge 17%" in h["title"].lower()]
    assert len(plunge) == 1
    assert {o["source"] for o in plunge[0]["outlets"]} >= {"Reuters", "CNBC"}
    assert "NVDA" in plunge[0]["symbols"]
    assert all(h["published"].endswith("+00:00") for h in headlines)
    assert any(h["feed"] == "Chinese" for h in headlines)
    for h in headlines:
        for key in (
            "title",
            "link",
            "source",
            "feed",
            "published",
            "matched",
            "symbols",
            "story",
            "outlets",
            "new",
        ):
            assert key in h
        assert "\x1b" not in json.dumps(h) and "\\u001b" not in json.dumps(h)

    quotes = {q["symbol"]: q for q in lines if q["type"] == "quote"}
    assert quotes["NVDA"]["price"] == pytest.approx(128.99)
    assert quotes["NVDA"]["prev_close"] == pytest.approx(118.42)
    assert quotes["^SOX"]["change_pct"] == pytest.approx((4907.03 / 4853.24 - 1) * 100, abs=1e-3)
    assert quotes["NVDA"]["as_of"].startswith("2025-01-28T21:00:00")

    sources = {s["name"]: s for s in lines if s["type"] == "source" and s["kind"] == "feed"}
    assert sources["Google News: DeepSeek"]["status"] == "ok"
    assert sources["Limited"]["status"] == "rate_limited"
    assert sources["Limited"]["next_try"] is not None
    assert sources["Broken"]["status"] == "error"
    assert "500" in sources["Broken"]["error"]
    recorded = [s for s in lines if s["type"] == "source" and s["kind"] == "quotes"]
    assert any("AMZN" in (s["error"] or "") for s in recorded)


def test_once_again_reports_nothing_new_and_uses_conditional_get(
    tmp_path: Path, served: FeedServer
) -> None:
    cfg = _config(tmp_path, served, feeds=[("Google News: DeepSeek", served.url("/gnews.xml"))])
    first = run_monitor(tmp_path, "once", "--json", "--config", str(cfg))
    assert first.returncode == 0, first.stderr
    second = run_monitor(tmp_path, "once", "--json", "--config", str(cfg))
    assert second.returncode == 0, second.stderr
    heads = [x for x in json_lines(second.stdout) if x["type"] == "headline"]
    assert heads, "stored headlines are still shown"
    assert not any(h["new"] for h in heads)
    second_request = served.requests[-1]
    assert second_request.header("If-None-Match") == '"v1"'
    src = [x for x in json_lines(second.stdout) if x["type"] == "source" and x["kind"] == "feed"]
    assert src[0]["status"] == "not_modified"


def test_once_all_adds_unmatched_headlines(tmp_path: Path, served: FeedServer) -> None:
    cfg = _config(tmp_path, served, feeds=[("Nasty", served.url("/nasty.xml"))])
    matched = json_lines(run_monitor(tmp_path, "once", "--json", "--config", str(cfg)).stdout)
    everything = json_lines(
        run_monitor(tmp_path, "once", "--json", "--all", "--config", str(cfg)).stdout
    )
    n_matched = sum(1 for x in matched if x["type"] == "headline")
    n_all = sum(1 for x in everything if x["type"] == "headline")
    assert n_all > n_matched
    assert any(x["type"] == "headline" and x["matched"] == [] for x in everything)


def test_once_at_shows_the_recorded_moment(tmp_path: Path, served: FeedServer) -> None:
    cfg = _config(tmp_path, served, feeds=[])
    result = run_monitor(
        tmp_path, "once", "--json", "--at", "2025-01-27T16:00-05:00", "--config", str(cfg)
    )
    assert result.returncode == 0, result.stderr
    quotes = {q["symbol"]: q for q in json_lines(result.stdout) if q["type"] == "quote"}
    assert quotes["^SOX"]["price"] == pytest.approx(4853.24)
    assert quotes["^SOX"]["change_pct"] == pytest.approx(-9.149, abs=0.01)


def test_once_without_network_reports_unreachable_and_exits_0(tmp_path: Path) -> None:
    with FeedServer() as server:
        cfg = _config(
            tmp_path,
            server,
            feeds=[("Gone away", unused_url("/a.xml")), ("Also gone", unused_url("/b.xml"))],
        )
    result = run_monitor(tmp_path, "once", "--json", "--config", str(cfg))
    assert result.returncode == 0, result.stderr
    feeds = [x for x in json_lines(result.stdout) if x["type"] == "source" and x["kind"] == "feed"]
    assert len(feeds) == 2
    assert {f["status"] for f in feeds} == {"unreachable"}


def test_once_plain_text_is_readable(tmp_path: Path, served: FeedServer) -> None:
    cfg = _config(tmp_path, served, feeds=[("Google News: DeepSeek", served.url("/gnews.xml"))])
    result = run_monitor(tmp_path, "once", "--config", str(cfg))
    assert result.returncode == 0, result.stderr
    assert "NVDA" in result.stdout and "DeepSeek" in result.stdout
    assert "\x1b" not in result.stdout


def test_check_prints_the_file_used_and_a_summary(tmp_path: Path, served: FeedServer) -> None:
    cfg = _config(
        tmp_path,
        served,
        feeds=[("Google News: DeepSeek", served.url("/gnews.xml"))],
        extra='[[alerts]]\nname = "SOX selloff"\nwhen = "^SOX day% <= -5"\n',
    )
    result = run_monitor(tmp_path, "check", "--config", str(cfg))
    assert result.returncode == 0, result.stderr
    assert str(cfg) in result.stdout
    assert "SOX selloff" in result.stdout and "Google News: DeepSeek" in result.stdout


def test_bad_config_exits_2_with_file_line_and_key(tmp_path: Path) -> None:
    cfg = write_config(
        tmp_path, '[settings]\nnews_every = "5 minutes"\n\n[watchlist]\nx = ["NVDA"]\n'
    )
    for command in (["check"], ["once"], ["run", "--headless"]):
        result = run_monitor(tmp_path, *command, "--config", str(cfg))
        assert result.returncode == 2
        assert "watchlist.toml:2" in result.stderr
        assert "news_every" in result.stderr
        assert "Traceback" not in result.stderr


def test_bundled_default_config_checks(tmp_path: Path) -> None:
    result = run_monitor(tmp_path, "check")
    assert result.returncode == 0, result.stderr
    assert "bundled default" in result.stdout


def test_replay_prints_the_sox_alert_on_the_27th_only(tmp_path: Path, served: FeedServer) -> None:
    cfg = _config(
        tmp_path,
        served,
        feeds=[],
        extra='[[alerts]]\nname = "SOX selloff"\nwhen = "^SOX day% <= -5"\nnotify = ["terminal"]\n',
    )
    result = run_monitor(
        tmp_path, "replay", str(tmp_path / "quotes.csv"), "--json", "--config", str(cfg)
    )
    assert result.returncode == 0, result.stderr
    lines = json_lines(result.stdout)
    alerts = [x for x in lines if x["type"] == "alert"]
    assert [a["rule"] for a in alerts] == ["SOX selloff"]
    assert alerts[0]["time"].startswith("2025-01-27T21:00:00")
    assert alerts[0]["symbol"] == "^SOX"
    assert alerts[0]["value"] == pytest.approx(-9.149, abs=0.01)
    summary = lines[-1]
    assert summary["type"] == "summary" and summary["per_rule"] == {"SOX selloff": 1}
    assert not (tmp_path / "monitor.db").exists(), "replay must not write the user's database"


def test_every_option_of_every_command_says_what_it_does() -> None:
    import argparse

    from monitor.cli.main import _parser

    parser = _parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    commands = {"monitor": parser, **{f"monitor {n}": p for n, p in sub.choices.items()}}
    silent = [
        f"{name} {action.option_strings or action.dest}"
        for name, command in commands.items()
        for action in command._actions
        if not isinstance(action, argparse._SubParsersAction | argparse._HelpAction)
        and not action.help
    ]
    assert silent == []
    shown = commands["monitor once"].format_help()
    assert "--at TIME" in shown and "2025-01-27T16:00-05:00" in shown


def test_the_commands_load_no_ui_no_cli_of_httpx_and_no_slow_parser() -> None:
    """`monitor once` pays for what it imports in every run (issue 14): no Textual, no
    pandas or yfinance, not httpx's command line (click, pygments, rich), and not
    feedparser, which only feeds the fast parser refuses need."""
    import subprocess
    import sys

    heavy = ("textual", "rich", "click", "pygments", "feedparser", "yfinance", "pandas")
    code = (
        "import sys, monitor.cli.commands, httpx\n"
        f"print(','.join(m for m in {heavy!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
