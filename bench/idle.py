"""#7 idle cost: CPU of the running monitor between polls, in a real terminal.

``monitor --config ...`` runs in tmux (160x48) with 10 feeds on a loopback server
(polled every 2 min) and 20 symbols whose quote requests go to a dead local proxy (so
the quote source backs off, as it would offline); after the start-up polls settle, the
CPU of its whole process tree is read over a window with no poll due.  Baseline, same
run and window: the bare Textual app.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path

from bench.common import Figure, proc_cpu_seconds, rss_feed, watchlist_toml
from bench.search import fill_store
from bench.servers import feed_server_process
from bench.tty import Tty, isolated_env


def run(quick: bool) -> list[Figure]:
    settle, window = (3.0, 4.0) if quick else (10.0, 60.0)
    rng = random.Random(7)
    bodies = {f"/feed/{i}": rss_feed(rng, i, 20) for i in range(10)}
    with (
        feed_server_process(bodies) as server,
        tempfile.TemporaryDirectory(prefix="bench-idle-") as tmp_name,
    ):
        tmp = Path(tmp_name)
        db = tmp / "m.db"
        fill_store(db, 2_000, seed=7)
        config = tmp / "watchlist.toml"
        config.write_text(
            watchlist_toml(
                database=db,
                feeds=[(f"feed {i}", server.url(p)) for i, p in enumerate(bodies)],
                symbols=[f"S{i:02d}" for i in range(20)],
            ),
            "utf-8",
        )
        env = isolated_env(tmp)
        bare = _idle_cpu(
            [sys.executable, "-m", "bench.bare_app"], "bare app ready", env, tmp, settle, window
        )
        monitor = _idle_cpu(
            [sys.executable, "-m", "monitor", "--config", str(config)],
            "Watchlist",
            env,
            tmp,
            settle,
            window,
        )
    return [
        Figure(
            "idle.cpu",
            monitor * 100,
            "% of one core",
            baseline=bare * 100,
            baseline_name="bare Textual app",
            target="<= 0.5%",
            met=monitor <= 0.005,
            notes={"window_s": window, "feeds": 10, "symbols": 20},
        ),
    ]


def _idle_cpu(
    argv: list[str], mark: str, env: dict[str, str], tmp: Path, settle: float, window: float
) -> float:
    tty = Tty(argv, env=env, cwd=tmp)
    tty.start()
    try:
        tty.wait_for(mark)
        time.sleep(settle)
        pids = tty.pids()
        before, start = _cpu(pids), time.perf_counter()
        time.sleep(window)
        return (_cpu(pids) - before) / (time.perf_counter() - start)
    finally:
        tty.stop()


def _cpu(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            total += proc_cpu_seconds(pid)
        except OSError:
            pass
    return total
