"""Notices when the watchlist file changes on disk (polled by the app's one-second tick).

A stat a second is cheaper than a watcher thread, and survives editors that replace the
file instead of writing it in place.
"""

from __future__ import annotations

import os
from pathlib import Path


def modified_ns(path: Path) -> int | None:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


class ConfigWatcher:
    def __init__(self) -> None:
        self._seen: int | None = None
        self._started = False

    def baseline(self, path: Path) -> None:
        """Remember the file as it is now (the engine has just loaded it)."""
        self._seen, self._started = modified_ns(path), True

    def changed(self, path: Path) -> bool:
        """True once for each change since the last look."""
        mtime = modified_ns(path)
        if not self._started:
            self.baseline(path)
            return False
        if mtime is None or mtime == self._seen:
            return False
        self._seen = mtime
        return True
