"""Exchange holiday calendars kept on disk between runs.

``holidays`` costs ~0.15 s of CPU to import (its financial package loads every market,
and one of them every country), in every run that shows a quote's market state, such
as each ``monitor once``.  A calendar year, once made, is kept in the user cache
directory (``calendars.json``), marked with the ``holidays`` version that made it, so a
later run reads it back without the import.  The cache is only ever a shortcut: a file
that is missing, unreadable, damaged or from another ``holidays`` version is ignored
(and rewritten), and a file that cannot be written is not an error.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from monitor import paths

#: (closed days with their names, half days) of one exchange's calendar year
Year = tuple[Mapping[date, str], frozenset[date]]

FILE = "calendars.json"

_loaded: dict[str, Any] | None = None


def _path() -> Path:
    return paths.cache_dir() / FILE


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("holidays")
    except PackageNotFoundError:
        return "unknown"


def _years() -> dict[str, Any]:
    """The cached years ("XNYS:2025" -> {"closed": {...}, "half": [...]}), read once."""
    global _loaded
    if _loaded is None:
        _loaded = {}
        try:
            data = json.loads(_path().read_text(encoding="utf-8"))
            if isinstance(data, dict) and data.get("holidays") == _version():
                years = data.get("years")
                _loaded = years if isinstance(years, dict) else {}
        except (OSError, ValueError):
            pass
    return _loaded


def load(code: str, year: int) -> Year | None:
    """The cached calendar year, or None when it is not cached (or not readable)."""
    entry: Any = _years().get(f"{code}:{year}")
    try:
        closed = {date.fromisoformat(d): str(name) for d, name in entry["closed"].items()}
        return closed, frozenset(date.fromisoformat(d) for d in entry["half"])
    except (TypeError, KeyError, AttributeError, ValueError):
        return None


def save(code: str, year: int, value: Year) -> Year:
    """Keep a calendar year for later runs (best effort, atomic); return it."""
    closed, half = value
    years = _years()
    years[f"{code}:{year}"] = {
        "closed": {d.isoformat(): name for d, name in sorted(closed.items())},
        "half": sorted(d.isoformat() for d in half),
    }
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


def forget() -> None:
    """Read the file again on next use (tests, or another cache directory)."""
    global _loaded
    _loaded = None
