"""The sections of the watchlist file: every table and field, each documented.

``monitor.config`` joins them into the whole file (``Config``), checks what spans
sections, finds and loads the file and renders this schema as the README reference.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    PrivateAttr,
    field_validator,
    model_validator,
)

from monitor import paths
from monitor.config_errors import LocatedError
from monitor.config_values import (
    CONTROLS_REFUSED,
    AtLeast,
    QuietHours,
    Symbol,
    TypeName,
    check_key,
    check_query,
    check_quote_source,
    check_time_zone,
    existing_file,
    http_url,
    parse_quiet_hours,
    parse_rule_text,
    resolve_path,
    rule_quiet_hours,
    rule_symbols,
)
from monitor.formatting import Zones
from monitor.key_actions import keys_problem
from monitor.text import has_controls

if TYPE_CHECKING:  # the rule language sits above the config; only its type is named here
    from monitor.rules.language import Rule as ParsedRule

Channel = Literal["terminal", "desktop", "command", "webhook"]
Severity = Literal["info", "warning", "critical"]
_DEFAULT_CHANNELS: list[Channel] = ["terminal", "desktop"]


# Each field is documented by the string under it.  Those strings are read only when the
# reference is rendered (``monitor.config.reference_markdown``): pydantic's
# ``use_attribute_docstrings`` would parse this module's source at every start (~0.15 s).
MODEL = ConfigDict(extra="forbid")

# Names are shown on the terminal (status bar, panes, notifications): no escape
# sequences, control characters or bidi overrides may hide in them.


def _plain_name(value: str) -> str:
    if has_controls(value):
        raise ValueError(CONTROLS_REFUSED)
    return value


Name = Annotated[str, Field(min_length=1), AfterValidator(_plain_name)]


# ---- sections ------------------------------------------------------------------------


class ReplaySettings(BaseModel):
    """How a recorded quotes CSV is played back (`quote_source` is a file)."""

    model_config = MODEL

    speed: float = Field(60.0, gt=0)
    """Recorded seconds played per real second (60 = one recorded minute a second)."""
    start: AwareDatetime | None = None
    """Where playback begins, an ISO-8601 date-time with offset; earlier rows load at
    once as history. None: from the first row."""
    skip_closed: bool = True
    """Jump over stretches when the market is closed instead of playing them in real
    time."""
    max_gap: Annotated[timedelta, AtLeast(timedelta(seconds=1))] | None = None
    """The longest stretch between two recorded batches played at `speed`: a longer one
    (e.g. a day recorded only at its open and close) plays as this long. None: no
    limit."""


class Settings(BaseModel):
    """Polling, sources, storage and defaults for every rule."""

    model_config = MODEL

    news_every: Annotated[timedelta, AtLeast(timedelta(seconds=10))] = timedelta(minutes=2)
    """How often each feed is polled (a feed's own `every` overrides it); at least 10s."""
    quotes_every: Annotated[timedelta, AtLeast(timedelta(seconds=5))] = timedelta(seconds=30)
    """How often quotes are refreshed; at least 5s."""
    quote_source: Annotated[
        Literal["yfinance"] | Path,
        PlainValidator(check_quote_source),
        TypeName('"yfinance" | path'),
    ] = "yfinance"
    """"yfinance" for live quotes, or the path of a recorded quotes CSV to replay
    (relative to this file; it must exist)."""
    stream: bool = True
    """With live quotes: prices pushed by Yahoo's streamer while a watchlist market is
    open (polling stays for names, charts and as the fallback). false: polling only."""
    database: Annotated[Path | None, PlainValidator(resolve_path), TypeName("path")] = None
    """SQLite file for headlines, quotes and alerts (relative to this file). None: the
    user data dir, e.g. ~/.local/share/monitor/monitor.db."""
    notify: list[Channel] = Field(default_factory=lambda: _DEFAULT_CHANNELS.copy())
    """Default notification channels of every rule: "terminal", "desktop", "command"
    (needs [notify.command]) and "webhook" (needs [notify.webhook])."""
    quiet_hours: Annotated[
        QuietHours | None, PlainValidator(parse_quiet_hours), TypeName("time range")
    ] = None
    """Local-time window (in `time_zone`) such as "22:00-07:00" (may span midnight) in
    which alerts are not pushed to the desktop, a command or a webhook. None: never."""
    times: Literal["exchange", "local"] = "exchange"
    """Which clock times are read on. "exchange": market data (a quote's time, a price
    alert) in its exchange's own zone, e.g. 14:55 +08 for Shenzhen or 09:30 EST for New
    York, and everything else (news, polls, the clock) in `time_zone`; "local": every
    time in `time_zone`. Each time names its zone (a UTC offset where the abbreviation
    is ambiguous, as CST is) and carries its date when it is not today."""
    time_zone: Annotated[
        ZoneInfo | None, PlainValidator(check_time_zone), TypeName("zone name")
    ] = None
    """The local zone, an IANA name such as "America/New_York"; also the zone of
    `quiet_hours`. None: the machine's own zone."""
    theme: str = "textual-dark"
    """Textual theme of the app (e.g. "textual-dark", "nord", "gruvbox")."""
    terminal_notifications: Literal["auto", "osc9", "osc777", "osc99", "bell", "off"] = "auto"
    """How the "terminal" channel reaches your desktop through the terminal itself (also
    over SSH): "osc9" (iTerm2, Windows Terminal), "osc777" (WezTerm, foot, Ghostty),
    "osc99" (kitty), "bell" (ring only), "off"; "auto" detects it from TERM_PROGRAM, TERM,
    KITTY_WINDOW_ID... Inside tmux it needs `set -g allow-passthrough on`."""
    keys: dict[str, Annotated[str, PlainValidator(check_key), TypeName("key")]] = Field(
        default_factory=dict
    )
    """Key remapping as action = key, e.g. refresh = "ctrl+r" or "f5, ctrl+r"; the
    action names are the last column of `?`. A key another action already uses at the
    same time (refresh = "q" would leave no key to quit with) is refused."""
    max_feed_mb: float = Field(10.0, gt=0)
    """Largest feed response accepted, in megabytes (protects against huge or endless
    bodies)."""
    feed_timeout: Annotated[timedelta, AtLeast(timedelta(seconds=1))] = timedelta(seconds=30)
    """Total deadline for one feed fetch (connect, redirects and body)."""
    allow_private_redirects: bool = False
    """Let a feed on a public address redirect to a loopback, link-local or private
    address (normally refused: a hostile feed could probe your own network)."""
    history: Annotated[Path | None, PlainValidator(existing_file), TypeName("path")] = None
    """Optional daily-closes CSV (date,symbol,open,high,low,close,volume) giving replay
    context such as volume ratios and "largest drop since" (relative to this file)."""
    replay: ReplaySettings = Field(default_factory=ReplaySettings)
    """Playback of a recorded quote source: see [settings.replay]."""

    def database_path(self) -> Path:
        """Where the SQLite file lives (the user data dir unless `database` is set)."""
        return self.database if self.database is not None else paths.default_database()

    @model_validator(mode="after")
    def _keys_work(self) -> Settings:
        problem = keys_problem(self.keys)
        if problem is not None:
            action, why = problem
            raise LocatedError(why, ("keys", action))
        return self

    def zones(self) -> Zones:
        """Where times are shown (``times`` and ``time_zone``)."""
        return Zones(local=self.time_zone, exchange=self.times == "exchange")

    def recorded_quotes(self) -> Path | None:
        """The recorded quotes CSV, or None when quotes are live from yfinance."""
        return None if self.quote_source == "yfinance" else Path(self.quote_source)


class CommandNotify(BaseModel):
    """Run a program for each alert (argv, never through a shell)."""

    model_config = MODEL

    argv: list[Annotated[str, Field(min_length=1)]] = Field(min_length=1)
    """The program and its arguments, e.g. ["notify-send", "monitor"]."""
    timeout: Annotated[timedelta, AtLeast()] = timedelta(seconds=10)
    """How long the program may run before it is killed."""


class WebhookNotify(BaseModel):
    """POST each alert to a URL."""

    model_config = MODEL

    url: Annotated[str, PlainValidator(lambda v: http_url(v, "webhook URL")), TypeName("url")]
    """The http(s) URL to POST to."""
    timeout: Annotated[timedelta, AtLeast()] = timedelta(seconds=10)
    """Deadline for each attempt."""
    retries: int = Field(3, ge=0)
    """Further attempts after a failed one."""
    headers: dict[str, str] = Field(default_factory=dict)
    """Extra HTTP headers, e.g. Authorization = "Bearer ..."."""


class NotifySettings(BaseModel):
    """Settings of the channels that need them."""

    model_config = MODEL

    command: CommandNotify | None = None
    """[notify.command]: needed by rules that notify "command"."""
    webhook: WebhookNotify | None = None
    """[notify.webhook]: needed by rules that notify "webhook"."""


class Feed(BaseModel):
    """One news source: an RSS or Atom feed, or Yahoo Finance news for a search term or
    a ticker."""

    model_config = MODEL

    name: Name
    """Unique name, shown as the headline's feed and in source status."""
    kind: Literal["rss", "yahoo"] = "rss"
    """"rss": the RSS or Atom feed at `url`. "yahoo": Yahoo Finance news for `search` or
    `ticker` (Yahoo's own search, as yfinance's Search; no URL needed)."""
    url: (
        Annotated[str, PlainValidator(lambda v: http_url(v, "feed URL")), TypeName("url")] | None
    ) = None
    """The feed's http(s) URL (kind "rss": required)."""
    search: Annotated[str, Field(min_length=1), AfterValidator(_plain_name)] | None = None
    """kind "yahoo": the words to search Yahoo Finance news for, e.g. "DeepSeek"."""
    ticker: Symbol | None = None
    """kind "yahoo": a symbol whose Yahoo Finance news to follow, e.g. "NVDA" (the
    stories Yahoo relates to it)."""
    count: int = Field(20, ge=1, le=100)
    """kind "yahoo": how many of Yahoo's newest stories each poll asks for."""
    every: Annotated[timedelta, AtLeast(timedelta(seconds=10))] | None = None
    """Poll interval for this feed. None: [settings] news_every."""
    enabled: bool = True
    """false keeps the feed in the file without polling it."""
    query: Annotated[str | None, PlainValidator(check_query), TypeName("query")] = None
    """A topic query used for this feed instead of [news] query ("" shows everything)."""

    @model_validator(mode="after")
    def _fields_of_kind(self) -> Feed:
        if self.kind == "rss":
            if self.url is None:
                raise LocatedError("missing key 'url' (the feed's http(s) URL)")
            for key in ("search", "ticker"):
                if getattr(self, key) is not None:
                    raise LocatedError(f'only a kind = "yahoo" source has {key}', (key,))
            return self
        if self.url is not None:
            raise LocatedError(
                'a kind = "yahoo" source has no url (it uses search or ticker)', ("url",)
            )
        if (self.search is None) == (self.ticker is None):
            both = "not both" if self.search is not None else "one is missing"
            raise LocatedError(
                f'a kind = "yahoo" source needs search or ticker ({both})', ("search",)
            )
        return self

    @property
    def yahoo_term(self) -> str | None:
        """What a "yahoo" source asks Yahoo's search for: its search words or ticker."""
        return None if self.kind != "yahoo" else self.search or self.ticker


class News(BaseModel):
    """Which headlines are shown, and from where."""

    model_config = MODEL

    query: Annotated[str, PlainValidator(check_query), TypeName("query")] = ""
    """Topic query a headline must match: words, "quoted phrases", OR, AND, NOT and
    parentheses, e.g. 'DeepSeek OR "Liang Wenfeng"'. "": every headline."""
    feeds: list[Feed] = Field(default_factory=list)
    """The feeds to poll: see [[news.feeds]]."""


class Rule(BaseModel):
    """One alert rule: a condition in the rule language and how to notify."""

    model_config = MODEL

    name: Name
    """Unique name, shown in alerts and used by snooze/mute."""
    when: Annotated[str, Field(min_length=1), TypeName("rule")]
    """The condition, e.g. "^SOX day% <= -5" or 'news "DeepSeek" count >= 5 within 30m'."""
    notify: list[Channel] | None = None
    """Channels for this rule. None: [settings] notify."""
    cooldown: Annotated[timedelta, AtLeast()] = timedelta(minutes=30)
    """Least time between two alerts of this rule."""
    once: Literal["day"] | None = None
    """"day": fire at most once a day. None: no such limit."""
    levels: list[float] | None = Field(None, min_length=1)
    """Escalation thresholds, in order of severity (e.g. [-5, -7.5, -10]); crossing each
    further level fires again. None: just the threshold in `when`."""
    severity: Severity = "warning"
    """"info", "warning" or "critical"."""
    quiet_hours: Annotated[
        QuietHours | Literal["off"] | None,
        PlainValidator(rule_quiet_hours),
        TypeName("time range"),
    ] = None
    """Quiet hours for this rule ("22:00-07:00"; "off" or "" for none). None: [settings]
    quiet_hours."""
    allow_stale: bool = False
    """Evaluate even on stale or closed-session quotes (normally such rules wait)."""
    enabled: bool = True
    """false keeps the rule in the file without evaluating it."""
    hysteresis: float | None = Field(None, ge=0)
    """How far the value must move back past the threshold before the rule re-arms.
    None: the rule engine's default."""

    _parsed: ParsedRule | None = PrivateAttr(default=None)
    _symbols: tuple[str, ...] = PrivateAttr(default=())

    @field_validator("levels")
    @classmethod
    def _monotonic(cls, levels: list[float] | None) -> list[float] | None:
        if levels and len(levels) > 1:
            steps = [b - a for a, b in zip(levels, levels[1:], strict=False)]
            if not (all(s > 0 for s in steps) or all(s < 0 for s in steps)):
                raise ValueError(f"levels must rise or fall steadily, got {levels}")
        return levels

    @model_validator(mode="after")
    def _parse_when(self) -> Rule:
        self._parsed = parse_rule_text(self.when)
        self._symbols = rule_symbols(self._parsed)
        return self

    @property
    def parsed(self) -> ParsedRule:
        """The condition as parsed (once, when the file was loaded) by
        ``monitor.rules.parser.parse_rule``."""
        assert self._parsed is not None  # set by the validator above
        return self._parsed

    @property
    def symbols(self) -> tuple[str, ...]:
        """Symbols the condition reads."""
        return self._symbols
