"""Where a key path sits in the watchlist file's text: tomllib gives no positions for
values, so ``key_lines`` scans the text once and ``line_of`` answers for a key path
(falling back to the nearest enclosing table).  ``monitor.config_errors`` uses it to
name the line of an error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

#: a key path in the file: table names, array positions and keys
Loc = tuple[str | int, ...]

#: a TOML bare key (anything else is quoted)
BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _read_key(text: str, pos: int) -> tuple[list[str], int] | None:
    """Read a (dotted, perhaps quoted) TOML key at ``pos``; return parts and end."""
    parts: list[str] = []
    while True:
        while pos < len(text) and text[pos] in " \t":
            pos += 1
        if pos < len(text) and text[pos] in "\"'":
            quote = text[pos]
            end = text.find(quote, pos + 1)
            while quote == '"' and end > 0 and text[end - 1] == "\\":
                end = text.find(quote, end + 1)
            if end < 0:
                return None
            raw = text[pos + 1 : end]
            parts.append(raw.encode().decode("unicode_escape") if quote == '"' else raw)
            pos = end + 1
        else:
            bare = BARE_KEY.match(text, pos)
            if not bare:
                return None
            parts.append(bare.group())
            pos = bare.end()
        while pos < len(text) and text[pos] in " \t":
            pos += 1
        if pos < len(text) and text[pos] == ".":
            pos += 1
            continue
        return parts, pos


def _bracket_depth(value: str) -> int:
    """Net ``[``/``{`` opened by a value, ignoring brackets inside strings and comments."""
    depth, quote = 0, ""
    for char in value:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char == "#":
            break
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
    return depth


def key_lines(text: str) -> dict[Loc, int]:
    """Map each key path (``("news", "feeds", 1, "url")``) to its 1-based line.

    Good enough for hand-written files: tracks ``[table]`` and ``[[array]]`` headers
    (with the occurrence index of each array) and ``key =`` lines, skipping the insides
    of multi-line arrays and strings.
    """
    lines: dict[Loc, int] = {}
    arrays: dict[Loc, int] = {}
    table: Loc = ()
    depth, in_string = 0, ""
    for number, line in enumerate(text.splitlines(), start=1):
        if in_string:
            if line.count(in_string) % 2:
                in_string = ""
            continue
        if depth > 0:
            depth += _bracket_depth(line)
            continue
        stripped = line.strip()
        if stripped.startswith("["):
            table = _header(stripped, arrays, lines, number) or table
            continue
        found = _read_key(line, 0)
        if not found or found[1] >= len(line) or line[found[1]] != "=":
            continue
        parts, end = found
        path = table + tuple(parts)
        for cut in range(len(table) + 1, len(path) + 1):
            lines.setdefault(path[:cut], number)
        value = line[end + 1 :]
        for quote in ('"""', "'''"):
            if value.count(quote) % 2:
                in_string = quote
        depth = max(0, _bracket_depth(value))
    return lines


def _header(stripped: str, arrays: dict[Loc, int], lines: dict[Loc, int], number: int) -> Loc:
    is_array = stripped.startswith("[[")
    found = _read_key(stripped, 2 if is_array else 1)
    if not found:
        return ()
    parts, end = found
    closing = "]]" if is_array else "]"
    if not stripped[end:].startswith(closing):
        return ()
    path: Loc = ()
    for part in parts:
        path += (part,)
        if path in arrays and (not is_array or len(path) < len(parts)):
            path += (arrays[path],)  # [alerts.x] after [[alerts]] belongs to the last one
        lines.setdefault(path, number)
    if is_array:
        index = arrays[path] = arrays.get(path, -1) + 1
        path += (index,)
        lines[path] = number
    return path


def line_of(lines: Mapping[Loc, int], loc: Loc) -> int | None:
    """The line of ``loc``, else of its nearest enclosing key or table."""
    loc = tuple(part for part in loc if part != "[key]")
    for cut in range(len(loc), 0, -1):
        if loc[:cut] in lines:
            return lines[loc[:cut]]
    return None
