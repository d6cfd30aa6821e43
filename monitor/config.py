"""The watchlist file: schema, search order, loading and clear errors.

Search order (the first that applies wins; a path given explicitly must exist):

1. ``--config PATH`` on the command line
2. ``$MONITOR_CONFIG``
3. ``./watchlist.toml`` in the current directory
4. ``watchlist.toml`` in the user config dir (``platformdirs.user_config_dir("monitor")``)
5. the bundled default (``config/watchlist.toml`` in the source tree, shipped in the
   wheel as ``monitor/_bundled_config/``)

The sections live in ``monitor.config_schema`` and the value types in
``monitor.config_values``; this module joins them into the whole file (``Config``).  The
schema forbids unknown keys and documents every field; ``reference_markdown()`` renders
it for the README (``python -m monitor.config`` prints it).  Nothing here imports
textual; the query and rule languages are imported lazily, inside validators.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import platformdirs
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

import monitor
from monitor.config_errors import ConfigError, LocatedError, schema_error, toml_error
from monitor.config_schema import (
    MODEL,
    CommandNotify,
    Feed,
    Name,
    News,
    NotifySettings,
    ReplaySettings,
    Rule,
    Settings,
    WebhookNotify,
)
from monitor.config_values import Symbol, default_text, type_text
from monitor.text import one_line

__all__ = [
    "CommandNotify",
    "Config",
    "ConfigError",
    "Feed",
    "LoadedConfig",
    "News",
    "NotifySettings",
    "ReplaySettings",
    "Rule",
    "Settings",
    "WebhookNotify",
    "find_config",
    "load_config",
    "load_config_file",
    "parse_config_text",
    "reference_markdown",
]

APP_NAME = "monitor"
CONFIG_FILENAME = "watchlist.toml"
ENV_VAR = "MONITOR_CONFIG"

GroupName = Name
AliasName = Annotated[str, Field(min_length=1)]


class Config(BaseModel):
    """The whole watchlist file."""

    model_config = MODEL

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
        def check(channels: Sequence[str], loc: tuple[str | int, ...], inherited: bool) -> None:
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
            own = rule.notify
            check(
                self.settings.notify if own is None else own,
                ("alerts", index, "notify"),
                own is None,
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

    def feed_every(self, feed: Feed) -> timedelta:
        """A feed's poll interval: its own `every`, else [settings] news_every."""
        return feed.every or self.settings.news_every


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
    digest: str | None = None  # SHA-256 of the bytes validated (monitor.trust); None: unknown


def bundled_config_dir() -> Path:
    """The shipped config/ directory: inside the installed package, else the checkout's."""
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
        data = path.read_bytes()
        # -sig: tolerate an editor's BOM; newlines as read_text gives them
        text = data.decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
    except FileNotFoundError:
        raise ConfigError("file not found", path=_shown(path)) from None
    except UnicodeDecodeError as err:
        raise _not_utf8(err, data, _shown(path)) from None
    except OSError as err:
        raise ConfigError(f"cannot read: {err.strerror}", path=_shown(path)) from None
    digest = hashlib.sha256(data).hexdigest()
    return LoadedConfig(parse_config_text(text, path), path.absolute(), source, digest)


def _not_utf8(err: UnicodeDecodeError, data: bytes, shown: str) -> ConfigError:
    """Where the first byte that is not UTF-8 sits: line, column and its value."""
    start = err.start + (3 if data.startswith(b"\xef\xbb\xbf") else 0)  # past a BOM
    before = data[:start]
    line = before.count(b"\n") + 1
    column = start - (before.rfind(b"\n") + 1) + 1
    return ConfigError(
        f"not UTF-8 text: byte 0x{data[start]:02X} at column {column} (byte {start + 1} "
        "of the file); save it as UTF-8",
        path=shown,
        line=line,
    )


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


def attribute_docs(model: type) -> dict[str, str]:
    """The string written under each field of ``model``'s class body (its documentation),
    by field name; read from the source, so only when the reference is rendered."""
    import ast
    import inspect
    import textwrap

    body = ast.parse(textwrap.dedent(inspect.getsource(model))).body[0]
    assert isinstance(body, ast.ClassDef)
    docs: dict[str, str] = {}
    for field, doc in zip(body.body, body.body[1:], strict=False):
        if (
            isinstance(field, ast.AnnAssign)
            and isinstance(field.target, ast.Name)
            and isinstance(doc, ast.Expr)
            and isinstance(doc.value, ast.Constant)
            and isinstance(doc.value.value, str)
        ):
            docs[field.target.id] = inspect.cleandoc(doc.value.value)
    return docs


def reference_markdown() -> str:
    """Every section and field of the file: key, type, default and description."""
    out = ["## Configuration reference", ""]
    for heading, section in _SECTIONS:
        out += [f"### `{heading}`", ""]
        if isinstance(section, tuple):
            model, name = section
            out += [one_line(attribute_docs(model).get(name)), ""]
            continue
        out += [one_line(section.__doc__), ""]
        out += ["| key | type | default | description |", "|---|---|---|---|"]
        docs = attribute_docs(section)
        for name, field in section.model_fields.items():
            cells = (
                f"`{name}`",
                type_text(field.annotation, field.metadata),
                default_text(field),
                one_line(docs.get(name)),
            )
            out.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    print(reference_markdown())
