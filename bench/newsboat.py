"""#10 side by side with newsboat: whole processes on the same loopback feeds.

`monitor once --json` and `newsboat -x reload` (with ``reload-threads 100``, the fastest
setting) fetch, parse and store the same 100 feeds x 50 items, each answering after
200 ms, in alternating runs: *fresh* (no database, no cache) and *warm* (the same bytes
again; the server sends no validators, so both must fetch and may skip only by content).
Wall time, CPU time (user + system of the process and its children) and peak RSS come
from ``os.wait4`` on each process.  When newsboat is not installed the benchmark says so
and prints the monitor's own figures only (``.ci/run`` installs it with apt when it can).
"""

from __future__ import annotations

import compileall
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bench.common import ROOT, Figure, rss_feed, watchlist_toml
from bench.servers import feed_server_process

DELAY = 0.2
ITEMS = 50


def run(quick: bool) -> list[Figure]:
    feeds = 20 if quick else 100
    reps = 1 if quick else 5
    rng = random.Random(7)
    bodies = {f"/feed/{i}": rss_feed(rng, i, ITEMS) for i in range(feeds)}
    newsboat = shutil.which("newsboat")
    _compiled()
    results: dict[str, dict[str, list[tuple[float, float, float]]]] = {
        "monitor": {"fresh": [], "warm": []},
        "newsboat": {"fresh": [], "warm": []},
    }
    with feed_server_process(bodies, DELAY) as server, tempfile.TemporaryDirectory() as tmp:
        urls = [server.url(path) for path in bodies]
        work = Path(tmp)
        for rep in range(reps):
            # alternate which reader goes first, so neither always gets the warmer machine
            order = ["monitor", "newsboat"] if rep % 2 == 0 else ["newsboat", "monitor"]
            for reader in order:
                if reader == "newsboat" and newsboat is None:
                    continue
                home = work / f"{reader}-{rep}"
                home.mkdir()
                runner = _monitor if reader == "monitor" else _newsboat
                for phase in ("fresh", "warm"):
                    results[reader][phase].append(runner(home, urls, newsboat))
    return _figures(results, feeds, newsboat is not None)


def _figures(
    results: dict[str, dict[str, list[tuple[float, float, float]]]], feeds: int, have_nb: bool
) -> list[Figure]:
    load = f"{feeds} feeds x {ITEMS} items, {DELAY * 1000:.0f} ms each"
    figures: list[Figure] = []
    for phase in ("fresh", "warm"):
        mon = _medians(results["monitor"][phase])
        nb = _medians(results["newsboat"][phase]) if have_nb else None
        for i, (what, unit) in enumerate((("wall", "s"), ("cpu", "s"), ("peak_rss", "MB"))):
            base = nb[i] if nb else None
            limit = 2.0 if what == "peak_rss" else 1.0
            figures.append(
                Figure(
                    f"newsboat.{phase}_{what}",
                    mon[i],
                    unit,
                    baseline=base,
                    baseline_name="newsboat -x reload (reload-threads 100)" if base else None,
                    target=f"<= {limit:g}x newsboat",
                    met=None if base is None else mon[i] <= limit * base,
                    notes={"load": load}
                    if have_nb
                    else {"load": load, "newsboat": "not installed: no baseline"},
                )
            )
    if not have_nb:
        print("newsboat: not installed (apt-get install newsboat); monitor figures only")
    return figures


def _medians(rows: Sequence[tuple[float, float, float]]) -> tuple[float, float, float]:
    return (
        statistics.median(r[0] for r in rows),
        statistics.median(r[1] for r in rows),
        statistics.median(r[2] for r in rows),
    )


def _monitor(home: Path, urls: list[str], _nb: str | None) -> tuple[float, float, float]:
    config = home / "watchlist.toml"
    if not config.exists():
        quotes = home / "quotes.csv"
        quotes.write_text(
            "time,symbol,price,prev_close,open,high,low,volume,currency\n"
            "2025-01-27T16:00:00-05:00,NVDA,118.42,142.62,124.80,128.40,116.70,818800000,USD\n",
            encoding="utf-8",
        )
        feeds = [(f"feed {i}", url) for i, url in enumerate(urls)]
        config.write_text(
            watchlist_toml(
                database=home / "m.db", feeds=feeds, quote_source=str(quotes), notify=()
            ),
            encoding="utf-8",
        )
    cmd = [sys.executable, "-m", "monitor", "once", "--json", "--config", str(config)]
    return _measure(cmd, env=_env(home))


def _compiled() -> None:
    """Byte-compile the monitor's own modules first, as an installed package is: with
    ``PYTHONDONTWRITEBYTECODE`` set (CI, some shells) an editable checkout would otherwise
    compile ~90 modules from source in every run (~0.12 s), which no installed monitor
    does.  Dependencies in site-packages are compiled by pip already."""
    compileall.compile_dir(ROOT / "monitor", quiet=1)


def _newsboat(home: Path, urls: list[str], newsboat: str | None) -> tuple[float, float, float]:
    assert newsboat is not None
    (home / "urls").write_text("\n".join(urls) + "\n", encoding="utf-8")
    (home / "config").write_text("reload-threads 100\n", encoding="utf-8")
    cmd = [
        newsboat,
        "-x",
        "reload",
        "-u",
        str(home / "urls"),
        "-C",
        str(home / "config"),
        "-c",
        str(home / "cache.db"),
    ]
    return _measure(cmd, env=_env(home))


def _env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / "xdg-config"),
        XDG_DATA_HOME=str(home / "xdg-data"),
        XDG_CACHE_HOME=str(home / "xdg-cache"),
        NO_PROXY="127.0.0.1,localhost",
    )
    env.pop("MONITOR_CONFIG", None)
    return env


def _measure(cmd: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """(wall s, CPU s, peak RSS MB) of one whole process, from ``os.wait4``."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=env["HOME"]
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[0]} exited {proc.returncode}: {err[-400:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024
