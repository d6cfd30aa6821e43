"""#3 quote refresh cost: HTTP requests, bytes and seconds per refresh of 10, 100 and 500
symbols against the tests' fake Yahoo (tests/fake_yahoo.py, in its own process).

Measured, same run, same server:
- ``yfinance.download`` of the symbols (period 1d, interval 5m: the baseline);
- ``YahooQuotes`` (yfinance ``Ticker.history`` per symbol: the previous default);
- ``YahooLiveQuotes`` (one batch quote request per 200 symbols plus a rolling share of
  chart requests: the default now), steady state: the refresh after the first one,
  which charts every symbol once, averaged over a chart cycle (20 refreshes).
Requests per minute for a 100-symbol watchlist refreshed every 30 s follow from these.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing as mp
import tempfile
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import Figure

EVERY = 30.0


def _serve(conn: Any, count: int) -> None:
    from tests.fake_yahoo import FakeYahoo

    fake = FakeYahoo().start()
    now = datetime.now(UTC)
    for i in range(count):
        fake.set_quote(f"S{i:03d}", price=100.0 + i % 50, prev_close=100.0, time=now)
    conn.send(fake.port)
    while True:
        msg = conn.recv()
        if msg == "stop":
            break
        if msg == "reset":
            fake.reset_counters()
            conn.send(None)
        elif msg == "counters":
            conn.send((sum(fake.requests.values()), fake.bytes_served))
    fake.stop()


class _Remote:
    """The fake server's counters over a pipe; ``base_url`` for the sessions."""

    def __init__(self, conn: Any, port: int) -> None:
        self._conn, self.base_url = conn, f"http://127.0.0.1:{port}"

    def reset(self) -> None:
        self._conn.send("reset")
        self._conn.recv()

    def counters(self) -> tuple[int, int]:
        self._conn.send("counters")
        return self._conn.recv()


def run(quick: bool) -> list[Figure]:
    sizes = [10, 100] if quick else [10, 100, 500]
    warnings.filterwarnings("ignore")  # pandas deprecation chatter from inside yfinance
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_serve, args=(child, max(sizes)), daemon=True)
    proc.start()
    figures: list[Figure] = []
    try:
        remote = _Remote(parent, parent.recv())
        with tempfile.TemporaryDirectory(prefix="bench-quotes-") as tmp:
            for n in sizes:
                symbols = [f"S{i:03d}" for i in range(n)]
                base = _download(remote, symbols, Path(tmp) / f"dl{n}")
                old = asyncio.run(_source(remote, symbols, Path(tmp) / f"old{n}", live=False))
                new = asyncio.run(_source(remote, symbols, Path(tmp) / f"new{n}", live=True))
                figures += _figures(n, base, old, new)
    finally:
        parent.send("stop")
        proc.join(5)
    return figures


def _figures(
    n: int, base: dict[str, float], old: dict[str, float], new: dict[str, float]
) -> list[Figure]:
    per_min = 60 / EVERY
    out = [
        Figure(
            f"quotes.{n}.requests_per_refresh",
            new["requests"],
            "requests",
            baseline=base["requests"],
            baseline_name="yfinance.download",
            notes={"previous default (Ticker.history per symbol)": old["requests"]},
        ),
        Figure(
            f"quotes.{n}.bytes_per_refresh",
            new["bytes"],
            "bytes",
            baseline=base["bytes"],
            notes={"previous default": old["bytes"]},
        ),
        Figure(
            f"quotes.{n}.seconds_per_refresh",
            new["seconds"],
            "s",
            baseline=base["seconds"],
            notes={"previous default": old["seconds"]},
        ),
        Figure(
            f"quotes.{n}.previous_default_requests",
            old["requests"],
            "requests",
            baseline=base["requests"],
        ),
    ]
    if n == 100:
        out.append(
            Figure(
                "quotes.100.requests_per_minute_at_30s",
                new["requests"] * per_min,
                "requests/min",
                baseline=base["requests"] * per_min,
                notes={"first refresh (charts every symbol once)": new["first"]},
            )
        )
    return out


def _download(remote: _Remote, symbols: list[str], cache: Path) -> dict[str, float]:
    import yfinance as yf

    from tests.fake_yahoo import fake_session, reset_yfinance

    logging.getLogger("yfinance").setLevel(logging.CRITICAL)
    cache.mkdir(parents=True)
    reset_yfinance(cache)
    session = fake_session(remote)  # type: ignore[arg-type]
    # warm: cookie, crumb and tz caches, as in a running monitor
    warnings.simplefilter("ignore")
    yf.download(
        symbols,
        period="1d",
        interval="5m",
        prepost=True,
        session=session,
        progress=False,
        threads=8,
        auto_adjust=False,
    )
    remote.reset()
    warnings.simplefilter("ignore")  # yfinance resets pandas' deprecation warnings
    start = time.perf_counter()
    yf.download(
        symbols,
        period="1d",
        interval="5m",
        prepost=True,
        session=session,
        progress=False,
        threads=8,
        auto_adjust=False,
    )
    seconds = time.perf_counter() - start
    requests, sent = remote.counters()
    session.close()
    return {"requests": requests, "bytes": sent, "seconds": seconds}


async def _source(
    remote: _Remote, symbols: list[str], cache: Path, *, live: bool
) -> dict[str, float]:
    from monitor.clock import ManualClock
    from monitor.quotes.yahoo import YahooQuotes
    from monitor.quotes.yahoo_live import YahooLiveQuotes
    from tests.fake_yahoo import fake_async_session, fake_session, reset_yfinance

    cache.mkdir(parents=True)
    clock = ManualClock(datetime.now(UTC))
    session = fake_session(remote)  # type: ignore[arg-type]
    if live:
        live_session = fake_async_session(remote)  # type: ignore[arg-type]
        source: Any = YahooLiveQuotes(
            clock=clock,
            cache_dir=cache,
            session=session,
            live_session=live_session,
            quotes_every=EVERY,
        )
    else:
        reset_yfinance(cache)
        source = YahooQuotes(clock=clock, cache_dir=cache, session=session, quotes_every=EVERY)
    try:
        remote.reset()
        await source.fetch(symbols)  # first refresh: cookie, crumb, every chart once
        first, _ = remote.counters()
        # steady state: past one whole chart cycle (20 refreshes renew every chart
        # once), then the average over the next cycle
        cycle = 20 if live else 1
        for _ in range(cycle if live else 0):
            clock.advance(EVERY)
            await source.fetch(symbols)
        remote.reset()
        start = time.perf_counter()
        for _ in range(cycle):
            clock.advance(EVERY)
            batch = await source.fetch(symbols)
            bad = [q for q in batch.quotes.values() if not q.usable]
            if bad:
                raise RuntimeError(f"{len(bad)} symbols not usable: {bad[0]}")
        seconds = (time.perf_counter() - start) / cycle
        requests, sent = remote.counters()
        requests, sent = requests / cycle, sent / cycle
    finally:
        await source.aclose()
        session.close()
        if live:
            await live_session.close()
    return {"requests": requests, "bytes": sent, "seconds": seconds, "first": first}
