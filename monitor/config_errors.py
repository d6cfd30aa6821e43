"""Turning TOML and schema errors into one clear line a person can act on.

``ConfigError`` is the only exception the loader lets out.  Its text names the file,
the line (found by scanning the text: tomllib gives no positions for values), the key
path in the file's own notation and what is wrong, e.g.::

    config/watchlist.toml:14: [[news.feeds]] #2 .url: feed URL must be http(s), got 'ftp://x'
"""

from __future__ import annotations

import difflib
import re
import tomllib
import typing
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from monitor.config_lines import BARE_KEY, Loc, key_lines, line_of
from monitor.text import visible

MAX_REPORTED = 3


class ConfigError(Exception):
    """A config problem, already worded for the person editing the file.

    Names, keys and lines of the file it quotes may hold escape sequences: they are
    written out (``\\x1b``) so the terminal shows them rather than acting on them.
    """

    def __init__(self, message: str, *, path: Path | str | None = None, line: int | None = None):
        message = "\n".join(visible(part) for part in message.split("\n"))
        path = visible(str(path)) if path is not None else None
        self.message = message
        self.path = Path(path) if path is not None else None
        self.line = line
        where = f"{path}:{line}: " if path is not None and line else f"{path}: " if path else ""
        super().__init__(where + message)


class LocatedError(ValueError):
    """Raised inside validators when the problem sits below the validated object.

    ``loc`` is relative to the object being validated (``()`` for the object itself), so
    a root-level cross-check can point at ``("news", "feeds", 2, "name")``.
    """

    def __init__(self, message: str, loc: Loc = ()):
        super().__init__(message)
        self.message = message
        self.loc = loc


class ExpressionError(LocatedError):
    """A query or rule that does not parse, shown with a caret under the column."""

    def __init__(
        self,
        message: str,
        text: str,
        position: int | None,
        hint: str | None = None,
        loc: Loc = (),
    ):
        super().__init__(message, loc)
        self.text, self.position, self.hint = text, position, hint

    def render(self) -> str:
        if self.position is None:
            return self.message + (f"\n    hint: {self.hint}" if self.hint else "")
        column = self.position + 1
        hint = f"  hint: {self.hint}" if self.hint else ""
        return f"{self.message} at column {column}\n{_echo(self.text, self.position)}{hint}"


def _echo(text: str, position: int) -> str:
    """The text on one line, indented, with a caret under ``position``; characters a
    terminal would act on are written out, and the caret still points at its column."""
    flat = text.replace("\n", " ")
    offset = len(visible(flat[:position]))
    return f"    {visible(flat)}\n    {' ' * offset}^"


# ---- TOML syntax ---------------------------------------------------------------------

_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


def toml_error(err: tomllib.TOMLDecodeError, text: str, path: Path | str) -> ConfigError:
    """Reword tomllib's message ("... (at line 3, column 10)") with the line shown."""
    message = str(err)
    found = _TOML_POSITION.search(message)
    if not found:
        message = message.replace(" (at end of document)", "")
        return ConfigError(f"TOML syntax error: {message} (at end of file)", path=path)
    line, column = int(found.group(1)), int(found.group(2))
    message = message[: found.start()]
    if message.startswith("Cannot overwrite a value") or message.startswith("Cannot declare"):
        message += " (a key or table is defined twice)"
    source_lines = text.splitlines()
    shown = source_lines[line - 1] if 0 < line <= len(source_lines) else ""
    return ConfigError(
        f"TOML syntax error: {message} at column {column}\n{_echo(shown, column - 1)}",
        path=path,
        line=line,
    )


# ---- describing a location -----------------------------------------------------------


def _key(part: str) -> str:
    return part if BARE_KEY.fullmatch(part) else '"' + part.replace('"', '\\"') + '"'


def describe(loc: Loc, raw: Any) -> str:
    """``("alerts", 0, "when")`` -> ``[[alerts]] "SOX selloff" .when`` using the raw data."""
    table: list[str] = []
    node, index = raw, 0
    while index < len(loc) and isinstance(node, dict) and isinstance(node.get(loc[index]), dict):
        table.append(str(loc[index]))
        node = node[loc[index]]
        index += 1
    header = ".".join(_key(part) for part in table)
    header = f"[{header}]" if header else ""
    item = _array_item(node, loc[index : index + 2])
    if item is not None:
        table.append(str(loc[index]))
        header = "[[" + ".".join(_key(part) for part in table) + "]]"
        header += _item_label(tuple(table), int(loc[index + 1]), item)
        index += 2
    elif not table and loc and isinstance(loc[0], str):  # every top-level key is a table
        header, index = f"[{_key(loc[0])}]", 1
    rest = _key_path(loc[index:])
    return " ".join(part for part in (header, rest) if part)


def _array_item(node: Any, pair: Loc) -> dict[str, Any] | None:
    """The table at ``node[key][i]`` when ``pair`` is ``(key, i)`` into an array of tables."""
    if len(pair) < 2 or not isinstance(node, dict) or not isinstance(pair[1], int):
        return None
    items = node.get(pair[0])
    if isinstance(items, list) and pair[1] < len(items) and isinstance(items[pair[1]], dict):
        return items[pair[1]]
    return None


def _item_label(table: Loc, position: int, item: dict[str, Any]) -> str:
    name = item.get("name")
    if table == ("alerts",) and isinstance(name, str) and name.strip():
        return f' "{name}"'
    return f" #{position + 1}"


def _key_path(loc: Loc) -> str:
    text = ""
    for part in loc:
        if part == "[key]":
            continue
        text += f" #{part + 1}" if isinstance(part, int) else f".{_key(part)}"
    return text.strip()


# ---- schema errors -------------------------------------------------------------------


def _fields_at(model: type[BaseModel], loc: Loc) -> list[str]:
    """Field names of the model reached by following ``loc`` from ``model``."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        fields = getattr(current, "model_fields", None)
        if fields is None or part not in fields:
            return []
        current = _inner_model(fields[part].annotation)
    fields = getattr(current, "model_fields", None)
    return list(fields) if fields else []


def _inner_model(annotation: Any) -> Any:
    """The BaseModel inside ``X | None`` or ``list[X]``, if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _unknown_key(model: type[BaseModel], loc: Loc, raw: Any) -> str:
    parent, key = loc[:-1], str(loc[-1])
    where = describe(parent, raw)
    choices = _fields_at(model, parent)
    hint = _did_you_mean(key, choices)
    if not parent:
        home = [name for name in choices if key in _fields_at(model, (name,))]
        hint = hint or (f" (it belongs under [{home[0]}])" if home else "")
        return f"unknown top-level key '{key}'{hint}; expected one of {', '.join(choices)}"
    return f"{where} unknown key '{key}'{hint}"


_TYPE_WORDS = {
    "string_type": "a string",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "dict_type": "a table",
    "model_type": "a table",
    "model_attributes_type": "a table",
    "datetime_type": "a date-time with offset",
    "datetime_parsing": "a date-time with offset",
    "datetime_from_date_parsing": "a date-time with offset",
}


def _value_message(error: Mapping[str, Any]) -> tuple[str, Loc, ExpressionError | None]:
    """The message of one pydantic error, any extra loc, and an expression to render."""
    kind, given = error["type"], error.get("input")
    if kind == "value_error":
        cause = error.get("ctx", {}).get("error")
        if isinstance(cause, ExpressionError):
            return cause.render(), cause.loc, cause
        if isinstance(cause, LocatedError):
            return cause.message, cause.loc, None
        return str(cause) if cause else error["msg"], (), None
    if kind in _TYPE_WORDS:
        hint = ""
        if kind == "list_type" and isinstance(given, dict):  # BRK.B = [...] is a dotted key
            hint = ' (quote a key holding a dot: "BRK.B" = [...])'
        return f"expected {_TYPE_WORDS[kind]}, got {_show(given)}{hint}", (), None
    if kind in ("too_short", "string_too_short"):
        return f"must not be empty, got {_show(given)}", (), None
    if kind == "missing":
        return "", (), None  # worded by the caller, which knows the key
    if kind == "timezone_aware":
        return f"needs a UTC offset (e.g. 2025-01-27T09:30:00-05:00), got {_show(given)}", (), None
    message = str(error["msg"]).replace("Input should", "should")
    message = message.replace("List should", "should").replace("String should", "should")
    return f"{message}, got {_show(given)}", (), None


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return repr(value)


def _problem(model: type[BaseModel], error: Mapping[str, Any], raw: Any) -> tuple[Loc, str]:
    loc: Loc = tuple(error["loc"])
    if error["type"] == "extra_forbidden":
        return loc, _unknown_key(model, loc, raw)
    if error["type"] == "missing":
        return loc, f"{describe(loc[:-1], raw)} missing key '{loc[-1]}'".strip()
    message, extra, _ = _value_message(error)
    loc += extra
    where = describe(loc, raw)
    return loc, f"{where}: {message}" if where else message


def schema_error(
    err: ValidationError, model: type[BaseModel], raw: Any, text: str, path: Path | str
) -> ConfigError:
    """One ConfigError for up to MAX_REPORTED schema problems, in file order."""
    lines = key_lines(text)
    problems = []
    for error in err.errors():
        loc, message = _problem(model, error, raw)
        problems.append((line_of(lines, loc) or 0, message))
    problems.sort(key=lambda problem: problem[0])
    first_line = problems[0][0] or None
    texts = [problems[0][1]]
    for line, message in problems[1:MAX_REPORTED]:
        texts.append(f"{path}:{line}: {message}" if line else f"{path}: {message}")
    if len(problems) > MAX_REPORTED:
        texts.append(f"(and {len(problems) - MAX_REPORTED} more)")
    return ConfigError("\n".join(texts), path=path, line=first_line)
