"""#8 alert latency: from a quote batch entering the engine to the notifier being handed
the alert, with 50 rules.

``Engine.process_batch(batch)`` is timed from its call (it hands its writes to the
store thread and returns; the alerts are handed over once stored); the engine's dispatcher is
replaced by a recorder that notes the time it is handed the alerts (the real
dispatcher's channels would start their own I/O from there).  Batches alternate a
sell-off and a recovery so rules keep firing and re-arming; a ManualClock moves two
minutes per batch so cooldowns pass.  The whole path is real: rule evaluation, the
SQLite write of alerts and rule state on the store thread, the event fan-out.
"""

from __future__ import annotations

import asyncio
import random
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.common import BASE_TIME, Figure, bench_rules, load_watchlist, percentile, watchlist_toml

SYMBOLS = ["NVDA", "AVGO", "TSM", "ASML", "AMD", "MU", "MSFT", "META", "GOOGL", "AMZN"]


class _Recorder:
    """Stands in for the Dispatcher: records when alerts are handed over."""

    def __init__(self) -> None:
        self.handed: list[tuple[float, int]] = []

    async def dispatch(self, alerts: list[Any], *, quiet_hours_for: Any = None) -> None:
        self.handed.append((time.perf_counter(), len(alerts)))


class _NoSource:
    name = "bench"

    async def fetch(self, symbols: Any) -> Any:
        raise AssertionError("batches are fed directly")

    async def history(self, symbol: str, days: int = 400) -> list[Any]:
        return []

    def source_status(self) -> Any:
        from monitor.model import SourceStatus, Status

        return SourceStatus(self.name, "quotes", Status.OK)

    async def aclose(self) -> None:
        pass


def run(quick: bool) -> list[Figure]:
    batches = 60 if quick else 400
    latencies, evaluate_ms, fired = asyncio.run(_measure(batches))
    p99 = percentile(latencies, 99)
    return [
        Figure(
            "alerts.latency_p99",
            p99,
            "ms",
            target="<= 5 ms",
            met=p99 <= 5,
            notes={"rules": 50, "batches_with_alerts": len(latencies), "alerts": fired},
        ),
        Figure("alerts.latency_p50", percentile(latencies, 50), "ms"),
        Figure(
            "alerts.process_batch_p99",
            percentile(evaluate_ms, 99),
            "ms",
            notes={"what": "whole process_batch, every batch (10 symbols, 50 rules)"},
        ),
    ]


async def _measure(batches: int) -> tuple[list[float], list[float], int]:
    from monitor.clock import ManualClock
    from monitor.engine import Engine
    from monitor.model import MarketState, Quote, QuoteBatch

    rng = random.Random(8)
    with tempfile.TemporaryDirectory(prefix="bench-alerts-") as tmp:
        text = watchlist_toml(
            database=Path(tmp) / "m.db", symbols=SYMBOLS, rules=bench_rules(SYMBOLS, 50, rng)
        )
        loaded = load_watchlist(Path(tmp) / "w.toml", text)
        clock = ManualClock(BASE_TIME + timedelta(hours=3))  # 10:00 in New York
        engine = Engine(loaded, clock=clock, quote_source=_NoSource(), notify=True)
        recorder = _Recorder()
        engine.alerting.dispatcher = recorder  # the notifier boundary being timed
        await engine.open()
        latencies, whole, fired = [], [], 0
        try:
            for i in range(batches):
                clock.advance(120)
                drop = -8.0 if i % 2 == 0 else 0.5
                quotes = {}
                for sym in SYMBOLS:
                    prev = 100.0 + rng.random() * 50
                    price = prev * (1 + (drop + rng.uniform(-1, 1)) / 100)
                    quotes[sym] = Quote(
                        sym,
                        price=price,
                        prev_close=prev,
                        open=prev,
                        high=max(prev, price),
                        low=min(prev, price),
                        volume=1e6,
                        currency="USD",
                        as_of=clock.now(),
                        market_state=MarketState.REGULAR,
                    )
                before = len(recorder.handed)
                start = time.perf_counter()
                await engine.process_batch(QuoteBatch(clock.now(), quotes))
                whole.append((time.perf_counter() - start) * 1000)
                # the alerts are stored behind the batch, then handed over: wait for that
                await engine.written()
                for _ in range(100):  # the dispatch task runs right after
                    if len(recorder.handed) > before:
                        break
                    await asyncio.sleep(0)
                if len(recorder.handed) > before:
                    handed, count = recorder.handed[-1]
                    latencies.append((handed - start) * 1000)
                    fired += count
        finally:
            await engine.stop()
    return latencies, whole, fired
