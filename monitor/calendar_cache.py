"""Exchange holiday calendars kept on disk between runs.

``holidays`` costs ~0.15 s of CPU to import (its financial package loads every market,
and one of them every country), in every run that shows a quote's market state, such
as each ``monitor once``.  A calendar year, once made, is kept in the user cache
directory (``calendars.json``), marked with the ``holidays`` version that made it, so a
later run reads it back without the import.  The cache is only ever a shortcut: a file
that is missing, unreadable, damaged or from another ``holidays`` version is ignored
(and rewritten), and a file that cannot be written is not an error.

The package ships the same for the years around now (``calendars_shipped.json``, made by
``python -m monitor.cli.calendars``), so a first run needs no import either: it is used
only when the installed ``holidays`` is the version that made it, like the cache.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from monitor import paths

#: (closed days with their names, half days) of one exchange's calendar year
Year = tuple[Mapping[date, str], frozenset[date]]

FILE = "calendars.json"
SHIPPED = Path(__file__).with_name("calendars_shipped.json")
#: the years in the shipped file (of every exchange ``monitor.sessions`` knows)
SHIPPED_YEARS = range(2020, 2032)

_loaded: dict[str, Any] | None = None
_shipped: dict[str, Any] | None = None


def _path() -> Path:
    return paths.cache_dir() / FILE


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("holidays")
    except PackageNotFoundError:
        return "unknown"


def _read(path: Path) -> dict[str, Any]:
    """The years of a calendars file made by the installed ``holidays`` ({} otherwise)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if isinstance(data, dict) and data.get("holidays") == _version():
        years = data.get("years")
        return years if isinstance(years, dict) else {}
    return {}


def _years() -> dict[str, Any]:
    """The cached years ("XNYS:2025" -> {"closed": {...}, "half": [...]}), read once."""
    global _loaded
    if _loaded is None:
        _loaded = _read(_path())
    return _loaded


def load(code: str, year: int) -> Year | None:
    """The cached calendar year, or None when it is not cached (or not readable)."""
    return _decode(_years().get(f"{code}:{year}"))


def shipped(code: str, year: int) -> Year | None:
    """The calendar year as shipped with the package, or None when it is not in it or
    another ``holidays`` version is installed than the one that made it."""
    global _shipped
    if _shipped is None:
        _shipped = _read(SHIPPED)
    return _decode(_shipped.get(f"{code}:{year}"))


def _decode(entry: Any) -> Year | None:
    try:
        closed = {date.fromisoformat(d): str(name) for d, name in entry["closed"].items()}
        return closed, frozenset(date.fromisoformat(d) for d in entry["half"])
    except (TypeError, KeyError, AttributeError, ValueError):
        return None


def save(code: str, year: int, value: Year) -> Year:
    """Keep a calendar year for later runs (best effort, atomic); return it."""
    years = _years()
    years[f"{code}:{year}"] = _encode(value)
    path = _path()
    tmp = path.with_name(f".{FILE}.{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps({"holidays": _version(), "years": years}), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
    return value


def _encode(value: Year) -> dict[str, Any]:
    closed, half = value
    return {
        "closed": {d.isoformat(): name for d, name in sorted(closed.items())},
        "half": sorted(d.isoformat() for d in half),
    }


def forget() -> None:
    """Read the files again on next use (tests, or another cache directory)."""
    global _loaded, _shipped
    _loaded = _shipped = None


def make(code: str, year: int) -> Year:
    """The calendar year from ``holidays`` itself (~0.15 s for the first)."""
    import holidays

    full = holidays.financial_holidays(code, years=year)
    half: Iterable[date] = ()
    if "half_day" in full.supported_categories:
        half = holidays.financial_holidays(code, years=year, categories=("half_day",))
    return {d: str(n) for d, n in full.items()}, frozenset(half)


def write_shipped(codes: Iterable[str], path: Path = SHIPPED) -> None:
    """Make the shipped file anew with the installed ``holidays`` (``python -m
    monitor.cli.calendars`` does, for every market ``monitor.sessions`` knows)."""
    years = {f"{c}:{y}": _encode(make(c, y)) for c in codes for y in SHIPPED_YEARS}
    text = json.dumps({"holidays": _version(), "years": years}, sort_keys=True, indent=0)
    path.write_text(text + "\n", encoding="utf-8")
