"""The config resolved once: rule conditions parsed at load and never again, the rule
specs built from ``config.Rule`` as they are, quiet hours passed on as parsed."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

from monitor.clock import ManualClock
from monitor.config import load_config_file, parse_config_text
from monitor.config_values import QuietHours
from monitor.engine import Engine, EngineSettings, build
from monitor.model import Alert
from monitor.rules import parser

DEMO = Path(__file__).resolve().parents[1] / "monitor" / "demo" / "watchlist.toml"

TEXT = """\
[settings]
quiet_hours = "22:00-07:00"
notify = ["terminal", "desktop"]

[watchlist]
chips = ["NVDA", "^SOX"]

[news]
query = "DeepSeek"

[[news.feeds]]
name = "Wire"
url = "https://wire.example/rss"

[[news.feeds]]
name = "CNBC"
url = "https://cnbc.example/rss"
query = "Nvidia"
every = "5m"

[[alerts]]
name = "SOX selloff"
when = "^SOX day% <= -5"
cooldown = "45m"
levels = [-5, -7.5]

[[alerts]]
name = "Night owl"
when = "NVDA price < 120"
quiet_hours = "off"
notify = ["terminal"]

[[alerts]]
name = "Lunch"
when = "NVDA price < 100"
quiet_hours = "12:00-13:00"
"""


def test_each_rule_is_parsed_once_at_load_and_never_again(monkeypatch, tmp_path) -> None:
    calls: list[str] = []
    real = parser.parse_rule

    def counting(text: str) -> Any:
        calls.append(text)
        return real(text)

    monkeypatch.setattr(parser, "parse_rule", counting)
    loaded = load_config_file(DEMO, "bundled demo")
    assert len(loaded.config.alerts) == 8
    assert len(calls) == 8, "one parse per rule when the file is loaded"
    engine = Engine(loaded, database=tmp_path / "demo.db")
    assert len(calls) == 8, "building the engine parses nothing again"
    engine.settings.uses_channel("desktop")
    engine.settings.uses_channel("webhook")
    assert len(calls) == 8, "asking which channels the rules use parses nothing"
    specs = engine.settings.rule_specs
    assert [s.rule for s in specs] == [r.parsed for r in loaded.config.alerts]


def test_specs_take_the_config_values_as_they_are() -> None:
    config = parse_config_text(TEXT, Path("watchlist.toml"))
    settings = EngineSettings.from_config(config)
    sox, owl, lunch = settings.rule_specs
    assert sox.rule is config.alerts[0].parsed
    assert (sox.cooldown, sox.levels, sox.notify) == (2700.0, (-5.0, -7.5), ("terminal", "desktop"))
    assert owl.notify == ("terminal",) and lunch.cooldown == timedelta(minutes=30).total_seconds()
    assert settings.feed_queries == {"CNBC": "Nvidia"}, "the other feed uses [news] query"
    assert [f.every for f in settings.feeds] == [120.0, 300.0]  # the default filled in
    assert settings.uses_channel("desktop") and not settings.uses_channel("webhook")


async def test_quiet_hours_reach_the_dispatcher_as_parsed() -> None:
    config = parse_config_text(TEXT, Path("watchlist.toml"))
    settings = EngineSettings.from_config(config)
    assert settings.quiet_hours == QuietHours(time(22), time(7))
    assert settings.quiet_hours_for("SOX selloff") is None  # the global hours
    assert settings.quiet_hours_for("Night owl") == "off"
    assert settings.quiet_hours_for("Lunch") == QuietHours(time(12), time(13))

    sent: list[str] = []

    class Desktop:
        on_unavailable = None

        async def send(self, alert: Alert) -> bool:
            sent.append(alert.rule)
            return True

    night = datetime(2025, 1, 27, 23, 30, tzinfo=UTC)
    dispatcher = build.make_dispatcher(settings, ManualClock(night), lambda _: None)
    dispatcher.channels = {"desktop": Desktop()}
    dispatcher.tz = UTC
    alerts = [
        Alert(rule=name, time=night, message=name, notify=("desktop",))
        for name in ("SOX selloff", "Night owl", "Lunch")
    ]
    report = await dispatcher.dispatch(alerts, quiet_hours_for=settings.quiet_hours_for)
    assert sent == ["Night owl", "Lunch"]
    assert [d.alert.rule for d in report.held] == ["SOX selloff"]
