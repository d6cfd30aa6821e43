"""Helpers to run the real `monitor` command in a subprocess, isolated from the user."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

DAILY_CSV = """\
time,symbol,price,prev_close,open,high,low,volume,currency
2025-01-23T16:00:00-05:00,NVDA,147.22,147.07,145.05,147.23,143.72,155915500,USD
2025-01-23T16:00:00-05:00,^SOX,5455.01,5394.48,5420.0,5460.0,5380.0,,USD
2025-01-24T16:00:00-05:00,NVDA,142.62,147.22,148.37,148.97,141.88,234657600,USD
2025-01-24T16:00:00-05:00,^SOX,5341.94,5455.01,5470.0,5480.0,5330.0,,USD
2025-01-27T16:00:00-05:00,NVDA,118.42,142.62,124.80,128.40,116.70,818830900,USD
2025-01-27T16:00:00-05:00,^SOX,4853.24,5341.94,5007.84,5045.43,4785.43,,USD
2025-01-28T16:00:00-05:00,NVDA,128.99,118.42,121.81,129.00,116.25,579666400,USD
2025-01-28T16:00:00-05:00,^SOX,4907.03,4853.24,4896.25,4928.19,4776.82,,USD
"""


def isolated_env(tmp: Path) -> dict[str, str]:
    """Environment with HOME/XDG dirs in tmp, so the user's files are never touched."""
    env = dict(os.environ)
    env.update(
        HOME=str(tmp / "home"),
        XDG_CONFIG_HOME=str(tmp / "xdg-config"),
        XDG_DATA_HOME=str(tmp / "xdg-data"),
        XDG_CACHE_HOME=str(tmp / "xdg-cache"),
        PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
        DBUS_SESSION_BUS_ADDRESS="unix:path=" + str(tmp / "no-bus"),
    )
    env.pop("MONITOR_CONFIG", None)
    return env


def run_monitor(
    tmp: Path, *args: str, timeout: float = 120, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        cwd=tmp,
        env=env or isolated_env(tmp),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def json_lines(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def write_config(tmp: Path, body: str, name: str = "watchlist.toml") -> Path:
    path = tmp / name
    path.write_text(body, encoding="utf-8")
    return path
