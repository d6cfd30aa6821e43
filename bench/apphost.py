"""The monitor as a benchmark runs it in-process: the real Textual app, headless
(``App.run_test``), on the real engine, with a store filled like a long-used one."""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.common import BASE_TIME, bench_rules, load_watchlist, watchlist_toml
from bench.search import fill_store


def symbols(n: int) -> list[str]:
    return [f"S{i:03d}" for i in range(n)]


def fill_quotes(db: Path, names: list[str], minutes: int, seed: int) -> None:
    """A day of minute snapshots for every symbol."""
    from monitor.model import MarketState, Quote, QuoteBatch
    from monitor.store import Store

    rng = random.Random(seed)
    prices = {s: 100.0 + rng.random() * 50 for s in names}
    with Store(db) as store:
        for m in range(minutes):
            t = BASE_TIME - timedelta(minutes=minutes - m)
            batch = {}
            for s in names:
                prices[s] *= 1 + rng.uniform(-0.002, 0.002)
                batch[s] = Quote(
                    s,
                    price=prices[s],
                    prev_close=100.0,
                    open=100.0,
                    high=prices[s],
                    low=prices[s],
                    volume=1e6,
                    currency="USD",
                    as_of=t,
                    market_state=MarketState.REGULAR,
                )
            store.add_quotes(QuoteBatch(t, batch))


def prepare(
    tmp: Path,
    *,
    headlines: int,
    n_symbols: int,
    minutes: int,
    rules: int,
    feeds: list[tuple[str, str]],
) -> Any:
    """A database and a loaded watchlist like a long-used monitor's."""
    db = tmp / "m.db"
    fill_store(db, headlines, seed=5)
    names = symbols(n_symbols)
    if minutes:
        fill_quotes(db, names, minutes, seed=5)
    rng = random.Random(5)
    text = watchlist_toml(
        database=db,
        feeds=feeds,
        symbols=names,
        rules=bench_rules(names, rules, rng),
        notify=("terminal",),
    )
    return load_watchlist(tmp / "watchlist.toml", text)


def make_app(engine: Any) -> Any:
    from monitor.ui.app import MonitorApp

    async def factory() -> Any:
        return engine

    return MonitorApp(factory)
