"""Value types of the watchlist file: durations, symbols, quiet hours, paths, URLs.

Each is a plain function or marker used inside ``Annotated[...]`` in monitor.config, so
the schema reads as a list of fields.  The rule language is imported lazily (it sits a
layer above the config).
"""

from __future__ import annotations

import re
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AwareDatetime, BaseModel, PlainValidator, ValidationInfo
from pydantic_core import core_schema

from monitor.config_errors import ExpressionError, LocatedError
from monitor.durations import DurationError, format_duration, parse_duration
from monitor.query import QueryError, parse_query
from monitor.text import has_controls


@dataclass(frozen=True)
class TypeName:
    """How a field's type is spelled in the reference (pydantic ignores this marker)."""

    name: str


# ---- value types ---------------------------------------------------------------------


@dataclass(frozen=True)
class AtLeast:
    """Marks a ``timedelta`` field as a duration string ("30s", "2m") with a minimum."""

    minimum: timedelta = timedelta(0)

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        return core_schema.no_info_plain_validator_function(self.validate)

    def validate(self, value: Any) -> timedelta:
        if isinstance(value, timedelta):
            parsed = value
        else:
            try:
                parsed = parse_duration(value)
            except DurationError as err:
                raise ValueError(str(err)) from None
        if parsed < self.minimum:
            raise ValueError(f"must be at least {format_duration(self.minimum)}, got {value!r}")
        return parsed


CONTROLS_REFUSED = "must not contain control characters, escape sequences or bidi marks"
_INDEX = re.compile(r"\^[A-Z0-9][A-Z0-9.\-]{0,11}")  # ^SOX, ^GSPC, ^N225, ^STOXX50E
_CHINA = re.compile(r"\d{6}\.(SS|SZ|BJ)")  # Shanghai, Shenzhen, Beijing: always 6 digits
_HONG_KONG = re.compile(r"\d{4,5}\.HK")  # 0700.HK, 9988.HK
_FX_FUTURES = re.compile(r"[A-Z0-9]{1,12}=[XF]")  # EURUSD=X, CL=F
_TICKER = re.compile(r"[A-Z0-9]{1,10}(-[A-Z0-9]{1,5})?(\.[A-Z]{1,3})?")  # BRK-B, VOD.L, 7203.T
SYMBOL_EXAMPLES = "NVDA, ^SOX, 300766.SZ, BTC-USD"


def normalize_symbol(value: Any) -> str:
    """Check a Yahoo-style symbol and return it in upper case."""
    if not isinstance(value, str):
        raise ValueError(f"expected a symbol string like {SYMBOL_EXAMPLES}, got {value!r}")
    symbol = value.strip().upper()
    suffix = symbol.rpartition(".")[2] if "." in symbol else ""
    if suffix in ("SS", "SZ", "BJ") and not _CHINA.fullmatch(symbol):
        raise ValueError(f"A-share codes are 6 digits (e.g. 300766.SZ), got {value!r}")
    if suffix == "HK" and not _HONG_KONG.fullmatch(symbol):
        raise ValueError(f"Hong Kong codes are 4 or 5 digits (e.g. 0700.HK), got {value!r}")
    patterns = (_INDEX, _CHINA, _HONG_KONG, _FX_FUTURES, _TICKER)
    if not any(pattern.fullmatch(symbol) for pattern in patterns):
        raise ValueError(f"unknown symbol format {value!r}; expected e.g. {SYMBOL_EXAMPLES}")
    return symbol


Symbol = Annotated[str, PlainValidator(normalize_symbol), TypeName("symbol")]


@dataclass(frozen=True)
class QuietHours:
    """A daily local-time window ("22:00-07:00") in which notifications are held back."""

    start: time
    end: time

    def contains(self, moment: time) -> bool:
        """Whether a local wall-clock time falls inside the window (end excluded)."""
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end  # the window spans midnight

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


_QUIET = re.compile(r"(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})")


def parse_quiet_hours(value: Any) -> QuietHours:
    """Read "22:00-07:00" (local time; may span midnight)."""
    if isinstance(value, QuietHours):
        return value
    found = _QUIET.fullmatch(value.strip()) if isinstance(value, str) else None
    if not found:
        raise ValueError(f'expected a local time range like "22:00-07:00", got {value!r}')
    hour1, minute1, hour2, minute2 = (int(part) for part in found.groups())
    if hour1 > 23 or hour2 > 23 or minute1 > 59 or minute2 > 59:
        raise ValueError(f"times must be within 00:00-23:59, got {value!r}")
    hours = QuietHours(time(hour1, minute1), time(hour2, minute2))
    if hours.start == hours.end:
        raise ValueError(f"quiet hours start and end at the same time: {value!r}")
    return hours


def rule_quiet_hours(value: Any) -> QuietHours | Literal["off"]:
    if isinstance(value, str) and value.strip().lower() in ("", "off"):
        return "off"
    return parse_quiet_hours(value)


def http_url(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{what} must be a string, got {value!r}")
    url = value.strip()
    if has_controls(url):
        raise ValueError(f"{what} {CONTROLS_REFUSED}")
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{what} must be http(s), got {value!r}")
    return url


def _base_dir(info: ValidationInfo) -> Path:
    context = info.context or {}
    return Path(context.get("base_dir") or Path.cwd())


def resolve_path(value: Any, info: ValidationInfo) -> Path:
    """A path from the file, relative to the config file's own directory."""
    if not isinstance(value, str | Path) or not str(value).strip():
        raise ValueError(f"expected a file path, got {value!r}")
    path = Path(value).expanduser()
    return path if path.is_absolute() else _base_dir(info) / path


def existing_file(value: Any, info: ValidationInfo) -> Path:
    path = resolve_path(value, info)
    if not path.is_file():
        raise ValueError(
            f"file not found: {str(path)!r} (relative paths are read from the config file's "
            f"directory)"
        )
    return path


def check_quote_source(value: Any, info: ValidationInfo) -> Literal["yfinance"] | Path:
    if isinstance(value, str) and value.strip().lower() == "yfinance":
        return "yfinance"
    try:
        return existing_file(value, info)
    except ValueError as err:
        raise ValueError(f'{err}; use "yfinance" or a recorded quotes CSV') from None


def check_query(value: Any) -> str:
    """Check a topic query with the news matcher, so a typo shows its column here."""
    if not isinstance(value, str):
        raise ValueError(f"expected a query string, got {value!r}")
    if not value.strip():
        return value
    if has_controls(value, lines_ok=True):
        raise ValueError(CONTROLS_REFUSED)
    try:
        parse_query(value)
    except QueryError as err:
        raise ExpressionError(err.message, value, err.position) from None
    return value


def check_time_zone(value: Any) -> ZoneInfo:
    """An IANA zone name such as "America/New_York" or "Asia/Shanghai"."""
    if isinstance(value, ZoneInfo):
        return value
    example = 'an IANA zone name such as "America/New_York" or "Asia/Shanghai"'
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"expected {example}, got {value!r}")
    try:
        return ZoneInfo(value.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r} (expected {example})") from None


def check_key(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f'expected a key such as "ctrl+r" or "f5", got {value!r}')
    return value.strip()


def parse_rule_text(text: str) -> Any:
    """Parse a rule's `when` with the rule language (the error shows the column)."""
    # Deferred: the rule language sits a layer above the config (rules -> config), so
    # the config reaches it only here, when a file has [[alerts]] to check.
    from monitor.rules.parser import RuleSyntaxError, parse_rule

    if has_controls(text, lines_ok=True):
        raise LocatedError(CONTROLS_REFUSED, loc=("when",))

    try:
        parsed = parse_rule(text)
    except RuleSyntaxError as err:
        hint = getattr(err, "hint", None)
        raise ExpressionError(err.message, text, err.position, hint, loc=("when",)) from None
    return parsed


def rule_symbols(parsed: Any) -> tuple[str, ...]:
    """The symbols a parsed rule reads, checked and upper-cased like the watchlist's."""
    try:
        return tuple(normalize_symbol(symbol) for symbol in parsed.symbols)
    except ValueError as err:
        raise LocatedError(str(err), ("when",)) from None


# ---- how values read in the reference -----------------------------------------------


def type_text(annotation: Any, metadata: Sequence[Any] = ()) -> str:
    """How a field's type reads in the reference: "duration", "list of symbol"..."""
    for marker in metadata:
        if isinstance(marker, TypeName):
            return marker.name
        if isinstance(marker, AtLeast):
            return "duration"
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is Annotated:
        return type_text(args[0], list(args[1:]))
    if origin is Literal:
        return " | ".join(f'"{arg}"' for arg in args)
    if origin in (list, tuple):
        inner = type_text(args[0])
        return "array of tables" if inner == "table" else f"list of {inner}"
    if origin is dict:
        return f"table of {type_text(args[1])}"
    if args and type(None) in args:  # X | None
        rest = [arg for arg in args if arg is not type(None)]
        return " | ".join(type_text(arg) for arg in rest) + " (optional)"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "table"
    if annotation is AwareDatetime:
        return "date-time with offset"
    names = {str: "string", int: "integer", float: "number", bool: "boolean", Path: "path"}
    return names.get(annotation, getattr(annotation, "__name__", str(annotation)))


def default_text(field: Any) -> str:
    """A field's default as it would be written in TOML ("required" if none)."""
    if field.is_required():
        return "required"
    value = field.get_default(call_default_factory=True)
    return _toml_value(value)


def _toml_value(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    if isinstance(value, timedelta):
        return f'`"{format_duration(value)}"`'
    if isinstance(value, str):
        return f'`"{value}"`'
    if isinstance(value, list):
        return "`[" + ", ".join(f'"{item}"' for item in value) + "]`"
    if isinstance(value, dict):
        return "`{}`" if not value else f"`{value}`"
    if isinstance(value, BaseModel):
        return "(table)"
    return f"`{value:g}`" if isinstance(value, float) else f"`{value}`"
