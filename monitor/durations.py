"""Durations as people write them in the watchlist file: "30s", "2m", "1h30m", "1d".

Units, largest first, each at most once: ``w`` weeks, ``d`` days, ``h`` hours,
``m`` minutes, ``s`` seconds.  Numbers are whole or decimal ("1.5h").  Spaces between
parts are allowed ("1h 30m").  Anything else ("5 minutes", "5", "PT5M") is rejected
with a hint showing the accepted spelling.
"""

from __future__ import annotations

import re
from datetime import timedelta

_UNIT_SECONDS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
_PART = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([a-z]+)")

# Words people type for units, mapped to the unit letter, so the hint can say exactly
# what to write instead ("5 minutes" -> "5m").
_UNIT_WORDS = {
    "w": ("week", "weeks", "wk", "wks"),
    "d": ("day", "days"),
    "h": ("hour", "hours", "hr", "hrs"),
    "m": ("min", "mins", "minute", "minutes"),
    "s": ("sec", "secs", "second", "seconds"),
}
_WORD_TO_UNIT = {word: unit for unit, words in _UNIT_WORDS.items() for word in words}

EXAMPLES = '"30s", "2m", "1h", "1h30m", "1d"'


class DurationError(ValueError):
    """A duration string that cannot be read; ``str()`` includes a hint."""


def parse_duration(text: str) -> timedelta:
    """Read a duration like "30s", "2m", "1h30m" or "1d"; raise DurationError otherwise."""
    if not isinstance(text, str):
        raise DurationError(
            f'expected a duration string like {EXAMPLES}, got {text!r} (write seconds as "{text}s")'
            if isinstance(text, int | float) and not isinstance(text, bool)
            else f"expected a duration string like {EXAMPLES}, got {text!r}"
        )
    source = text.strip().lower()
    if not source:
        raise DurationError(f"empty duration; expected e.g. {EXAMPLES}")
    total, pos, last_rank = 0.0, 0, -1
    order = list(_UNIT_SECONDS)
    while pos < len(source):
        part = _PART.match(source, pos)
        if part is None:
            raise _unreadable(text)
        number, unit = part.groups()
        if unit not in _UNIT_SECONDS:
            raise _unreadable(text)
        rank = order.index(unit)
        if rank <= last_rank:
            raise DurationError(
                f"bad duration {text!r}: units must go from largest to smallest, "
                f'each once (e.g. "1h30m")'
            )
        total += float(number) * _UNIT_SECONDS[unit]
        last_rank, pos = rank, part.end()
        pos = len(source) if not source[pos:].strip() else pos
    return timedelta(seconds=total)


def seconds(value: float | str) -> float:
    """Seconds from a number of seconds or a duration string ("30m"); DurationError else."""
    if isinstance(value, bool):
        raise DurationError(f"expected a duration like {EXAMPLES}, got {value!r}")
    if isinstance(value, int | float):
        return float(value)
    return parse_duration(value).total_seconds()


def _unreadable(text: str) -> DurationError:
    suggestion = _suggest(text)
    hint = f'; write "{suggestion}"' if suggestion else ""
    return DurationError(f"bad duration {text!r}: expected e.g. {EXAMPLES}{hint}")


def _suggest(text: str) -> str | None:
    """The compact spelling of "5 minutes", "1 hour 30 mins", "90" (seconds)..."""
    source = text.strip().lower()
    if re.fullmatch(r"\d+(\.\d+)?", source):
        return f"{source}s"
    parts = re.findall(r"(\d+(?:\.\d+)?)\s*([a-z]+)", source)
    leftover = re.sub(r"(\d+(?:\.\d+)?)\s*([a-z]+)|\s|,|and", "", source)
    if not parts or leftover:
        return None
    units = [_WORD_TO_UNIT.get(word, word if word in _UNIT_SECONDS else "") for _, word in parts]
    if not all(units):
        return None
    return "".join(f"{number}{unit}" for (number, _), unit in zip(parts, units, strict=True))


def format_duration(value: timedelta) -> str:
    """The compact spelling of a duration: 90 s -> "1m30s", 0 -> "0s"."""
    total = value.total_seconds()
    if total < 0:
        return "-" + format_duration(-value)
    whole, fraction = int(total), total - int(total)
    parts: list[str] = []
    for unit in ("d", "h", "m"):  # "14d" reads better than "2w" in a config file
        count, whole = divmod(whole, _UNIT_SECONDS[unit])
        if count:
            parts.append(f"{count}{unit}")
    if whole or fraction:
        parts.append(f"{whole + fraction:g}s")
    return "".join(parts) or "0s"
