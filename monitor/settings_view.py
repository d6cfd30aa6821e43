"""The engine's view of a loaded config: plain values and the parts built from them.

Keeps the mapping from the config schema to the quote source, rule specs and
notification channels in one place, so the engine reads no schema details.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from monitor import paths
from monitor.clock import Clock, ManualClock, WallClock
from monitor.config import Config


@dataclass(frozen=True)
class FeedView:
    name: str
    url: str
    every: float | None
    enabled: bool
    query: str | None


class SettingsView:
    def __init__(self, config: Config) -> None:
        self.config = config
        s = config.settings
        self.settings = s
        self.news_every = s.news_every.total_seconds()
        self.quotes_every = s.quotes_every.total_seconds()
        self.feed_timeout = s.feed_timeout.total_seconds()
        self.max_feed_bytes = int(s.max_feed_mb * 1_000_000)
        self.allow_private_redirects = s.allow_private_redirects
        self.groups: dict[str, list[str]] = {g: list(v) for g, v in config.watchlist.items()}
        self.symbols: list[str] = list(config.symbols())
        self.news_query: str = config.news.query
        self.aliases: dict[str, list[str]] = {k: list(v) for k, v in config.aliases.items()}
        self.all_feeds = [
            FeedView(
                f.name,
                f.url,
                f.every.total_seconds() if f.every else None,
                f.enabled,
                f.query,
            )
            for f in config.news.feeds
        ]
        self.feeds = [f for f in self.all_feeds if f.enabled]
        self.feed_queries = {f.name: f.query for f in self.feeds if f.query is not None}
        self.rule_names = frozenset(rule.name for rule in config.alerts)

    # ---- timing --------------------------------------------------------------------

    @property
    def news_tick(self) -> float:
        """The news job's interval: each feed is fetched when its own interval is due."""
        intervals = [f.every or self.news_every for f in self.feeds] or [self.news_every]
        return max(10.0, min(intervals))

    # ---- sources -------------------------------------------------------------------

    def recorded_path(self, config_path: Path) -> Path | None:
        return self.settings.recorded_quotes()

    def quote_source_label(self, config_path: Path) -> str:
        path = self.recorded_path(config_path)
        return f"recorded file {path}" if path else "yfinance (Yahoo Finance)"

    def database(self, config_path: Path) -> Path:
        return self.settings.database_path()

    def make_quote_source(
        self, config_path: Path, history_file: Path | None = None, clock: Clock | None = None
    ) -> Any:
        path = self.recorded_path(config_path)
        if path is not None:
            from monitor.quotes.recorded import RecordedQuotes

            return RecordedQuotes(
                path,
                clock=clock if isinstance(clock, ManualClock) else None,
                start=self.settings.replay.start,
                daily_history=history_file or self.settings.history,
            )
        # Batch quotes + rolling charts: 1 request per refresh for 100 symbols instead
        # of 100, and no pandas until daily history is needed (bench/README.md, #3).
        from monitor.quotes.yahoo_live import YahooLiveQuotes

        return YahooLiveQuotes(
            clock=clock or WallClock(),
            cache_dir=paths.cache_dir(),
            quotes_every=self.quotes_every,
        )

    def is_recorded(self, source: Any) -> bool:
        from monitor.quotes.recorded import RecordedQuotes

        return isinstance(source, RecordedQuotes)

    def replay_clock(self, source: Any) -> ManualClock:
        clock = ManualClock(self.settings.replay.start or source.first_time)
        source.clock = clock
        return clock

    def playback_delay(self, prev: datetime, nxt: datetime, symbols: Sequence[str]) -> float:
        from monitor.quotes.recorded import playback_delay

        replay = self.settings.replay
        return playback_delay(
            prev, nxt, speed=replay.speed, skip_closed=replay.skip_closed, symbols=symbols
        )

    # ---- rules and notifications ---------------------------------------------------

    def rule_specs(self) -> list[Any]:
        from monitor.rules import RuleSpec

        default_notify = list(self.settings.notify)
        specs = []
        for rule in self.config.alerts:
            specs.append(
                RuleSpec.from_mapping(
                    {
                        "name": rule.name,
                        "when": rule.when,
                        "notify": tuple(rule.notify if rule.notify is not None else default_notify),
                        "cooldown": rule.cooldown.total_seconds(),
                        "once": rule.once,
                        "levels": tuple(rule.levels) if rule.levels else None,
                        "severity": rule.severity,
                        # quiet hours are the dispatcher's business (rule_quiet_hours)
                        "quiet_hours": None,
                        "allow_stale": rule.allow_stale,
                        "enabled": rule.enabled,
                        "hysteresis": rule.hysteresis,
                    }
                )
            )
        return specs

    def history_symbols(self) -> list[str]:
        """Symbols whose daily history adds context to rules (moves, volume, streaks)."""
        from monitor.price_limits import board_limit

        seen: list[str] = []
        for rule in self.config.alerts:
            for symbol in rule.symbols:
                if symbol not in seen:
                    seen.append(symbol)
        # A-shares: the watchlist shows their limit-up streak
        seen += [s for s in self.symbols if s not in seen and board_limit(s) is not None]
        return seen

    def uses_channel(self, channel: str) -> bool:
        return any(channel in spec.notify for spec in self.rule_specs())

    def rule_quiet_hours(self, name: str) -> str | None:
        for rule in self.config.alerts:
            if rule.name == name and rule.quiet_hours is not None:
                return str(rule.quiet_hours)
        return None

    async def make_dispatcher(self, clock: Clock, on_notice: Callable[[str], None]) -> Any:
        from monitor.notify.dispatch import Dispatcher

        channels: dict[str, Any] = {}
        if self.uses_channel("desktop"):
            from monitor.notify.desktop import DesktopChannel

            channels["desktop"] = DesktopChannel(on_unavailable=on_notice)
        cmd = self.config.notify.command
        if cmd is not None:
            from monitor.notify.command import CommandNotifier

            channels["command"] = CommandNotifier(cmd.argv, timeout=cmd.timeout.total_seconds())
        hook = self.config.notify.webhook
        if hook is not None:
            from monitor.notify.webhook import WebhookNotifier

            channels["webhook"] = WebhookNotifier(
                hook.url,
                timeout=hook.timeout.total_seconds(),
                retries=hook.retries,
                headers=hook.headers,
            )
        qh = self.settings.quiet_hours
        return Dispatcher(
            channels,
            quiet_hours=None if qh is None else str(qh),
            clock=clock,
            on_notice=on_notice,
            # a person's quiet hours hold back every push channel, not only the desktop
            quiet_channels=frozenset({"desktop", "command", "webhook"}),
        )
