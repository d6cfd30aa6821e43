"""What the engine builds from a loaded config, once per config: its settings in plain
values (seconds, byte counts, enabled feeds), the rule specs, the quote source and the
notification dispatcher.

The config parsed every rule's condition when the file was loaded (``config.Rule.parsed``);
the specs take it as it is, so a config is never parsed twice.  The engine reads no
schema details but these.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

from monitor import paths, trust
from monitor.clock import Clock, ManualClock, WallClock
from monitor.config import Config, Feed, ReplaySettings, Rule
from monitor.config_values import QuietHours
from monitor.formatting import Zones
from monitor.model import Severity
from monitor.news.yahoo import YahooNewsFetcher
from monitor.news.yahoo import search_url as yahoo_search_url
from monitor.notify.channel import Channel
from monitor.notify.command import CommandNotifier
from monitor.notify.desktop import DesktopChannel
from monitor.notify.dispatch import Dispatcher
from monitor.notify.webhook import WebhookNotifier
from monitor.price_limits import board_limit
from monitor.quotes.base import QuoteSource
from monitor.quotes.playback import playback_delay
from monitor.quotes.recorded import RecordedQuotes
from monitor.rules import RuleSpec

#: the channels a person's quiet hours hold back: every push channel, not only the desktop
QUIET_CHANNELS = frozenset({"desktop", "command", "webhook"})


@dataclass(frozen=True)
class FeedView:
    """One feed as the poller sees it (``every`` in seconds; None: the global interval)."""

    name: str
    url: str  # a "yahoo" source's: its search URL
    every: float | None
    enabled: bool
    query: str | None
    kind: str = "rss"  # "rss" (RSS or Atom) or "yahoo" (Yahoo Finance news search)
    term: str | None = None  # what a "yahoo" source searches for: words or its ticker
    ticker: str | None = None  # a "yahoo" source following a ticker

    @property
    def where(self) -> str:
        """Where the feed's news comes from, as a person would say it."""
        if self.kind != "yahoo":
            return self.url
        if self.ticker:
            return f"Yahoo Finance news of {self.ticker}"
        return f"Yahoo Finance news search: {self.term}"


def feed_view(feed: Feed) -> FeedView:
    """A configured feed as the poller sees it: a "yahoo" source's URL is its search's."""
    every = feed.every.total_seconds() if feed.every else None
    url = feed.url or ""
    if feed.yahoo_term is not None:
        url = yahoo_search_url(feed.yahoo_term, feed.count)
    return FeedView(
        feed.name,
        url,
        every,
        feed.enabled,
        feed.query,
        kind=feed.kind,
        term=feed.yahoo_term,
        ticker=feed.ticker,
    )


def rule_spec(rule: Rule) -> RuleSpec:
    """The runner's view of one configured rule, from the condition parsed at load."""
    return RuleSpec(
        name=rule.name,
        rule=rule.parsed,
        when=rule.when,
        notify=tuple(rule.notify or ()),  # the config filled [settings] notify in
        cooldown=rule.cooldown.total_seconds(),
        once=rule.once,
        levels=tuple(rule.levels) if rule.levels else None,
        severity=Severity(rule.severity),
        allow_stale=rule.allow_stale,
        enabled=rule.enabled,
        hysteresis=rule.hysteresis,
    )


@dataclass
class EngineSettings:
    """A loaded config resolved once into what the engine's parts read.

    Plain attributes, so a test may speed an interval up (``settings.quotes_every``)
    below the floor the file allows.
    """

    config: Config
    news_every: float
    quotes_every: float
    feed_timeout: float
    max_feed_bytes: int
    allow_private_redirects: bool
    groups: dict[str, list[str]]
    symbols: list[str]
    news_query: str
    aliases: dict[str, list[str]]
    all_feeds: list[FeedView]
    feeds: list[FeedView]  # the enabled ones
    rule_specs: tuple[RuleSpec, ...]
    replay: ReplaySettings
    quiet_hours: QuietHours | None
    stream: bool = True  # prices pushed by Yahoo's streamer (live quotes only)
    zones: Zones = Zones()  # which zone each time is shown in
    rule_quiet_hours: dict[str, QuietHours | Literal["off"]] = field(default_factory=dict)
    origin: trust.Origin | None = None  # the file, for the trust checks (None: no file)

    @classmethod
    def from_config(cls, config: Config, origin: trust.Origin | None = None) -> EngineSettings:
        s = config.settings
        all_feeds = [feed_view(f) for f in config.news.feeds]
        return cls(
            config=config,
            news_every=s.news_every.total_seconds(),
            quotes_every=s.quotes_every.total_seconds(),
            feed_timeout=s.feed_timeout.total_seconds(),
            max_feed_bytes=int(s.max_feed_mb * 1_000_000),
            allow_private_redirects=s.allow_private_redirects,
            groups=config.groups,
            symbols=config.symbols(),
            news_query=config.news.query,
            aliases={k: list(v) for k, v in config.aliases.items()},
            all_feeds=all_feeds,
            feeds=[f for f in all_feeds if f.enabled],
            rule_specs=tuple(rule_spec(rule) for rule in config.alerts),
            replay=s.replay,
            quiet_hours=s.quiet_hours,
            stream=s.stream,
            zones=s.zones(),
            rule_quiet_hours={
                r.name: r.quiet_hours for r in config.alerts if r.quiet_hours is not None
            },
            origin=origin,
        )

    # ---- derived values --------------------------------------------------------------

    @property
    def news_tick(self) -> float:
        """The news job's interval: each feed is fetched when its own interval is due."""
        intervals = [f.every or self.news_every for f in self.feeds] or [self.news_every]
        return max(10.0, min(intervals))

    @property
    def feed_queries(self) -> dict[str, str]:
        """Feeds with their own topic query instead of [news] query."""
        return {f.name: f.query for f in self.feeds if f.query is not None}

    @property
    def rule_names(self) -> frozenset[str]:
        return frozenset(spec.name for spec in self.rule_specs)

    @property
    def database(self) -> Path:
        return self.config.settings.database_path()

    @property
    def recorded_quotes(self) -> Path | None:
        """The recorded quotes CSV, or None when quotes are live from yfinance."""
        return self.config.settings.recorded_quotes()

    @property
    def quote_source_label(self) -> str:
        path = self.recorded_quotes
        return f"recorded file {path}" if path else "yfinance (Yahoo Finance)"

    def history_symbols(self) -> list[str]:
        """Symbols whose daily history adds context to rules (moves, volume, streaks)."""
        seen = list(dict.fromkeys(s for rule in self.config.alerts for s in rule.symbols))
        # A-shares: the watchlist shows their limit-up streak
        return seen + [s for s in self.symbols if s not in seen and board_limit(s) is not None]

    def uses_channel(self, channel: str) -> bool:
        return any(channel in spec.notify for spec in self.rule_specs)

    def quiet_hours_for(self, rule: str) -> QuietHours | Literal["off"] | None:
        """A rule's own quiet hours ("off": none); None: the global ones."""
        return self.rule_quiet_hours.get(rule)


# ---- quote sources -------------------------------------------------------------------


def make_quote_source(
    settings: EngineSettings, history_file: Path | None = None, clock: Clock | None = None
) -> QuoteSource:
    path = settings.recorded_quotes
    if path is not None:
        return RecordedQuotes(
            path,
            clock=clock if isinstance(clock, ManualClock) else None,
            start=settings.replay.start,
            daily_history=history_file or settings.config.settings.history,
        )
    # Batch quotes + rolling charts: 1 request per refresh for 100 symbols instead
    # of 100, and no pandas until daily history is needed (bench/README.md, #3).
    # Deferred: yahoo_live pulls in httpx and the Yahoo session only a live run needs.
    from monitor.quotes.yahoo_live import YahooLiveQuotes

    return YahooLiveQuotes(
        clock=clock or WallClock(),
        cache_dir=paths.cache_dir(),
        quotes_every=settings.quotes_every,
    )


def stream_url(
    settings: EngineSettings, given: str | None = None, *, own_source: bool = True
) -> str | None:
    """Where streamed prices come from: the URL given, else Yahoo's streamer when the
    engine reads live quotes of its own (not a recording, not an injected source) and
    the config does not say ``stream = false``."""
    if given is not None:
        return given
    if not own_source or settings.recorded_quotes is not None or not settings.stream:
        return None
    from monitor.quotes import stream  # read at call time: tests point it elsewhere

    return stream.STREAM_URL


def source_and_clock(
    settings: EngineSettings,
    source: QuoteSource | None,
    clock: Clock | None,
    history_file: Path | None = None,
) -> tuple[QuoteSource, Clock]:
    """The quote source (the given one, else the config's) and the clock everything
    reads: the given one, else the recording's own time for a recorded source, else
    the wall clock."""
    if source is None:
        source_clock = clock or (None if settings.recorded_quotes else WallClock())
        source = make_quote_source(settings, history_file, source_clock)
    if clock is None:
        recorded = source if isinstance(source, RecordedQuotes) else None
        clock = replay_clock(settings, recorded) if recorded else WallClock()
    return source, clock


def replay_clock(settings: EngineSettings, source: RecordedQuotes) -> ManualClock:
    """A clock that follows the recording, starting where the playback starts."""
    clock = ManualClock(settings.replay.start or source.first_time)
    source.clock = clock
    return clock


def replay_delay(
    settings: EngineSettings,
    prev: datetime,
    nxt: datetime,
    symbols: Sequence[str],
    speed: float | None = None,
) -> float:
    """Real seconds between two recorded batches at ``speed`` (None: the config's)."""
    replay = settings.replay
    return playback_delay(
        prev,
        nxt,
        speed=speed or replay.speed,
        skip_closed=replay.skip_closed,
        symbols=symbols,
        max_gap=replay.max_gap.total_seconds() if replay.max_gap else None,
    )


def make_yahoo_news(settings: EngineSettings) -> YahooNewsFetcher:
    """The fetcher of "yahoo" news sources, over the live quote path's Yahoo client
    (curl_cffi as Chrome; no request is made unless such a source is configured)."""
    from monitor.quotes.yahoo_http import YahooHttp

    return YahooNewsFetcher(
        YahooHttp(timeout=settings.feed_timeout), deadline=settings.feed_timeout
    )


# ---- notifications -------------------------------------------------------------------


def make_dispatcher(
    settings: EngineSettings, clock: Clock, on_notice: Callable[[str], None]
) -> Dispatcher:
    channels: dict[str, Channel] = {}
    if settings.uses_channel("desktop"):
        channels["desktop"] = DesktopChannel(on_unavailable=on_notice)
    refused = functools.partial(trust.refusal, settings.origin)  # programs need trust
    cmd = settings.config.notify.command
    if cmd is not None:
        command = CommandNotifier(cmd.argv, timeout=cmd.timeout.total_seconds())
        channels["command"] = trust.Guarded(command, refused)
    hook = settings.config.notify.webhook
    if hook is not None:
        webhook = WebhookNotifier(
            hook.url,
            timeout=hook.timeout.total_seconds(),
            retries=hook.retries,
            headers=hook.headers,
        )
        channels["webhook"] = trust.Guarded(webhook, refused)
    return Dispatcher(
        channels,
        quiet_hours=settings.quiet_hours,
        tz=settings.zones.local,
        clock=clock,
        on_notice=on_notice,
        quiet_channels=QUIET_CHANNELS,
    )


def program_refusal(settings: EngineSettings) -> str | None:
    """Why this config's command and webhook alerts are off (``monitor.trust``), or None
    (also when it has neither)."""
    notify = settings.config.notify
    if notify.command is None and notify.webhook is None:
        return None
    return trust.refusal(settings.origin)
