"""Where monitor keeps its files (platformdirs): data, cache, user config."""

from __future__ import annotations

from pathlib import Path

APP = "monitor"


def data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP, appauthor=False))


def cache_dir() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir(APP, appauthor=False))


def default_database() -> Path:
    return data_dir() / "monitor.db"


def log_file() -> Path:
    from platformdirs import user_log_dir

    return Path(user_log_dir(APP, appauthor=False)) / "monitor.log"


def export_dir() -> Path:
    """Where the app's Export writes (never the working directory)."""
    return data_dir() / "exports"
