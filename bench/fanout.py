"""#1 feed fan-out: one news poll of 100 feeds that each answer after 200 ms.

Baseline, same run: fetch and parse the same feeds one after another (httpx +
feedparser), as a single-threaded reader does.  Target: the poll takes under 2x the
slowest single feed (a one-feed poll through the same engine), so >= 40x faster than
sequential.  The server runs in its own process: CPU figures are the monitor's alone.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import tempfile
import time
from pathlib import Path

from bench.common import Figure, load_watchlist, rss_feed, timed, watchlist_toml
from bench.servers import feed_server_process

DELAY = 0.2
ITEMS = 50  # as in the newsboat anchor (100 feeds x 50 items)


def run(quick: bool) -> list[Figure]:
    feeds = 20 if quick else 100
    reps = 1 if quick else 3
    rng = random.Random(1)
    bodies = {f"/feed/{i}": rss_feed(rng, i, ITEMS) for i in range(feeds)}
    with feed_server_process(bodies, DELAY) as server:
        urls = [server.url(path) for path in bodies]
        single = statistics.median(_engine_poll(urls[:1])[0] for _ in range(reps))
        cold = [_engine_poll(urls) for _ in range(reps)]
        sequential = _sequential(urls[: 10 if quick else feeds])
    seq_wall = sequential["wall"] * feeds / (10 if quick else feeds)
    wall = statistics.median(c[0] for c in cold)
    cpu = statistics.median(c[1] for c in cold)
    warm_wall = statistics.median(c[2] for c in cold)
    warm_cpu = statistics.median(c[3] for c in cold)
    n = f"{feeds} feeds x {ITEMS} items, {DELAY * 1000:.0f} ms each"
    return [
        Figure(
            "fanout.single_feed_poll",
            single,
            "s",
            notes={"what": "one-feed poll through the engine (the slowest single feed)"},
        ),
        Figure(
            "fanout.poll_wall",
            wall,
            "s",
            baseline=seq_wall,
            baseline_name="sequential httpx + feedparser",
            target="< 2x single feed poll",
            met=wall < 2 * single,
            notes={"load": n, "first poll: every entry new": True},
        ),
        Figure(
            "fanout.poll_vs_single_feed", wall / single, "x", target="< 2", met=wall / single < 2
        ),
        Figure(
            "fanout.speedup_vs_sequential",
            seq_wall / wall,
            "x",
            target=">= 40",
            met=seq_wall / wall >= 40,
        ),
        Figure(
            "fanout.poll_cpu",
            cpu,
            "s",
            baseline=sequential["cpu"] * feeds / (10 if quick else feeds),
            baseline_name="sequential CPU",
        ),
        Figure(
            "fanout.repoll_wall",
            warm_wall,
            "s",
            notes={"what": "second poll, same bytes (nothing new)"},
        ),
        Figure("fanout.repoll_cpu", warm_cpu, "s"),
    ]


def _engine_poll(urls: list[str]) -> tuple[float, float, float, float]:
    """(wall, cpu) of a first poll (fresh database) and of a second one."""
    return asyncio.run(_engine_poll_async(urls))


async def _engine_poll_async(urls: list[str]) -> tuple[float, float, float, float]:
    from monitor.engine import Engine

    with tempfile.TemporaryDirectory(prefix="bench-fanout-") as tmp:
        feeds = [(f"feed {i}", url) for i, url in enumerate(urls)]
        loaded = load_watchlist(
            Path(tmp) / "w.toml", watchlist_toml(database=Path(tmp) / "m.db", feeds=feeds)
        )
        engine = Engine(loaded, notify=False)
        await engine.open()
        try:
            with timed() as first:
                await engine.poll_news(force=True)
            with timed() as second:
                await engine.poll_news(force=True)
        finally:
            await engine.stop()
    return first["wall"], first["cpu"], second["wall"], second["cpu"]


def _sequential(urls: list[str]) -> dict[str, float]:
    import feedparser
    import httpx

    with httpx.Client() as client, timed() as t:
        for url in urls:
            feedparser.parse(client.get(url).content)
    time.sleep(0)
    return t
