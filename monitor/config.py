"""The watchlist file: schema, search order, loading and clear errors.

Search order (the first that applies wins; a path given explicitly must exist):

1. ``--config PATH`` on the command line
2. ``$MONITOR_CONFIG``
3. ``./watchlist.toml`` in the current directory
4. ``watchlist.toml`` in the user config dir (``platformdirs.user_config_dir("monitor")``)
5. the bundled default (``config/watchlist.toml`` in the source tree, shipped in the
   wheel as ``monitor/_bundled_config/``)

The schema forbids unknown keys and documents every field; ``reference_markdown()``
renders it for the README (``python -m monitor.config`` prints it).  Nothing here
imports textual; the query and rule languages are imported lazily, inside validators.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

import platformdirs
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from monitor import paths
from monitor.config_errors import ConfigError, LocatedError, schema_error, toml_error
from monitor.config_values import (
    AtLeast,
    QuietHours,
    Symbol,
    TypeName,
    check_key,
    check_query,
    check_quote_source,
    default_text,
    existing_file,
    http_url,
    parse_quiet_hours,
    parse_rule_text,
    resolve_path,
    rule_quiet_hours,
    rule_symbols,
    type_text,
)
from monitor.text import one_line

APP_NAME = "monitor"
CONFIG_FILENAME = "watchlist.toml"
ENV_VAR = "MONITOR_CONFIG"

Channel = Literal["terminal", "desktop", "command", "webhook"]
Severity = Literal["info", "warning", "critical"]


_Model = ConfigDict(extra="forbid", use_attribute_docstrings=True)

# Names are shown on the terminal (status bar, panes, notifications): no escape
# sequences, control characters or bidi overrides may hide in them.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _plain_name(value: str) -> str:
    if _UNPRINTABLE.search(value):
        raise ValueError("must not contain control characters, escape sequences or bidi marks")
    return value


Name = Annotated[str, Field(min_length=1), AfterValidator(_plain_name)]


# ---- sections ------------------------------------------------------------------------


class ReplaySettings(BaseModel):
    """How a recorded quotes CSV is played back (`quote_source` is a file)."""

    model_config = _Model

    speed: float = Field(60.0, gt=0)
    """Recorded seconds played per real second (60 = one recorded minute a second)."""
    start: AwareDatetime | None = None
    """Where playback begins, an ISO-8601 date-time with offset; earlier rows load at
    once as history. None: from the first row."""
    skip_closed: bool = True
    """Jump over stretches when the market is closed instead of playing them in real
    time."""


class Settings(BaseModel):
    """Polling, sources, storage and defaults for every rule."""

    model_config = _Model

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
    database: Annotated[Path | None, PlainValidator(resolve_path), TypeName("path")] = None
    """SQLite file for headlines, quotes and alerts (relative to this file). None: the
    user data dir, e.g. ~/.local/share/monitor/monitor.db."""
    notify: list[Channel] = Field(default_factory=lambda: ["terminal", "desktop"])
    """Default notification channels of every rule: "terminal", "desktop", "command"
    (needs [notify.command]) and "webhook" (needs [notify.webhook])."""
    quiet_hours: Annotated[
        QuietHours | None, PlainValidator(parse_quiet_hours), TypeName("time range")
    ] = None
    """Local-time window such as "22:00-07:00" (may span midnight) in which alerts
    are not pushed to the desktop, a command or a webhook. None: never."""
    theme: str = "textual-dark"
    """Textual theme of the app (e.g. "textual-dark", "nord", "gruvbox")."""
    keys: dict[str, Annotated[str, PlainValidator(check_key), TypeName("key")]] = Field(
        default_factory=dict
    )
    """Key remapping as action = key, e.g. refresh = "ctrl+r" (the app checks the action
    names)."""
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

    def recorded_quotes(self) -> Path | None:
        """The recorded quotes CSV, or None when quotes are live from yfinance."""
        return None if self.quote_source == "yfinance" else Path(self.quote_source)


class CommandNotify(BaseModel):
    """Run a program for each alert (argv, never through a shell)."""

    model_config = _Model

    argv: list[Annotated[str, Field(min_length=1)]] = Field(min_length=1)
    """The program and its arguments, e.g. ["notify-send", "monitor"]."""
    timeout: Annotated[timedelta, AtLeast()] = timedelta(seconds=10)
    """How long the program may run before it is killed."""


class WebhookNotify(BaseModel):
    """POST each alert to a URL."""

    model_config = _Model

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

    model_config = _Model

    command: CommandNotify | None = None
    """[notify.command]: needed by rules that notify "command"."""
    webhook: WebhookNotify | None = None
    """[notify.webhook]: needed by rules that notify "webhook"."""


class Feed(BaseModel):
    """One RSS or Atom feed."""

    model_config = _Model

    name: Name
    """Unique name, shown as the headline's feed and in source status."""
    url: Annotated[str, PlainValidator(lambda v: http_url(v, "feed URL")), TypeName("url")]
    """The feed's http(s) URL."""
    every: Annotated[timedelta, AtLeast(timedelta(seconds=10))] | None = None
    """Poll interval for this feed. None: [settings] news_every."""
    enabled: bool = True
    """false keeps the feed in the file without polling it."""
    query: Annotated[str | None, PlainValidator(check_query), TypeName("query")] = None
    """A topic query used for this feed instead of [news] query ("" shows everything)."""


class News(BaseModel):
    """Which headlines are shown, and from where."""

    model_config = _Model

    query: Annotated[str, PlainValidator(check_query), TypeName("query")] = ""
    """Topic query a headline must match: words, "quoted phrases", OR, AND, NOT and
    parentheses, e.g. 'DeepSeek OR "Liang Wenfeng"'. "": every headline."""
    feeds: list[Feed] = Field(default_factory=list)
    """The feeds to poll: see [[news.feeds]]."""


class Rule(BaseModel):
    """One alert rule: a condition in the rule language and how to notify."""

    model_config = _Model

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

    _parsed: Any = PrivateAttr(default=None)
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
    def parsed(self) -> Any:
        """The rule as parsed by ``monitor.rules.parser.parse_rule``."""
        return self._parsed

    @property
    def symbols(self) -> tuple[str, ...]:
        """Symbols the condition reads."""
        return self._symbols


GroupName = Name
AliasName = Annotated[str, Field(min_length=1)]


class Config(BaseModel):
    """The whole watchlist file."""

    model_config = _Model

    settings: Settings = Field(default_factory=Settings)
    """[settings]: polling, sources, storage and rule defaults."""
    notify: NotifySettings = Field(default_factory=NotifySettings)
    """[notify.command] and [notify.webhook]."""
    watchlist: dict[GroupName, list[Symbol]] = Field(default_factory=dict)
    """Groups of symbols, "group name" = ["NVDA", "^SOX", ...], shown in this order. A
    symbol may sit in several groups; at least one symbol in all."""
    aliases: dict[Symbol, list[AliasName]] = Field(default_factory=dict)
    """Other names of a symbol, used to tag headlines: NVDA = ["Nvidia", "英伟达"]. Quote
    keys holding a dot: "300766.SZ" = [...]."""
    news: News = Field(default_factory=News)
    """[news]: the topic query and the feeds."""
    alerts: list[Rule] = Field(default_factory=list)
    """[[alerts]]: the alert rules."""

    @field_validator("watchlist")
    @classmethod
    def _dedupe_groups(cls, groups: dict[str, list[str]]) -> dict[str, list[str]]:
        return {name: list(dict.fromkeys(symbols)) for name, symbols in groups.items()}

    @model_validator(mode="after")
    def _cross_check(self) -> Config:
        if not any(self.watchlist.values()):
            raise LocatedError(
                'has no symbols; add a group such as "AI chips" = ["NVDA", "^SOX"]',
                ("watchlist",),
            )
        _unique([feed.name for feed in self.news.feeds], ("news", "feeds"), "feed")
        _unique([rule.name for rule in self.alerts], ("alerts",), "rule")
        self._check_channels()
        self._check_aliases()
        for feed in self.news.feeds:  # fill the inherited defaults in, once
            feed.every = feed.every or self.settings.news_every
        for rule in self.alerts:
            rule.notify = list(self.settings.notify) if rule.notify is None else rule.notify
        return self

    def _check_channels(self) -> None:
        def check(channels: list[str], loc: tuple[str | int, ...], inherited: bool) -> None:
            for channel in ("command", "webhook"):
                if channel in channels and getattr(self.notify, channel) is None:
                    origin = " (from [settings] notify)" if inherited else ""
                    raise LocatedError(
                        f'notifies "{channel}"{origin} but the file has no '
                        f"[notify.{channel}] section",
                        loc,
                    )

        check(self.settings.notify, ("settings", "notify"), False)
        for index, rule in enumerate(self.alerts):
            inherited = rule.notify is None
            check(
                self.settings.notify if inherited else rule.notify,
                ("alerts", index, "notify"),
                inherited,
            )

    def _check_aliases(self) -> None:
        known = self.symbols()
        for symbol in self.aliases:
            if symbol not in known:
                close = difflib.get_close_matches(symbol, known, n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                raise LocatedError(
                    f"alias for a symbol not in the watchlist: {symbol!r}{hint}",
                    ("aliases", symbol),
                )

    # ---- derived views ---------------------------------------------------------------

    def symbols(self) -> list[str]:
        """Every symbol to poll: the watchlist in order, then symbols only rules read."""
        ordered = [symbol for group in self.watchlist.values() for symbol in group]
        ordered += [symbol for rule in self.alerts for symbol in rule.symbols]
        return list(dict.fromkeys(ordered))

    @property
    def groups(self) -> dict[str, list[str]]:
        """The watchlist groups (a copy), in file order."""
        return {name: list(symbols) for name, symbols in self.watchlist.items()}

    def feed(self, name: str) -> Feed:
        """The feed with this name (KeyError if none)."""
        for feed in self.news.feeds:
            if feed.name == name:
                return feed
        raise KeyError(name)

    def feed_query(self, feed: Feed | str) -> str:
        """The query a feed's headlines must match: its own, else [news] query."""
        feed = self.feed(feed) if isinstance(feed, str) else feed
        return self.news.query if feed.query is None else feed.query

    def feed_every(self, feed: Feed) -> timedelta:
        """A feed's poll interval: its own `every`, else [settings] news_every."""
        return feed.every or self.settings.news_every

    def rule_notify(self, rule: Rule) -> list[str]:
        """A rule's channels: its own `notify`, else [settings] notify."""
        return list(self.settings.notify if rule.notify is None else rule.notify)

    def rule_quiet_hours(self, rule: Rule) -> QuietHours | None:
        """A rule's quiet hours: its own ("off" = none), else [settings] quiet_hours."""
        if rule.quiet_hours == "off":
            return None
        return rule.quiet_hours or self.settings.quiet_hours


def _unique(names: list[str], loc: tuple[str | int, ...], what: str) -> None:
    first: dict[str, int] = {}
    for index, name in enumerate(names):
        if name in first:
            raise LocatedError(
                f"duplicate {what} name {name!r} (also #{first[name] + 1})", (*loc, index, "name")
            )
        first[name] = index


# ---- finding and loading the file ----------------------------------------------------


@dataclass
class LoadedConfig:
    """A validated config, the file it came from and how that file was found."""

    config: Config
    path: Path
    source: str  # "--config", "$MONITOR_CONFIG", "./watchlist.toml", "user config dir", ...


def bundled_config_dir() -> Path:
    """The shipped config/ directory: inside the installed package, else the checkout's."""
    import monitor

    installed = Path(monitor.__file__).parent / "_bundled_config"
    return installed if installed.is_dir() else Path(__file__).resolve().parents[1] / "config"


def user_config_path() -> Path:
    """``watchlist.toml`` in the user config dir (it may not exist)."""
    return Path(platformdirs.user_config_dir(APP_NAME)) / CONFIG_FILENAME


def find_config(
    cli_path: str | None, *, env: Mapping[str, str] = os.environ, cwd: Path | None = None
) -> tuple[Path, str]:
    """The config file to use and how it was found (see the module docstring)."""
    here = cwd or Path.cwd()
    for given, source in ((cli_path, "--config"), (env.get(ENV_VAR), f"${ENV_VAR}")):
        if given:
            path = here / Path(given).expanduser()
            if not path.is_file():
                problem = "is a directory" if path.is_dir() else "file not found"
                raise ConfigError(f"{source} {given}: {problem}")
            return path, source
    if (here / CONFIG_FILENAME).is_file():
        return here / CONFIG_FILENAME, f"./{CONFIG_FILENAME}"
    if user_config_path().is_file():
        return user_config_path(), "user config dir"
    return bundled_config_dir() / CONFIG_FILENAME, "bundled default"


def load_config(
    cli_path: str | None = None, *, env: Mapping[str, str] = os.environ, cwd: Path | None = None
) -> LoadedConfig:
    """Find, read and validate the config; raise ConfigError with one clear message."""
    path, source = find_config(cli_path, env=env, cwd=cwd)
    return load_config_file(path, source)


def load_config_file(path: Path, source: str = "--config") -> LoadedConfig:
    """Read and validate one file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")  # -sig: tolerate an editor's BOM
    except FileNotFoundError:
        raise ConfigError("file not found", path=_shown(path)) from None
    except UnicodeDecodeError:
        raise ConfigError("not UTF-8 text", path=_shown(path)) from None
    except OSError as err:
        raise ConfigError(f"cannot read: {err.strerror}", path=_shown(path)) from None
    return LoadedConfig(parse_config_text(text, path), path.absolute(), source)


def parse_config_text(text: str, path: Path) -> Config:
    """Validate config text as if read from ``path`` (relative paths resolve beside it)."""
    path = Path(path)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise toml_error(err, text, _shown(path)) from None
    try:
        return Config.model_validate(raw, context={"base_dir": path.absolute().parent})
    except ValidationError as err:
        raise schema_error(err, Config, raw, text, _shown(path)) from None


def _shown(path: Path) -> str:
    """The path as a person would type it: relative to the current directory if inside."""
    try:
        return str(path.absolute().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


# ---- the reference -------------------------------------------------------------------

#: (heading, model or (model, field) for dict sections, note) in README order.
_SECTIONS: list[tuple[str, Any]] = [
    ("[settings]", Settings),
    ("[settings.replay]", ReplaySettings),
    ("[watchlist]", (Config, "watchlist")),
    ("[aliases]", (Config, "aliases")),
    ("[news]", News),
    ("[[news.feeds]]", Feed),
    ("[[alerts]]", Rule),
    ("[notify.command]", CommandNotify),
    ("[notify.webhook]", WebhookNotify),
]


def reference_markdown() -> str:
    """Every section and field of the file: key, type, default and description."""
    out = ["## Configuration reference", ""]
    for heading, section in _SECTIONS:
        out += [f"### `{heading}`", ""]
        if isinstance(section, tuple):
            model, name = section
            field = model.model_fields[name]
            out += [one_line(field.description), ""]
            continue
        out += [one_line(section.__doc__), ""]
        out += ["| key | type | default | description |", "|---|---|---|---|"]
        for name, field in section.model_fields.items():
            cells = (
                f"`{name}`",
                type_text(field.annotation, field.metadata),
                default_text(field),
                one_line(field.description),
            )
            out.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    print(reference_markdown())
