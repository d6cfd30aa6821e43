"""`monitor trust PATH`: allow a watchlist file found in the current folder to run its
command and webhook alerts (``monitor.trust``), and the line `monitor check` prints
about it."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from urllib.parse import urlsplit

from monitor import trust
from monitor.config import ConfigError, LoadedConfig, load_config_file
from monitor.text import one_line

EXIT_CONFIG = 2


def trust_command(path_arg: str, *, revoke: bool = False) -> int:
    path = Path(path_arg).expanduser().absolute()
    if revoke:
        known = trust.revoke(path)
        print(f"{'no longer allowed' if known else 'was not allowed'}: {path}")
        return 0
    try:
        loaded = load_config_file(path, "monitor trust")  # what is allowed is what checks
    except ConfigError as exc:
        print(f"monitor: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    assert loaded.digest is not None  # read from the file just now
    trust.allow(path, loaded.digest)
    print(f"allowed {path.resolve()} (sha256 {loaded.digest[:12]}…)")
    for line in _what_it_runs(loaded):
        print(f"  {line}")
    if problem := trust.permission_problem(path):
        print(f"monitor: but {trust.WHAT} while {problem}", file=sys.stderr)
    return 0


def _what_it_runs(loaded: LoadedConfig) -> list[str]:
    notify = loaded.config.notify
    lines = []
    if notify.command is not None:
        lines.append(f"its alerts may run: {one_line(shlex.join(notify.command.argv))}")
    if notify.webhook is not None:
        parts = urlsplit(notify.webhook.url)
        host = parts.netloc.rpartition("@")[2]  # never a user:password
        lines.append(f"its alerts may be sent to: {one_line(f'{parts.scheme}://{host}')}")
    return lines or ["it runs no program and sends no webhook today"]


def programs_line(loaded: LoadedConfig) -> str | None:
    """`monitor check`'s word on command and webhook alerts (None: the file has neither)."""
    notify = loaded.config.notify
    if notify.command is None and notify.webhook is None:
        return None
    why = trust.refusal(trust.Origin.of(loaded))
    return "command and webhook alerts: on" if why is None else why
