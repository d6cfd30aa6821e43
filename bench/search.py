"""#9 history scale: the `/` filter over 100,000 stored headlines.

The headlines pane's filter calls ``Engine.search_headlines(text)`` (SQLite FTS5,
trigram) as the user types; each prefix of a few queries is timed through the engine
(store thread included), as a keystroke would run it.  Baseline, same data: a Python
scan of every stored title and summary for the same words.
"""

from __future__ import annotations

import asyncio
import random
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from bench.common import (
    BASE_TIME,
    Figure,
    headline_text,
    load_watchlist,
    percentile,
    watchlist_toml,
)

QUERIES = ["deepseek nvidia", "liang wenfeng", "export rules", "深度求索", "chips fall"]


def run(quick: bool) -> list[Figure]:
    count = 10_000 if quick else 100_000
    with tempfile.TemporaryDirectory(prefix="bench-search-") as tmp:
        db = Path(tmp) / "m.db"
        build_seconds = fill_store(db, count, seed=9)
        engine_ms, scan_ms, hits = asyncio.run(_measure(Path(tmp), db))
    p99, scan = percentile(engine_ms, 99), percentile(scan_ms, 50)
    return [
        Figure(
            "search.keystroke_p99",
            p99,
            "ms",
            baseline=scan,
            baseline_name="Python scan of every headline (median)",
            target="<= 50 ms",
            met=p99 <= 50,
            notes={
                "headlines": count,
                "keystrokes": len(engine_ms),
                "results_returned_max": max(hits),
            },
        ),
        Figure("search.keystroke_p50", percentile(engine_ms, 50), "ms"),
        Figure(
            "search.store_fill_rate",
            count / build_seconds,
            "headlines/s",
            notes={
                "what": "building the benchmark's database (Store.add_entries, then"
                " Store.index_for_search)"
            },
        ),
    ]


def fill_store(db: Path, count: int, seed: int) -> float:
    """``count`` distinct stored headlines (a few outlets per story); seconds taken."""
    from monitor.entries import Entry
    from monitor.news.ingest import Ingest
    from monitor.store import Store

    rng = random.Random(seed)
    ingest = Ingest.build('DeepSeek OR "深度求索" OR "Liang Wenfeng"', {}, {}, ["NVDA"])
    start = time.perf_counter()
    with Store(db) as store:
        for first in range(0, count, 2000):
            now = BASE_TIME - timedelta(minutes=(count - first) // 20)
            entries = [
                Entry(
                    feed=f"feed {i % 50}",
                    source=f"Outlet {i % 50}",
                    title=headline_text(rng),
                    link=f"https://outlet.example/{i}",
                    guid=f"g{i}",
                    summary=headline_text(rng, 0.1) + ".",
                    published=now - timedelta(seconds=count - i),
                )
                for i in range(first, min(count, first + 2000))
            ]
            store.add_entries(ingest.process(entries), now=now)
        store.index_for_search()  # what the store thread does when writes go quiet
    return time.perf_counter() - start


async def _measure(tmp: Path, db: Path) -> tuple[list[float], list[float], list[int]]:
    from monitor.engine import Engine

    loaded = load_watchlist(tmp / "w.toml", watchlist_toml(database=db))
    engine = Engine(loaded, notify=False)
    await engine.open()
    corpus = await engine.store.read(
        lambda s: s._conn.execute("SELECT lower(title || ' ' || summary) FROM stories").fetchall()
    )
    engine_ms, scan_ms, hits = [], [], []
    try:
        for query in QUERIES:
            for end in range(1, len(query) + 1):
                text = query[:end]
                start = time.perf_counter()
                found = await engine.search_headlines(text)
                engine_ms.append((time.perf_counter() - start) * 1000)
                hits.append(len(found))
                if end == len(query):
                    scan_ms.append(_scan(corpus, text))
    finally:
        await engine.stop()
    return engine_ms, scan_ms, hits


def _scan(corpus: list[tuple[str]], text: str) -> float:
    words = text.lower().split()
    start = time.perf_counter()
    found = [row for (row,) in corpus if all(w in row for w in words)]
    found.sort(reverse=True)
    return (time.perf_counter() - start) * 1000
