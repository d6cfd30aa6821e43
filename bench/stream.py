"""#11 streamed price to alert: from a price frame leaving Yahoo's (fake) streamer to the
notifier being handed the alert, next to the same price arriving by a 30 s poll.

The streamer (tests/fake_streamer.py, frames encoded by yfinance's ``pricing_pb2``) runs
in its own process and notes ``time.perf_counter()`` (CLOCK_MONOTONIC: one clock for
every process) just before each ``send``.  The monitor's side is the engine as it runs
live: ``Engine(stream_url=...)`` opens its stream because the market is open, a first
poll seeds it, and each frame goes websocket -> ``YahooStream`` -> ``Quote`` -> the
engine's streamed batches -> ``process_batch`` (10 symbols, 50 rules, SQLite writes)
-> a recorder in the dispatcher's place noting when it is handed the alerts.  Frames
are paced 25 ms apart, one symbol each, sell-offs and recoveries alternating; the
engine's clock runs 20x fast so 1 s rule cooldowns pass between a symbol's frames.

Baseline: the same prices by a 30 s poll.  A price is seen at the next poll: the wait
(uniform over the interval, seeded) + the same path measured here.  The poll's own
HTTP request (~5 ms for 100 symbols, benchmark #3) is left out, in its favour.
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import random
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import BASE_TIME, Figure, bench_rules, load_watchlist, percentile, watchlist_toml

SYMBOLS = ["NVDA", "AVGO", "TSM", "ASML", "AMD", "MU", "MSFT", "META", "GOOGL", "AMZN"]
POLL_EVERY = 30.0
PACE = 0.025
#: the monitor's clock starts at 10:00 New York on a Monday and runs SPEED times fast
START = BASE_TIME + timedelta(hours=3)
SPEED = 20.0


def _plan(count: int) -> list[tuple[str, float, float]]:
    """(symbol, price, previous close) of each frame, seeded."""
    rng = random.Random(11)
    prev = {s: round(100.0 + rng.random() * 50, 2) for s in SYMBOLS}
    plan = []
    for i in range(count):
        symbol = SYMBOLS[i % len(SYMBOLS)]
        drop = -8.0 if (i // len(SYMBOLS)) % 2 == 0 else 0.5
        price = round(prev[symbol] * (1 + (drop + rng.uniform(-1, 1)) / 100), 2)
        plan.append((symbol, price, prev[symbol]))
    return plan


def _serve(conn: Any, plan: list[tuple[str, float, float]]) -> None:
    asyncio.run(_serve_async(conn, plan))


async def _serve_async(conn: Any, plan: list[tuple[str, float, float]]) -> None:
    from tests.fake_streamer import FakeStreamer, price_frame

    loop = asyncio.get_running_loop()
    async with FakeStreamer() as server:
        conn.send(server.url)
        await server.wait_subscribed(timeout=60)
        conn.send("subscribed")
        origin = await loop.run_in_executor(None, conn.recv)  # "go": the clock's origin
        sent: dict[int, float] = {}
        for sym, price, prev in plan:
            at = time.perf_counter()
            tick = _clock_time(origin, at)
            frame = price_frame(sym, price, tick, previous_close=prev, currency="USD")
            sent[int(tick.timestamp() * 1000)] = time.perf_counter()
            await server.send(frame)
            await asyncio.sleep(PACE)
        conn.send(sent)
        await loop.run_in_executor(None, conn.recv)  # "stop"


def _clock_time(origin: float, at: float) -> datetime:
    """The monitor's clock at ``perf_counter() == at``: SPEED times real time from START
    (so 1 s rule cooldowns pass between a symbol's frames 250 ms apart)."""
    return START + timedelta(seconds=(at - origin) * SPEED)


class _FastClock:
    def __init__(self) -> None:
        self.origin = time.perf_counter()

    def now(self) -> datetime:
        return _clock_time(self.origin, time.perf_counter())


class _Recorder:
    """Stands in for the Dispatcher: notes when it is handed alerts, and for which frame
    (the data time of the alerting symbol's latest quote)."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.handed: dict[int, float] = {}

    async def dispatch(self, alerts: list[Any], *, quiet_hours_for: Any = None) -> None:
        now = time.perf_counter()
        quotes = self.engine.quotes()
        for alert in alerts:
            quote = quotes.get(alert.symbol) if alert.symbol else None
            if quote is not None and quote.as_of is not None:
                self.handed.setdefault(int(quote.as_of.timestamp() * 1000), now)


class _Polled:
    """The first poll's answer (names, previous closes): the stream's context."""

    name = "bench"

    def __init__(self, clock: Any) -> None:
        self.clock = clock

    async def fetch(self, symbols: Any) -> Any:
        from monitor.model import QuoteBatch

        at = self.clock.now() - timedelta(seconds=1)
        plan = {s: prev for s, _, prev in _plan(len(SYMBOLS))}
        return QuoteBatch(at, {s: _polled(s, plan[s], at) for s in symbols})

    async def history(self, symbol: str, days: int = 400) -> list[Any]:
        return []

    def source_status(self) -> Any:
        from monitor.model import SourceStatus, Status

        return SourceStatus(self.name, "quotes", Status.OK)

    async def aclose(self) -> None:
        pass


def run(quick: bool) -> list[Figure]:
    plan = _plan(60 if quick else 400)
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_serve, args=(child, plan), daemon=True)
    proc.start()
    try:
        if not parent.poll(60):
            raise RuntimeError("the streamer did not start")
        stream_ms, connects = asyncio.run(_measure(parent.recv(), parent))
    finally:
        try:
            parent.send("stop")
        except (BrokenPipeError, OSError):
            pass
        proc.join(5)
        if proc.is_alive():
            proc.kill()
    rng = random.Random(30)
    poll_ms = [rng.uniform(0, POLL_EVERY) * 1000 + ms for ms in stream_ms]
    p99, poll_p99 = percentile(stream_ms, 99), percentile(poll_ms, 99)
    notes = {
        "frames": len(plan),
        "alerts_handed": len(stream_ms),
        "connects": connects,
        "slowest_ms": sorted(round(ms, 1) for ms in stream_ms)[-5:],
    }
    return [
        Figure(
            "stream.latency_p99",
            p99,
            "ms",
            baseline=poll_p99,
            baseline_name="same prices by a 30 s poll, p99",
            target="<= 50 ms",
            met=p99 <= 50,
            notes=notes,
        ),
        Figure(
            "stream.latency_p50",
            percentile(stream_ms, 50),
            "ms",
            baseline=percentile(poll_ms, 50),
            baseline_name="same prices by a 30 s poll, p50",
        ),
    ]


async def _measure(url: str, conn: Any) -> tuple[list[float], int]:
    from monitor.engine import Engine

    rng = random.Random(8)
    loop = asyncio.get_running_loop()
    with tempfile.TemporaryDirectory(prefix="bench-stream-") as tmp:
        text = watchlist_toml(
            database=Path(tmp) / "m.db", symbols=SYMBOLS, rules=bench_rules(SYMBOLS, 50, rng)
        )
        clock = _FastClock()
        engine = Engine(
            load_watchlist(Path(tmp) / "w.toml", text),
            clock=clock,
            quote_source=_Polled(clock),
            notify=True,
            stream_url=url,
        )
        recorder = _Recorder(engine)
        engine.alerting.dispatcher = recorder  # the notifier boundary being timed
        await engine.start()
        engine.pause()
        try:
            await engine.poll_quotes()  # as live: a first poll, the stream's context
            # as on a monitor running a while: start-up work (the desktop notifier
            # check, daily history) is done before the prices that are timed
            await asyncio.sleep(1.0)
            await loop.run_in_executor(None, conn.recv)  # the stream has subscribed
            await loop.run_in_executor(None, conn.send, clock.origin)
            sent = await loop.run_in_executor(None, conn.recv)
            last = max(sent)
            for _ in range(500):  # the last frames are still being handled
                latest = [q.as_of for q in engine.quotes().values() if q.as_of]
                if latest and int(max(latest).timestamp() * 1000) >= last:
                    break
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.05)
            connects = engine.live.stream.connects if engine.live and engine.live.stream else 0
        finally:
            await engine.stop()
    stream_ms = [(at - sent[tick]) * 1000 for tick, at in recorder.handed.items() if tick in sent]
    return stream_ms, connects


def _polled(symbol: str, prev: float, at: Any) -> Any:
    """A quote as the first poll brought it: at the previous close, nothing moving."""
    from monitor.model import MarketState, Quote

    return Quote(
        symbol,
        price=prev,
        prev_close=prev,
        open=prev,
        high=prev,
        low=prev,
        volume=1e6,
        currency="USD",
        as_of=at,
        market_state=MarketState.REGULAR,
        name=symbol,
    )
