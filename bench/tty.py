"""Run a command in a real terminal (a detached tmux session) and watch its screen.

"First painted frame" is the moment a marker text of the app's first frame shows in
``tmux capture-pane``, polled every few milliseconds from the moment tmux was asked
to start the command; the same harness times the baseline app, so its own overhead
cancels out of the ratio.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import time
import uuid
from collections.abc import Mapping
from pathlib import Path

from bench.common import ROOT, proc_tree

SIZE = ("160", "48")
#: a tmux server of the benchmarks' own, never the user's sessions
TMUX = ["tmux", "-L", f"monitor-bench-{os.getpid()}"]


class Tty:
    def __init__(self, argv: list[str], *, env: Mapping[str, str], cwd: Path = ROOT) -> None:
        self.name = f"bench-{uuid.uuid4().hex[:8]}"
        self.argv, self.env, self.cwd = argv, dict(env), cwd

    def start(self) -> float:
        """Start the command; returns the perf_counter time it was launched."""
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in self.env.items())
        command = f"cd {shlex.quote(str(self.cwd))} && exec env {exports} " + shlex.join(self.argv)
        for attempt in range(5):
            started = time.perf_counter()
            done = subprocess.run(
                [
                    *TMUX,
                    "new-session",
                    "-d",
                    "-s",
                    self.name,
                    "-x",
                    SIZE[0],
                    "-y",
                    SIZE[1],
                    command,
                ],
                capture_output=True,
                text=True,
            )
            if done.returncode == 0:
                return started
            # the bench's tmux server may be exiting with the last session: try again
            time.sleep(0.2 * (attempt + 1))
        raise RuntimeError(f"tmux could not start: {done.stderr.strip()}")

    def screen(self) -> str:
        out = subprocess.run(
            [*TMUX, "capture-pane", "-p", "-t", self.name], capture_output=True, text=True
        )
        return out.stdout

    def wait_for(self, marker: str, timeout: float = 30) -> float:
        """perf_counter time when ``marker`` first showed on screen."""
        give_up = time.perf_counter() + timeout
        while time.perf_counter() < give_up:
            if marker in self.screen():
                return time.perf_counter()
            time.sleep(0.003)
        raise TimeoutError(f"{marker!r} never showed; screen:\n{self.screen()}")

    def pid(self) -> int:
        out = subprocess.run(
            [*TMUX, "list-panes", "-t", self.name, "-F", "#{pane_pid}"],
            capture_output=True,
            text=True,
            check=True,
        )
        return int(out.stdout.split()[0])

    def pids(self) -> list[int]:
        return proc_tree(self.pid())

    def stop(self) -> None:
        subprocess.run([*TMUX, "kill-session", "-t", self.name], capture_output=True)


def isolated_env(tmp: Path) -> dict[str, str]:
    """The user's files untouched; any request off 127.0.0.1 goes to a dead local proxy."""
    env = {
        "HOME": str(tmp / "home"),
        "XDG_CONFIG_HOME": str(tmp / "xdg-config"),
        "XDG_DATA_HOME": str(tmp / "xdg-data"),
        "XDG_CACHE_HOME": str(tmp / "xdg-cache"),
        "PYTHONPATH": str(ROOT),
        "LANG": "C.UTF-8",
        "TERM": "xterm-256color",
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DBUS_SESSION_BUS_ADDRESS": "unix:path=" + str(tmp / "no-bus"),
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "HTTP_PROXY": "http://127.0.0.1:9",
        "https_proxy": "http://127.0.0.1:9",
        "http_proxy": "http://127.0.0.1:9",
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }
    return env
