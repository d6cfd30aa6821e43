"""#5 memory: peak RSS of the monitor with 10,000 stored headlines, 200 symbols with a
day of minute data, 50 rules, live quotes, over an hour of simulated polling.

The real app runs headless (``App.run_test``) on the real engine in this process, which
starts as the ``monitor`` command does (``one_malloc_arena``); the feed server and the
fake Yahoo run in their own processes (not counted).  The hour is simulated: 120 quote
refreshes (the clock moves 30 s each) and 30 news polls with new items, back to back.
RSS is sampled along the way to show growth.  Baselines, same run, each in a fresh
process: the bare Textual app, and the bare app with yfinance.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing as mp
import random
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from bench.apphost import make_app, prepare
from bench.common import Figure, proc_rss_bytes, rss_feed, self_peak_rss_bytes
from bench.quotes import _Remote, _serve
from bench.servers import feed_server_process

MB = 1024 * 1024
HEAVY: list[str] = []  # heavy libraries the monitor process ended up importing
FEEDS = 10


def run(quick: bool) -> list[Figure]:
    from monitor.cli.main import one_malloc_arena

    one_malloc_arena()  # first, as the `monitor` command does (this process is the app)
    n_symbols, headlines, minutes = (50, 2_000, 60) if quick else (200, 10_000, 390)
    quote_polls, news_every = (12, 4) if quick else (120, 4)
    bare = _bare_rss(False)
    bare_yf = _bare_rss(True)
    rng = random.Random(5)
    bodies = {f"/feed/{i}": rss_feed(rng, i, 20) for i in range(FEEDS)}
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    yahoo = ctx.Process(target=_serve, args=(child, n_symbols), daemon=True)
    yahoo.start()
    try:
        remote = _Remote(parent, parent.recv())
        with (
            feed_server_process(bodies) as feeds,
            tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp,
        ):
            loaded = prepare(
                Path(tmp),
                headlines=headlines,
                n_symbols=n_symbols,
                minutes=minutes,
                rules=50,
                feeds=[(f"feed {i}", feeds.url(p)) for i, p in enumerate(bodies)],
            )
            samples = asyncio.run(
                _simulate(loaded, remote, feeds, Path(tmp), quote_polls, news_every)
            )
    finally:
        parent.send("stop")
        yahoo.join(5)
    peak = self_peak_rss_bytes() / MB
    early, late = samples[len(samples) // 4], samples[-1]
    return [
        Figure(
            "memory.peak_rss",
            peak,
            "MB",
            baseline=bare_yf,
            baseline_name="bare Textual app + import yfinance",
            target="<= 90 MB",
            met=peak <= 90,
            notes={
                "symbols": n_symbols,
                "stored headlines": headlines,
                "rules": 50,
                "quote polls": quote_polls,
                "processes": "one (the app runs the engine)",
                "heavy_imports": HEAVY,
            },
        ),
        Figure("memory.bare_app", bare, "MB"),
        Figure("memory.vs_bare_app", peak, "MB", baseline=bare),
        Figure(
            "memory.growth_over_polls",
            late - early,
            "MB",
            target="flat (<= 1 MB across polls)",
            met=late - early <= 1,
            notes={"rss_samples_mb": [round(s, 1) for s in samples]},
        ),
    ]


async def _simulate(
    loaded, remote, feeds, tmp: Path, quote_polls: int, news_every: int
) -> list[float]:
    from monitor.clock import ManualClock
    from monitor.engine import Engine
    from monitor.quotes.yahoo_live import YahooLiveQuotes
    from tests.fake_yahoo import fake_async_session, fake_session

    clock = ManualClock(datetime.now(UTC))
    session, live = fake_session(remote), fake_async_session(remote)
    source = YahooLiveQuotes(
        clock=clock, cache_dir=tmp / "cache", session=session, live_session=live, quotes_every=30
    )
    engine = Engine(loaded, clock=clock, quote_source=source, notify=True)
    await engine.open()
    app = make_app(engine)
    rng = random.Random(6)
    samples: list[float] = []
    async with app.run_test(size=(160, 48)) as pilot:
        for _ in range(200):
            if engine.schedule.scheduler is not None:
                break
            await pilot.pause(0.05)
        engine.pause()  # the benchmark drives the polls itself, on the manual clock
        for i in range(quote_polls):
            clock.advance(30)
            await engine.poll_quotes()
            if i % news_every == 0:
                for f in range(0, FEEDS, 3):
                    feeds.serve(f"/feed/{f}", _rss_new(rng, f, i))
                await engine.poll_news(force=True)
            await pilot.pause()
            samples.append(proc_rss_bytes(_pid()) / MB)
    await live.close()
    session.close()
    global HEAVY
    HEAVY = sorted(m for m in ("pandas", "yfinance", "numpy") if m in sys.modules)
    return samples


def _rss_new(rng: random.Random, feed: int, poll: int) -> bytes:
    return rss_feed(rng, feed, 20, start=poll * 2)


def _pid() -> int:
    import os

    return os.getpid()


def _bare_rss(with_yfinance: bool) -> float:
    code = (
        "import asyncio, json, resource, sys\n"
        + ("import yfinance\n" if with_yfinance else "")
        + "from bench.bare_app import BareApp\n"
        "async def main():\n"
        "    async with BareApp().run_test(size=(160, 48)) as pilot:\n"
        "        await pilot.pause(0.5)\n"
        "asyncio.run(main())\n"
        "print(json.dumps(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(json.loads(out.stdout.strip().splitlines()[-1]))
