"""#2 ingest throughput: entries/s through parse -> sanitize -> match -> dedup -> store.

200 generated feeds x 100 entries go through the engine's own steps, on one thread
(``parse_feed``, ``Ingest.process``, ``Store.add_entries`` into a SQLite file), as a
first poll where every entry is new.  Baseline, same bytes: ``feedparser.parse`` alone.
Also reported: the fast parser alone, the pipeline's overhead beyond its own parsing,
and a second pass where every entry is already stored (a steady-state poll).
"""

from __future__ import annotations

import random
import tempfile
from datetime import timedelta
from pathlib import Path

from bench.common import BASE_TIME, Figure, rss_feed, timed

SYMBOLS = ["NVDA", "AVGO", "TSM", "ASML", "AMD", "MU", "MSFT", "META", "GOOGL", "AMZN"]
ALIASES = {"NVDA": ["Nvidia"], "AVGO": ["Broadcom"], "TSM": ["TSMC"]}
QUERY = 'DeepSeek OR "深度求索" OR "Liang Wenfeng" OR 梁文锋'


def run(quick: bool) -> list[Figure]:
    feeds, items = (20, 100) if quick else (200, 100)
    rng = random.Random(2)
    bodies = [(f"feed {i}", rss_feed(rng, i, items)) for i in range(feeds)]
    entries = feeds * items
    baseline = _feedparser_alone(bodies)
    fast = _fast_alone(bodies)
    first, second, parse_share = _pipeline(bodies)
    rate, base_rate = entries / first["cpu"], entries / baseline["cpu"]
    overhead = first["cpu"] / baseline["cpu"] - 1
    beyond = first["cpu"] / parse_share - 1
    return [
        Figure(
            "ingest.pipeline_rate",
            rate,
            "entries/s",
            baseline=base_rate,
            baseline_name="feedparser.parse alone",
            target=">= 20,000 entries/s",
            met=rate >= 20_000,
            notes={
                "load": f"{feeds} feeds x {items} entries, all new",
                "cpu_s": first["cpu"],
                "wall_s": first["wall"],
            },
        ),
        Figure(
            "ingest.pipeline_vs_feedparser_time",
            1 + overhead,
            "x",
            target="<= 1.25 (overhead beyond feedparser <= 25%)",
            met=overhead <= 0.25,
        ),
        Figure(
            "ingest.fast_parse_alone_rate",
            entries / fast["cpu"],
            "entries/s",
            notes={"parser": "fastfeedparser.parse"},
        ),
        Figure(
            "ingest.parse_step_share",
            parse_share / first["cpu"],
            "of pipeline CPU",
            notes={"what": "parse_feed (fast path, sanitize included) / whole pipeline"},
        ),
        Figure(
            "ingest.overhead_beyond_own_parse",
            beyond,
            "x",
            notes={"what": "(pipeline - its parse_feed step) / parse_feed step"},
        ),
        Figure(
            "ingest.repoll_rate",
            entries / second["cpu"],
            "entries/s",
            notes={"what": "same entries again: all already stored"},
        ),
    ]


def _feedparser_alone(bodies: list[tuple[str, bytes]]) -> dict[str, float]:
    import feedparser

    with timed() as t:
        for _, body in bodies:
            feedparser.parse(body)
    return t


def _fast_alone(bodies: list[tuple[str, bytes]]) -> dict[str, float]:
    import fastfeedparser

    with timed() as t:
        for _, body in bodies:
            fastfeedparser.parse(body)
    return t


def _pipeline(bodies: list[tuple[str, bytes]]) -> tuple[dict[str, float], dict[str, float], float]:
    from monitor.news.ingest import Ingest
    from monitor.news.parse import parse_feed
    from monitor.store import Store

    ingest = Ingest.build(QUERY, {}, ALIASES, SYMBOLS)
    now = BASE_TIME + timedelta(minutes=5)
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        store = Store(Path(tmp) / "m.db")
        try:
            parse_cpu = 0.0
            with timed() as first:
                for name, body in bodies:
                    with timed() as p:
                        parsed = parse_feed(
                            body, feed_name=name, now=now, base_url="https://x.example/"
                        )
                    parse_cpu += p["cpu"]
                    store.add_entries(ingest.process(parsed.entries), now=now)
            with timed() as second:
                for name, body in bodies:
                    parsed = parse_feed(
                        body, feed_name=name, now=now, base_url="https://x.example/"
                    )
                    store.add_entries(ingest.process(parsed.entries), now=now)
        finally:
            store.close()
    return first, second, parse_cpu
