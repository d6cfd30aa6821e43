"""#6 live update cost: 200 symbols updating every second and 20 headlines a minute,
in the real Textual app run headless (``App.run_test``) on the real engine.

Each second one quote batch of 200 symbols goes through ``Engine.process_batch``
(store, events, 50 rules); every 3 s one new headline is stored and announced.  An
update's handling time is the engine's part (``process_batch``; for a headline the
ingest, its store write and the announcement) plus the app's: the panes' work on what
the engine posts (the watchlist's ``apply_quotes``, which a pane may defer to after
the frame, the rules' ``on_rules_changed``, the headlines' ``on_headlines_arrived``),
timed by wrapping them.  ``quote_to_table`` is the time from handing a batch to the
engine to the watchlist's cells holding it.  CPU is this process's over the whole
window.  Baseline, same run: the same app and engine left idle for the same time.
"""

from __future__ import annotations

import asyncio
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.alerts import _NoSource
from bench.apphost import make_app, prepare, symbols
from bench.common import Figure, headline_text, percentile


def run(quick: bool) -> list[Figure]:
    seconds = 6 if quick else 30
    n = 200
    with tempfile.TemporaryDirectory(prefix="bench-live-") as tmp:
        loaded = prepare(Path(tmp), headlines=2_000, n_symbols=n, minutes=0, rules=50, feeds=[])
        idle_cpu = asyncio.run(_window(loaded, seconds, updates=False))[0]
        cpu, timings = asyncio.run(_window(loaded, seconds, updates=True))
    quote_ms, headline_ms, handler_ms, to_table_ms = timings
    engine_ms = quote_ms + headline_ms
    # engine and app parts are timed separately; their p99s add up to a bound
    p99 = percentile(engine_ms, 99) + percentile(handler_ms, 99)
    handled = engine_ms
    return [
        Figure(
            "live.cpu",
            cpu * 100,
            "% of one core",
            baseline=idle_cpu * 100,
            baseline_name="idle app",
            target="<= 5%",
            met=cpu <= 0.05,
            notes={"symbols": n, "updates": len(handled), "window_s": seconds},
        ),
        Figure("live.update_p99", p99, "ms", target="<= 16 ms", met=p99 <= 16),
        Figure(
            "live.engine_p99",
            percentile(engine_ms, 99),
            "ms",
            notes={"p50": percentile(engine_ms, 50)},
        ),
        Figure(
            "live.engine_quotes_p99",
            percentile(quote_ms, 99),
            "ms",
            notes={"p50": percentile(quote_ms, 50), "batches": len(quote_ms)},
        ),
        Figure(
            "live.engine_headline_p99",
            percentile(headline_ms, 99),
            "ms",
            notes={"p50": percentile(headline_ms, 50), "headlines": len(headline_ms)},
        ),
        Figure(
            "live.quote_to_table_p99",
            percentile(to_table_ms, 99),
            "ms",
            notes={"p50": percentile(to_table_ms, 50)},
        ),
        Figure(
            "live.app_handler_p99",
            percentile(handler_ms, 99),
            "ms",
            notes={"handled messages": len(handler_ms), "p50": percentile(handler_ms, 50)},
        ),
    ]


async def _window(loaded: Any, seconds: float, *, updates: bool) -> tuple[float, Any]:
    from monitor.clock import ManualClock
    from monitor.engine import Engine
    from monitor.ui.widgets.alerts import AlertsPane
    from monitor.ui.widgets.headlines import HeadlinesPane
    from monitor.ui.widgets.watchlist import WatchlistPane

    clock = ManualClock(datetime.now(UTC))
    engine = Engine(loaded, clock=clock, quote_source=_NoSource(), notify=False)
    await engine.open()
    handler_ms: list[float] = []
    applied: list[float] = []  # when the watchlist's cells took each batch
    app = make_app(engine)
    # each pane handles its own engine messages (this process is the benchmark's own)
    _wrap(WatchlistPane, "apply_quotes", handler_ms, applied)
    _wrap(AlertsPane, "on_rules_changed", handler_ms)
    _wrap(HeadlinesPane, "on_headlines_arrived", handler_ms)
    rng = random.Random(6)
    names = symbols(200)
    prices = {s: 100.0 + rng.random() * 50 for s in names}
    quote_ms: list[float] = []
    headline_ms: list[float] = []
    sent: list[float] = []
    async with app.run_test(size=(160, 48)) as pilot:
        while app.engine is None:
            await pilot.pause(0.05)
        await pilot.pause(0.5)
        engine.pause()
        handler_ms.clear()
        applied.clear()
        start_cpu, start = time.process_time(), time.perf_counter()
        tick = 0
        while time.perf_counter() - start < seconds:
            tick += 1
            clock.advance(1)
            if updates:
                sent.append(time.perf_counter())
                quote_ms.append(await _quotes(engine, clock, prices, rng))
                if tick % 3 == 0:
                    headline_ms.append(await _headline(engine, clock, rng, tick))
            next_tick = start + tick
            await asyncio.sleep(max(0.0, next_tick - time.perf_counter()))
        cpu = (time.process_time() - start_cpu) / (time.perf_counter() - start)
    return cpu, (quote_ms, headline_ms, handler_ms, _to_table(sent, applied))


def _to_table(sent: list[float], applied: list[float]) -> list[float]:
    """For each batch, ms until the watchlist first applied quotes after it was sent."""
    out = []
    for at in sent:
        after = [t for t in applied if t >= at]
        if after:
            out.append((min(after) - at) * 1000)
    return out


def _wrap(cls: Any, name: str, out: list[float], ends: list[float] | None = None) -> None:
    """Time a pane's handler (Textual looks handlers up in the class's own dict)."""
    original = cls.__dict__[name]

    def timed(self: Any, *args: Any) -> Any:
        start = time.perf_counter()
        try:
            return original(self, *args)
        finally:
            end = time.perf_counter()
            out.append((end - start) * 1000)
            if ends is not None:
                ends.append(end)

    timed.__name__ = name
    setattr(cls, name, timed)


async def _quotes(engine: Any, clock: Any, prices: dict[str, float], rng: random.Random) -> float:
    from monitor.model import MarketState, Quote, QuoteBatch

    now = clock.now()
    batch = {}
    for s in prices:
        prices[s] *= 1 + rng.uniform(-0.001, 0.001)
        batch[s] = Quote(
            s,
            price=prices[s],
            prev_close=120.0,
            open=120.0,
            high=prices[s],
            low=prices[s],
            volume=1e6,
            currency="USD",
            as_of=now,
            market_state=MarketState.REGULAR,
        )
    start = time.perf_counter()
    await engine.process_batch(QuoteBatch(now, batch))
    return (time.perf_counter() - start) * 1000


async def _headline(engine: Any, clock: Any, rng: random.Random, tick: int) -> float:
    from monitor.entries import Entry

    now = clock.now()
    entry = Entry(
        feed="wire",
        source="Wire",
        title="DeepSeek " + headline_text(rng),
        link=f"https://wire.example/{tick}",
        guid=f"live-{tick}",
        summary="",
        published=now - timedelta(seconds=5),
    )
    start = time.perf_counter()
    await engine.news.take([entry])  # matched, stored and announced, as a poll's entries
    return (time.perf_counter() - start) * 1000
