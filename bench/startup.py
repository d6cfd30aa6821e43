"""#4 start-up: launch to first painted frame, in a real terminal (tmux, 160x48).

Timed from asking tmux to start the command to the first capture of the pane that
shows the app's first frame (the tab bar's "Watchlist"; the baseline's Static text),
polled every 3 ms (see bench/tty.py).  Measured: ``monitor demo``, and ``monitor``
with a stored database of 10,000 headlines (every request off 127.0.0.1 goes to a
dead local proxy).  Baselines, same run: a bare Textual app painting one Static, and
the same with ``import yfinance`` first.  Median of several launches each.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path

from bench.common import Figure, watchlist_toml
from bench.search import fill_store
from bench.tty import Tty, isolated_env

MARK = "Watchlist"


def run(quick: bool) -> list[Figure]:
    reps = 3 if quick else 7
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp_name:
        tmp = Path(tmp_name)
        db = tmp / "m.db"
        fill_store(db, 2_000 if quick else 10_000, seed=4)
        config = tmp / "watchlist.toml"
        config.write_text(
            watchlist_toml(
                database=db,
                feeds=[("wire", "http://127.0.0.1:9/feed")],
                symbols=["NVDA", "AVGO", "^SOX", "300766.SZ", "BTC-USD"],
            ),
            "utf-8",
        )
        env = isolated_env(tmp)
        py = sys.executable
        runs = {
            "bare": ([py, "-m", "bench.bare_app"], "bare app ready"),
            "bare_yfinance": ([py, "-m", "bench.bare_app", "--yfinance"], "bare app ready"),
            "demo": ([py, "-m", "monitor", "demo"], MARK),
            "monitor": ([py, "-m", "monitor", "--config", str(config)], MARK),
        }
        times = {
            name: statistics.median(_first_frame(argv, mark, env, tmp) for _ in range(reps))
            for name, (argv, mark) in runs.items()
        }
    bare = times["bare"]
    headlines = "2,000" if quick else "10,000"
    return [
        Figure("startup.bare_app", bare, "s", notes={"what": "bare Textual app, one Static"}),
        Figure("startup.bare_app_with_yfinance", times["bare_yfinance"], "s", baseline=bare),
        Figure(
            "startup.demo_first_frame",
            times["demo"],
            "s",
            baseline=bare,
            baseline_name="bare Textual app",
            target="<= 1.3x bare",
            met=times["demo"] <= 1.3 * bare,
        ),
        Figure(
            "startup.monitor_first_frame",
            times["monitor"],
            "s",
            baseline=bare,
            baseline_name="bare Textual app",
            target="<= 1.3x bare",
            met=times["monitor"] <= 1.3 * bare,
            notes={"stored headlines": headlines},
        ),
    ]


def _first_frame(argv: list[str], mark: str, env: dict[str, str], tmp: Path) -> float:
    tty = Tty(argv, env=env, cwd=tmp)
    started = tty.start()
    try:
        return tty.wait_for(mark) - started
    finally:
        tty.stop()
