"""The watchlist file: durations, schema, clear errors with line numbers, search order."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from pydantic import BaseModel

import monitor
from monitor.config import (
    CommandNotify,
    Config,
    ConfigError,
    Feed,
    News,
    NotifySettings,
    ReplaySettings,
    Rule,
    Settings,
    WebhookNotify,
    attribute_docs,
    bundled_config_dir,
    find_config,
    load_config,
    load_config_file,
    parse_config_text,
    reference_markdown,
)
from monitor.config_lines import key_lines, line_of
from monitor.config_values import QuietHours, normalize_symbol, parse_quiet_hours
from monitor.durations import DurationError, format_duration, parse_duration

ROOT = Path(__file__).resolve().parents[1]

# Line numbers below refer to this text; keep it in step with the expectations.
BASE = """\
[settings]
news_every = "2m"
quotes_every = "30s"

[watchlist]
"AI chips" = ["NVDA", "^SOX"]

[news]
query = 'DeepSeek OR "Liang Wenfeng"'

[[news.feeds]]
name = "Google News"
url = "https://news.example/rss"

[[news.feeds]]
name = "CNBC"
url = "https://cnbc.example/rss"

[[alerts]]
name = "SOX selloff"
when = "^SOX day% <= -5"
"""


def parse(text: str, path: Path = Path("watchlist.toml")) -> Config:
    return parse_config_text(text, path)


def error_of(text: str, path: Path = Path("watchlist.toml")) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        parse(text, path)
    return caught.value


# ---- durations -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30s", 30),
        ("2m", 120),
        ("1h", 3600),
        ("1h30m", 5400),
        ("1d", 86400),
        ("1h 30m", 5400),
        ("1.5h", 5400),
        ("90s", 90),
        (" 2m ", 120),
        ("1w", 604800),
    ],
)
def test_durations_parse(text: str, seconds: int) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5 minutes", 'write "5m"'),
        ("1 hour 30 mins", 'write "1h30m"'),
        ("90", 'write "90s"'),
        ("30m1h", "largest to smallest"),
        ("1m1m", "largest to smallest"),
        ("PT5M", "expected e.g."),
        ("", "empty duration"),
        ("2x", "expected e.g."),
    ],
)
def test_durations_rejected_with_hint(text: str, expected: str) -> None:
    with pytest.raises(DurationError) as caught:
        parse_duration(text)
    assert expected in str(caught.value)


def test_duration_numbers_are_not_strings() -> None:
    with pytest.raises(DurationError, match='write seconds as "120s"'):
        parse_duration(120)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (30, "30s"), (90, "1m30s"), (5400, "1h30m"), (86400, "1d"), (90.5, "1m30.5s")],
)
def test_format_duration_round_trips(seconds: float, text: str) -> None:
    assert format_duration(timedelta(seconds=seconds)) == text
    assert parse_duration(text) == timedelta(seconds=seconds)


# ---- values --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "symbol",
    [
        "NVDA",
        "BRK-B",
        "BRK.B",
        "^SOX",
        "^GSPC",
        "300766.SZ",
        "688316.SS",
        "830799.BJ",
        "0700.HK",
        "9988.HK",
        "BTC-USD",
        "EURUSD=X",
        "CL=F",
        "VOD.L",
        "7203.T",
    ],
)
def test_symbol_formats_accepted(symbol: str) -> None:
    assert normalize_symbol(symbol) == symbol
    assert normalize_symbol(f" {symbol.lower()} ") == symbol


@pytest.mark.parametrize(
    ("symbol", "message"),
    [
        ("NVDA US", "unknown symbol format 'NVDA US'; expected e.g. NVDA, ^SOX, 300766.SZ"),
        ("30076.SZ", "A-share codes are 6 digits"),
        ("3007666.SS", "A-share codes are 6 digits"),
        ("700.HK", "Hong Kong codes are 4 or 5 digits"),
        ("$NVDA", "unknown symbol format"),
        ("", "unknown symbol format"),
    ],
)
def test_symbol_formats_rejected(symbol: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("^", r"\^").replace(".", r"\.")):
        normalize_symbol(symbol)


def test_quiet_hours_span_midnight() -> None:
    night = parse_quiet_hours("22:00-07:00")
    assert str(night) == "22:00-07:00"
    assert night.contains(time(23, 30)) and night.contains(time(6, 59))
    assert not night.contains(time(7, 0)) and not night.contains(time(12, 0))
    lunch = parse_quiet_hours("12:00 - 13:30")
    assert lunch.contains(time(12, 0)) and not lunch.contains(time(13, 30))
    for bad in ("22-07", "25:00-07:00", "07:00-07:00", 2200):
        with pytest.raises(ValueError):
            parse_quiet_hours(bad)


# ---- a valid file ----------------------------------------------------------------------


def test_base_file_values_and_inherited_defaults() -> None:
    config = parse(BASE)
    assert config.settings.news_every == timedelta(minutes=2)
    assert config.settings.quote_source == "yfinance"
    assert config.settings.recorded_quotes() is None
    assert config.settings.notify == ["terminal", "desktop"]
    assert config.news.feeds[1].every == timedelta(minutes=2)  # from news_every
    assert config.feed_every(config.news.feeds[0]) == timedelta(minutes=2)
    assert config.alerts[0].notify == ["terminal", "desktop"]  # from settings.notify
    assert config.alerts[0].cooldown == timedelta(minutes=30)
    assert config.alerts[0].severity == "warning"


def test_symbols_keep_watchlist_order_then_rule_only_symbols() -> None:
    text = (
        BASE.replace(
            '"AI chips" = ["NVDA", "^SOX"]',
            '"AI chips" = ["nvda", "^SOX", "NVDA"]\n"Big tech" = ["MSFT", "NVDA"]',
        )
        + '\n[[alerts]]\nname = "Chips"\nwhen = "any 2 of [AVGO, NVDA, TSM] day% <= -5"\n'
    )
    config = parse(text)
    assert config.groups == {"AI chips": ["NVDA", "^SOX"], "Big tech": ["MSFT", "NVDA"]}
    assert config.symbols() == ["NVDA", "^SOX", "MSFT", "AVGO", "TSM"]
    assert config.alerts[1].symbols == ("AVGO", "NVDA", "TSM")
    assert config.alerts[1].parsed is not None


def test_alias_may_name_a_symbol_only_rules_read() -> None:
    text = BASE + '\n[[alerts]]\nname = "TSMC"\nwhen = "TSM day% <= -5"\n'
    text += '\n[aliases]\nTSM = ["TSMC", "台积电"]\nnvda = ["Nvidia"]\n'
    config = parse(text)
    assert config.aliases == {"TSM": ["TSMC", "台积电"], "NVDA": ["Nvidia"]}


def test_rule_options() -> None:
    text = BASE.replace('news_every = "2m"', 'news_every = "2m"\nquiet_hours = "22:00-07:00"')
    text += (
        'levels = [-5, -7.5, -10]\nseverity = "critical"\nonce = "day"\ncooldown = "1h"\n'
        'hysteresis = 0.5\nallow_stale = true\nenabled = false\nnotify = ["terminal"]\n'
        '\n[[alerts]]\nname = "Night owl"\nwhen = "NVDA price < 120"\nquiet_hours = "off"\n'
        '\n[[alerts]]\nname = "Own hours"\nwhen = "NVDA price < 100"\nquiet_hours = ""\n'
    )
    config = parse(text)
    sox, owl, own = config.alerts
    assert sox.levels == [-5, -7.5, -10] and sox.severity == "critical" and sox.once == "day"
    assert sox.cooldown == timedelta(hours=1) and sox.hysteresis == 0.5
    assert sox.allow_stale and not sox.enabled and sox.notify == ["terminal"]
    assert config.settings.quiet_hours == QuietHours(time(22), time(7))
    assert sox.quiet_hours is None  # inherits [settings] quiet_hours (the dispatcher's job)
    assert owl.quiet_hours == own.quiet_hours == "off"


def test_paths_resolve_beside_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "quotes.csv").write_text("time,symbol,close\n")
    (tmp_path / "data" / "closes.csv").write_text("date,symbol,close\n")
    text = BASE.replace(
        'news_every = "2m"',
        'quote_source = "data/quotes.csv"\nhistory = "data/closes.csv"\ndatabase = "db/m.db"',
    )
    settings = parse(text, tmp_path / "watchlist.toml").settings
    assert settings.recorded_quotes() == tmp_path / "data" / "quotes.csv"
    assert settings.history == tmp_path / "data" / "closes.csv"
    assert settings.database_path() == tmp_path / "db" / "m.db"


def test_default_database_is_in_the_user_data_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert parse(BASE).settings.database_path() == tmp_path / "monitor" / "monitor.db"


def test_replay_keys_and_notify_sections() -> None:
    text = BASE.replace(
        'quotes_every = "30s"',
        'quotes_every = "30s"\nnotify = ["terminal", "command", "webhook"]\n\n'
        '[settings.keys]\nrefresh = "ctrl+r"\n\n'
        "[settings.replay]\nspeed = 120\nstart = 2025-01-27T09:30:00-05:00\nskip_closed = false",
    ) + (
        '\n[notify.command]\nargv = ["notify-send", "monitor"]\ntimeout = "5s"\n'
        '\n[notify.webhook]\nurl = "https://hooks.example/x"\nheaders = { X-Token = "t" }\n'
    )
    config = parse(text)
    assert config.settings.keys == {"refresh": "ctrl+r"}
    replay = config.settings.replay
    assert replay.speed == 120 and not replay.skip_closed
    assert replay.start == datetime(2025, 1, 27, 14, 30, tzinfo=UTC)
    assert config.notify.command is not None
    assert config.notify.command.argv == ["notify-send", "monitor"]
    assert config.notify.command.timeout == timedelta(seconds=5)
    assert config.notify.webhook is not None and config.notify.webhook.retries == 3
    assert config.notify.webhook.headers == {"X-Token": "t"}


# ---- errors: message and line ----------------------------------------------------------

ERROR_CASES = [
    pytest.param(
        BASE.replace('news_every = "2m"', 'news_every = "2m'),
        2,
        ["TOML syntax error", "at column 17", '    news_every = "2m'],
        id="toml-syntax",
    ),
    pytest.param(
        BASE + '\n[settings]\ntheme = "x"\n',
        23,
        ["TOML syntax error", "defined twice"],
        id="toml-duplicate-table",
    ),
    pytest.param(
        BASE.replace("news_every", "news_evry"),
        2,
        ["watchlist.toml:2: [settings] unknown key 'news_evry' (did you mean 'news_every'?)"],
        id="unknown-settings-key",
    ),
    pytest.param(
        BASE.replace('"https://cnbc.example/rss"', '"https://cnbc.example/rss"\nevry = "1m"'),
        18,
        ["[[news.feeds]] #2 unknown key 'evry' (did you mean 'every'?)"],
        id="unknown-feed-key",
    ),
    pytest.param(
        BASE + 'notfy = ["terminal"]\n',
        22,
        ["""[[alerts]] "SOX selloff" unknown key 'notfy' (did you mean 'notify'?)"""],
        id="unknown-rule-key",
    ),
    pytest.param(
        BASE.replace("query =", "qurey ="),
        9,
        ["[news] unknown key 'qurey' (did you mean 'query'?)"],
        id="unknown-news-key",
    ),
    pytest.param(
        BASE + "\n[settings.replay]\nsped = 2\n",
        24,
        ["[settings.replay] unknown key 'sped' (did you mean 'speed'?)"],
        id="unknown-replay-key",
    ),
    pytest.param(
        BASE + '\n[notify.command]\nargs = ["x"]\n',
        23,
        ["[notify.command] unknown key 'args' (did you mean 'argv'?)"],
        id="unknown-command-key",
    ),
    pytest.param(
        BASE + '\n[alert]\nname = "x"\n',
        23,
        ["unknown top-level key 'alert' (did you mean 'alerts'?)"],
        id="unknown-table",
    ),
    pytest.param(
        'theme = "nord"\n' + BASE,
        1,
        ["unknown top-level key 'theme' (it belongs under [settings])"],
        id="key-outside-table",
    ),
    pytest.param(
        BASE.replace('"2m"', '"5 minutes"'),
        2,
        ["[settings] .news_every: bad duration '5 minutes'", 'write "5m"'],
        id="bad-duration",
    ),
    pytest.param(
        BASE.replace('quotes_every = "30s"', 'time_zone = "Asia/Shanghi"'),
        3,
        ["[settings] .time_zone: unknown time zone 'Asia/Shanghi'", '"America/New_York"'],
        id="bad-time-zone",
    ),
    pytest.param(
        BASE.replace('quotes_every = "30s"', 'times = "exchnage"'),
        3,
        ["[settings] .times:", "'exchange'"],
        id="bad-times",
    ),
    pytest.param(
        BASE.replace('"30s"', '"2s"'),
        3,
        ["[settings] .quotes_every: must be at least 5s"],
        id="duration-too-short",
    ),
    pytest.param(
        BASE.replace("https://cnbc.example/rss", "ftp://x"),
        17,
        ["watchlist.toml:17: [[news.feeds]] #2 .url: feed URL must be http(s), got 'ftp://x'"],
        id="ftp-feed-url",
    ),
    pytest.param(
        BASE.replace("https://news.example/rss", "file:///etc/passwd"),
        13,
        ["[[news.feeds]] #1 .url: feed URL must be http(s), got 'file:///etc/passwd'"],
        id="file-feed-url",
    ),
    pytest.param(
        BASE.replace('"^SOX"]', '"^SOX", "NVDA US"]'),
        6,
        [
            """[watchlist] ."AI chips" #3: unknown symbol format 'NVDA US'; """
            "expected e.g. NVDA, ^SOX, 300766.SZ, BTC-USD"
        ],
        id="bad-symbol",
    ),
    pytest.param(
        BASE.replace('"^SOX"]', '"^SOX", "30076.SZ"]'),
        6,
        ["A-share codes are 6 digits"],
        id="short-a-share",
    ),
    pytest.param(
        BASE.replace('name = "CNBC"', 'name = "Google News"'),
        16,
        ["[[news.feeds]] #2 .name: duplicate feed name 'Google News' (also #1)"],
        id="duplicate-feed-name",
    ),
    pytest.param(
        BASE + '\n[[alerts]]\nname = "SOX selloff"\nwhen = "NVDA price < 120"\n',
        24,
        ["""[[alerts]] "SOX selloff" .name: duplicate rule name 'SOX selloff' (also #1)"""],
        id="duplicate-rule-name",
    ),
    pytest.param(
        BASE.replace("""query = 'DeepSeek OR "Liang Wenfeng"'""", "query = 'DeepSeek OR (Nvidia'"),
        9,
        ["[news] .query: ", "at column 13\n    DeepSeek OR (Nvidia\n                ^"],
        id="bad-query",
    ),
    pytest.param(
        BASE.replace(
            'url = "https://cnbc.example/rss"',
            'url = "https://cnbc.example/rss"\nquery = "Nvidia AND"',
        ),
        18,
        ["[[news.feeds]] #2 .query: ", "^"],
        id="bad-feed-query",
    ),
    pytest.param(
        BASE.replace("^SOX day% <= -5", "^SOX day% 5"),
        21,
        [
            """watchlist.toml:21: [[alerts]] "SOX selloff" .when: """,
            "at column 11\n    ^SOX day% 5\n              ^  hint: ",
        ],
        id="bad-rule",
    ),
    pytest.param(
        BASE + 'notify = ["terminal", "command"]\n',
        22,
        [
            """[[alerts]] "SOX selloff" .notify: notifies "command" but the file has no """
            "[notify.command] section"
        ],
        id="command-without-section",
    ),
    pytest.param(
        BASE.replace('quotes_every = "30s"', 'quotes_every = "30s"\nnotify = ["webhook"]'),
        4,
        ['[settings] .notify: notifies "webhook" but the file has no [notify.webhook] section'],
        id="webhook-default-without-section",
    ),
    pytest.param(
        BASE + 'notify = ["pager"]\n',
        22,
        ["""[[alerts]] "SOX selloff" .notify #1: should be 'terminal', 'desktop', """],
        id="unknown-channel",
    ),
    pytest.param(
        BASE.replace('news_every = "2m"', 'quote_source = "recorded/quotes.csv"'),
        2,
        [
            "[settings] .quote_source: file not found: ",
            "quotes.csv",
            'use "yfinance" or a recorded quotes CSV',
        ],
        id="missing-quote-csv",
    ),
    pytest.param(
        BASE.replace('"AI chips" = ["NVDA", "^SOX"]', '"AI chips" = []'),
        5,
        ["[watchlist]", "has no symbols"],
        id="empty-watchlist",
    ),
    pytest.param(
        BASE.replace('[watchlist]\n"AI chips" = ["NVDA", "^SOX"]\n', ""),
        None,
        ["[watchlist]", "has no symbols"],
        id="missing-watchlist",
    ),
    pytest.param(
        BASE + '\n[aliases]\nNVDX = ["Nvidia"]\n',
        24,
        ["[aliases] .NVDX: alias for a symbol not in the watchlist: 'NVDX' (did you mean 'NVDA'?)"],
        id="alias-unknown-symbol",
    ),
    pytest.param(
        BASE + '\n[aliases]\nBRK.B = ["Berkshire"]\n',
        24,
        ['expected a list, got a table (quote a key holding a dot: "BRK.B" = [...])'],
        id="alias-dotted-key",
    ),
    pytest.param(
        BASE + "levels = [-5, -10, -7.5]\n",
        22,
        ["""[[alerts]] "SOX selloff" .levels: levels must rise or fall steadily"""],
        id="levels-not-monotonic",
    ),
    pytest.param(
        BASE + "levels = []\n",
        22,
        [".levels: must not be empty, got []"],
        id="levels-empty",
    ),
    pytest.param(
        BASE + 'severity = "high"\n',
        22,
        [".severity: should be 'info', 'warning' or 'critical', got 'high'"],
        id="bad-severity",
    ),
    pytest.param(
        BASE + 'once = "week"\n',
        22,
        [""".once: should be 'day', got 'week'"""],
        id="bad-once",
    ),
    pytest.param(
        BASE.replace('url = "https://cnbc.example/rss"\n', ""),
        15,
        ["[[news.feeds]] #2: missing key 'url'"],
        id="missing-feed-url",
    ),
    pytest.param(
        BASE.replace('url = "https://cnbc.example/rss"', 'kind = "yahoo"'),
        15,
        ['[[news.feeds]] #2 .search: a kind = "yahoo" source needs search or ticker'],
        id="yahoo-without-term",
    ),
    pytest.param(
        BASE.replace(
            'url = "https://cnbc.example/rss"',
            'kind = "yahoo"\nsearch = "DeepSeek"\nticker = "NVDA"',
        ),
        18,
        ['[[news.feeds]] #2 .search: a kind = "yahoo" source needs search or ticker (not both)'],
        id="yahoo-search-and-ticker",
    ),
    pytest.param(
        BASE.replace('name = "CNBC"', 'name = "CNBC"\nkind = "yahoo"\nticker = "NVDA"'),
        19,
        ['[[news.feeds]] #2 .url: a kind = "yahoo" source has no url'],
        id="yahoo-with-url",
    ),
    pytest.param(
        BASE.replace('name = "CNBC"', 'name = "CNBC"\nticker = "NVDA"'),
        17,
        ['[[news.feeds]] #2 .ticker: only a kind = "yahoo" source has ticker'],
        id="rss-with-ticker",
    ),
    pytest.param(
        BASE.replace('name = "CNBC"', 'name = "CNBC"\nkind = "atom"'),
        17,
        ["[[news.feeds]] #2 .kind: should be 'rss' or 'yahoo', got 'atom'"],
        id="unknown-feed-kind",
    ),
    pytest.param(
        BASE.replace('url = "https://cnbc.example/rss"', 'kind = "yahoo"\nsearch = "x"\ncount = 0'),
        19,
        ["[[news.feeds]] #2 .count: should be greater than or equal to 1, got 0"],
        id="yahoo-count-zero",
    ),
    pytest.param(
        BASE.replace('"2m"', "120"),
        2,
        ["[settings] .news_every: expected a duration string", 'write seconds as "120s"'],
        id="duration-as-number",
    ),
    pytest.param(
        BASE + "\n[settings.replay]\nstart = 2025-01-27T09:30:00\n",
        24,
        ["[settings.replay] .start: needs a UTC offset", "got 2025-01-27T09:30:00"],
        id="naive-replay-start",
    ),
    pytest.param(
        BASE + "\n[settings.replay]\nspeed = 0\n",
        24,
        ["[settings.replay] .speed: should be greater than 0, got 0"],
        id="replay-speed-zero",
    ),
    pytest.param(
        BASE.replace('news_every = "2m"', 'quiet_hours = "10pm-7am"'),
        2,
        ['[settings] .quiet_hours: expected a local time range like "22:00-07:00"'],
        id="bad-quiet-hours",
    ),
    pytest.param(
        BASE + '\n[settings.keys]\nrefresh = " "\n',
        24,
        ['[settings.keys] .refresh: expected a key such as "ctrl+r"'],
        id="empty-key-binding",
    ),
    pytest.param(
        BASE + '\n[settings.keys]\nrefrsh = "f5"\n',
        24,
        [
            "watchlist.toml:24: [settings.keys] .refrsh: unknown action 'refrsh' (did you mean "
            "'refresh'?)"
        ],
        id="unknown-key-action",
    ),
    pytest.param(
        BASE + '\n[settings.keys]\npause = "f6"\nrefresh = "q"\n',
        25,
        [
            "watchlist.toml:25: [settings.keys] .refresh: key 'q' already does quit "
            "(Everywhere): choose another key, or give quit another one too"
        ],
        id="key-steals-quit",
    ),
    pytest.param(
        BASE + '\n[settings.keys]\ncycle_sort = "ctrl+p"\n',
        24,
        ["[settings.keys] .cycle_sort: key 'ctrl+p' opens the command palette"],
        id="key-steals-the-palette",
    ),
    pytest.param(
        BASE + "\n[notify.command]\nargv = []\n",
        24,
        ["[notify.command] .argv: must not be empty"],
        id="empty-argv",
    ),
    pytest.param(
        BASE + '\n[notify.webhook]\nurl = "hooks.example/x"\n',
        24,
        ["[notify.webhook] .url: webhook URL must be http(s)"],
        id="webhook-url",
    ),
    pytest.param(
        BASE.replace('name = "CNBC"', "name = 42"),
        16,
        ["[[news.feeds]] #2 .name: expected a string, got 42"],
        id="wrong-type",
    ),
]


@pytest.mark.parametrize(("text", "line", "fragments"), ERROR_CASES)
def test_error_messages(text: str, line: int | None, fragments: list[str]) -> None:
    err = error_of(text)
    message = str(err)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in:\n{message}"
    assert err.line == line, message
    prefix = f"watchlist.toml:{line}: " if line else "watchlist.toml: "
    assert message.startswith(prefix), message
    assert "Traceback" not in message and "pydantic" not in message


def test_several_errors_are_reported_in_file_order() -> None:
    text = (
        BASE.replace("news_every", "news_evry")
        .replace("https://cnbc.example/rss", "ftp://x")
        .replace('"^SOX"]', '"^SOX", "NVDA US"]')
    )
    lines = str(error_of(text)).splitlines()
    assert lines[0].startswith("watchlist.toml:2: [settings] unknown key 'news_evry'")
    assert lines[1].startswith("watchlist.toml:6: [watchlist]")
    assert lines[2].startswith("watchlist.toml:17: [[news.feeds]] #2 .url")


def test_more_than_three_errors_are_counted() -> None:
    text = (
        BASE.replace('"https://', '"ftp://').replace("news_every", "a").replace("quotes_every", "b")
    )
    message = str(error_of(text))
    assert len(message.splitlines()) == 4 and message.endswith("(and 1 more)")


def test_error_names_the_path_as_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "config").mkdir()
    target = tmp_path / "config" / "watchlist.toml"
    target.write_text(BASE.replace("https://cnbc.example/rss", "ftp://x"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as caught:
        load_config_file(target)
    assert str(caught.value).startswith(
        "config/watchlist.toml:17: [[news.feeds]] #2 .url: feed URL must be http(s), got 'ftp://x'"
    )
    assert caught.value.path == Path("config/watchlist.toml")


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_config_file(tmp_path / "nope.toml")
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ConfigError, match="not UTF-8 text"):
        load_config_file(binary)


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_a_latin1_file_is_located_to_its_line_and_byte(tmp_path: Path, bom: bytes) -> None:
    path = tmp_path / "b7_latin1.toml"
    path.write_bytes(bom + BASE.replace("AI chips", "AI pu\u00e7es").encode("latin-1"))
    with pytest.raises(ConfigError) as caught:
        load_config_file(path)
    offset = len(bom) + BASE.encode().index(b"AI chips") + 5
    assert caught.value.line == 6
    assert str(caught.value).endswith(
        f"b7_latin1.toml:6: not UTF-8 text: byte 0xE7 at column 7 (byte {offset + 1} of "
        "the file); save it as UTF-8"
    )


def test_byte_order_mark_is_tolerated(tmp_path: Path) -> None:
    path = tmp_path / "watchlist.toml"
    path.write_bytes("\ufeff".encode() + BASE.encode())
    assert load_config_file(path).config.symbols() == ["NVDA", "^SOX"]


def test_toml_error_at_end_of_file() -> None:
    err = error_of(BASE + '\n[[alerts]]\nname = "x"\nwhen = """never closed\n')
    assert "TOML syntax error" in str(err) and str(err).startswith("watchlist.toml:")


# ---- line scanning ---------------------------------------------------------------------


def test_key_lines_follow_tables_arrays_and_multiline_values() -> None:
    text = """\
# a comment with [brackets]
[settings]
notify = [
  "terminal",
  "desktop",
]
theme = "nord"   # [not a header]

[watchlist]
"AI chips" = ["NVDA"]
'Big tech' = ["MSFT"]

[[alerts]]
name = "a"
when = '''
[looks like a table]
x = 1
'''

[[alerts]]
name = "b"
levels = [-5,
  -7.5]
severity = "info"
[settings.replay]
speed = 2
"""
    lines = key_lines(text)
    assert lines[("settings",)] == 2
    assert lines[("settings", "notify")] == 3
    assert lines[("settings", "theme")] == 7
    assert lines[("watchlist", "AI chips")] == 10
    assert lines[("watchlist", "Big tech")] == 11
    assert lines[("alerts", 0)] == 13 and lines[("alerts", 0, "when")] == 15
    assert ("looks like a table",) not in lines and ("alerts", 0, "x") not in lines
    assert lines[("alerts", 1, "name")] == 21
    assert lines[("alerts", 1, "severity")] == 24
    assert lines[("settings", "replay", "speed")] == 26
    # unknown paths fall back to the nearest enclosing key or table
    assert line_of(lines, ("alerts", 1, "levels", 1)) == 22
    assert line_of(lines, ("alerts", 1, "notify")) == 20
    assert line_of(lines, ("aliases", "X", "[key]")) is None


def test_dotted_keys_and_inline_tables_are_located() -> None:
    text = '[settings]\nreplay.speed = 0\n\n[notify]\nwebhook = { url = "x" }\n'
    lines = key_lines(text)
    assert lines[("settings", "replay", "speed")] == 2
    assert line_of(lines, ("notify", "webhook", "url")) == 5
    err = error_of(BASE + "\n" + text.replace("[settings]\n", "[settings.keys]\n"))
    assert err.line is not None


# ---- search order ----------------------------------------------------------------------


@pytest.fixture
def no_user_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the user config dir at an empty temporary directory."""
    home = tmp_path / "xdg-config"
    home.mkdir()
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    return home / "monitor"


def _write(path: Path, text: str = BASE) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_search_order(tmp_path: Path, no_user_config: Path) -> None:
    cwd = tmp_path / "cwd"
    cli = _write(tmp_path / "cli.toml")
    env_file = _write(tmp_path / "env.toml")
    env = {"MONITOR_CONFIG": str(env_file)}
    cwd.mkdir()
    bundled = bundled_config_dir() / "watchlist.toml"
    assert find_config(None, env={}, cwd=cwd) == (bundled, "bundled default")
    user = _write(no_user_config / "watchlist.toml")
    assert find_config(None, env={}, cwd=cwd) == (user, "user config dir")
    here = _write(cwd / "watchlist.toml")
    assert find_config(None, env={}, cwd=cwd) == (here, "./watchlist.toml")
    assert find_config(None, env=env, cwd=cwd) == (env_file, "$MONITOR_CONFIG")
    assert find_config(str(cli), env=env, cwd=cwd) == (cli, "--config")


def test_relative_config_path_is_read_from_cwd(tmp_path: Path, no_user_config: Path) -> None:
    _write(tmp_path / "sub" / "mine.toml")
    path, source = find_config("sub/mine.toml", env={}, cwd=tmp_path)
    assert path == tmp_path / "sub" / "mine.toml" and source == "--config"


@pytest.mark.parametrize(
    ("cli", "env", "expected"),
    [
        ("missing.toml", {}, "--config missing.toml: file not found"),
        (None, {"MONITOR_CONFIG": "gone.toml"}, "$MONITOR_CONFIG gone.toml: file not found"),
        (".", {}, "--config .: is a directory"),
    ],
)
def test_explicit_paths_must_exist(
    tmp_path: Path, no_user_config: Path, cli: str | None, env: dict[str, str], expected: str
) -> None:
    _write(tmp_path / "watchlist.toml")  # would be found next: must not be used silently
    with pytest.raises(ConfigError) as caught:
        find_config(cli, env=env, cwd=tmp_path)
    assert str(caught.value) == expected


def test_empty_env_var_is_ignored(tmp_path: Path, no_user_config: Path) -> None:
    here = _write(tmp_path / "watchlist.toml")
    assert find_config(None, env={"MONITOR_CONFIG": ""}, cwd=tmp_path)[1] == "./watchlist.toml"
    assert find_config(None, env={"MONITOR_CONFIG": ""}, cwd=tmp_path)[0] == here


def test_load_config_reports_path_and_source(tmp_path: Path, no_user_config: Path) -> None:
    _write(tmp_path / "watchlist.toml")
    loaded = load_config(None, env={}, cwd=tmp_path)
    assert loaded.source == "./watchlist.toml"
    assert loaded.path == tmp_path / "watchlist.toml"
    assert loaded.config.alerts[0].name == "SOX selloff"


def test_installed_package_uses_its_bundled_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "site-packages" / "monitor"
    _write(package / "_bundled_config" / "watchlist.toml")
    monkeypatch.setattr(monitor, "__file__", str(package / "__init__.py"))
    assert bundled_config_dir() == package / "_bundled_config"


def test_source_checkout_uses_repo_config_dir() -> None:
    assert bundled_config_dir() == ROOT / "config"


# ---- the shipped files -----------------------------------------------------------------


def test_bundled_default_loads_and_is_rich() -> None:
    loaded = load_config_file(bundled_config_dir() / "watchlist.toml", "bundled default")
    config = loaded.config
    symbols = config.symbols()
    for symbol in (
        "NVDA",
        "^SOX",
        "AVGO",
        "TSM",
        "ASML",
        "AMD",
        "MU",
        "MSFT",
        "META",
        "GOOGL",
        "AMZN",
        "300766.SZ",
        "688316.SS",
        "688023.SS",
        "002354.SZ",
        "BTC-USD",
        "SMH",
    ):
        assert symbol in symbols
    assert set(config.aliases) <= set(symbols)
    assert "英伟达" in config.aliases["NVDA"]
    urls = [feed.url for feed in config.news.feeds]
    assert "https://news.google.com/rss/search?q=DeepSeek&hl=zh-CN&gl=CN&ceid=CN:zh-Hans" in urls
    assert "https://www.cnbc.com/id/19854910/device/rss/rss.html" in urls
    whens = {rule.when for rule in config.alerts}
    assert {
        "^SOX day% <= -5",
        "NVDA price < 120",
        "300766.SZ limit_up",
        'news "DeepSeek" count >= 5 within 30m',
        'news "DeepSeek" within 2h and NVDA day% <= -3',
        "any 3 of [NVDA, AVGO, TSM, ASML] day% <= -5",
    } <= whens
    sox = next(rule for rule in config.alerts if rule.name == "SOX selloff")
    assert sox.levels == [-5, -7.5, -10] and sox.severity == "critical"
    assert all(rule.parsed is not None for rule in config.alerts)


def test_examples_load() -> None:
    examples = sorted((ROOT / "config" / "examples").glob("*.toml"))
    assert examples
    for path in examples:
        assert load_config_file(path).config.symbols()


# ---- the reference ---------------------------------------------------------------------

MODELS: list[type[BaseModel]] = [
    Config,
    Settings,
    ReplaySettings,
    NotifySettings,
    CommandNotify,
    WebhookNotify,
    News,
    Feed,
    Rule,
]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_field_is_documented(model: type[BaseModel]) -> None:
    assert model.__doc__
    docs = attribute_docs(model)
    for name in model.model_fields:
        assert len(docs.get(name, "")) > 10, f"{model.__name__}.{name}"


def test_reference_covers_every_field() -> None:
    markdown = reference_markdown()
    for model in (Settings, ReplaySettings, CommandNotify, WebhookNotify, News, Feed, Rule):
        docs = attribute_docs(model)
        for name in model.model_fields:
            row = next(
                (
                    line
                    for line in markdown.splitlines()
                    if line.startswith(f"| `{name}` |") and " ".join(docs[name].split()) in line
                ),
                None,
            )
            assert row is not None, f"{model.__name__}.{name} missing from the reference"
    for heading in (
        "[settings]",
        "[settings.replay]",
        "[watchlist]",
        "[aliases]",
        "[news]",
        "[[news.feeds]]",
        "[[alerts]]",
        "[notify.command]",
        "[notify.webhook]",
    ):
        assert f"### `{heading}`" in markdown
    assert '| `news_every` | duration | `"2m"` |' in markdown
    assert '| `notify` | list of "terminal" \\| "desktop" \\| "command" \\| "webhook" |' in markdown
    assert "| `name` | string | required |" in markdown


def test_readme_reference_is_current() -> None:
    readme = (
        (ROOT / "README.md").read_text(encoding="utf-8") if (ROOT / "README.md").exists() else ""
    )
    start, end = "<!-- config-reference:start -->", "<!-- config-reference:end -->"
    assert start in readme, "README must carry the generated config reference"
    generated = readme.split(start, 1)[1].split(end, 1)[0].strip()
    assert generated == reference_markdown().strip(), "regenerate: python -m monitor.config"


def test_loading_imports_no_ui_toolkit() -> None:
    import subprocess
    import sys

    code = (
        "import sys, monitor.config as c; c.load_config_file(c.bundled_config_dir() / "
        "'watchlist.toml'); print(sorted(m for m in sys.modules if m.startswith('textual')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_times_and_time_zone_make_the_zones_every_time_is_shown_in() -> None:
    from zoneinfo import ZoneInfo

    from monitor.formatting import Zones

    assert parse(BASE).settings.zones() == Zones(local=None, exchange=True)
    text = BASE.replace('quotes_every = "30s"', 'times = "local"\ntime_zone = "Asia/Shanghai"')
    assert parse(text).settings.zones() == Zones(ZoneInfo("Asia/Shanghai"), exchange=False)


def test_keys_that_work_together_are_accepted() -> None:
    # the same key in two panes, and keys swapped with both sides moved
    text = BASE + '\n[settings.keys]\ncycle_sort = "o"\nrefresh = "q"\nquit = "ctrl+x"\n'
    assert parse(text).settings.keys["refresh"] == "q"
    assert parse(BASE + '\n[settings.keys]\nhelp = "?, f1"\n').settings.keys
