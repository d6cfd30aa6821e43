"""#2 ingest throughput: entries/s through parse -> sanitize -> match -> dedup -> store.

200 generated feeds x 100 entries go through the engine's own steps, on one thread
(``parse_feed`` and ``Ingest.process`` per feed, then the poll's ONE write,
``Store.record_poll``, into a SQLite file), as a first poll where every entry is new.
Baseline, same bytes: ``feedparser.parse`` alone.  Also reported: the fast parser
alone, the pipeline's overhead beyond its own parsing, and a second poll where every
entry is already stored but every body changed (a steady-state poll).  Search indexing
and the WAL checkpoint are not part of a write (the store thread does them when idle,
see ``monitor.store.worker``); their cost is reported on its own.
"""

from __future__ import annotations

import hashlib
import random
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

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
    first, second, parse_share, index, checkpoint = _pipeline(bodies)
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
        Figure(
            "ingest.search_index_rate",
            entries / index["cpu"],
            "stories/s",
            notes={"what": "Store.index_for_search afterwards (off the write path)"},
        ),
        Figure(
            "ingest.checkpoint_cpu",
            checkpoint["cpu"],
            "s",
            notes={
                "what": "Store.checkpoint afterwards: the two polls' WAL pages copied into"
                " the file (off the write path)",
                "wall_s": checkpoint["wall"],
            },
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


def _pipeline(
    bodies: list[tuple[str, bytes]],
) -> tuple[dict[str, float], dict[str, float], float, dict[str, float], dict[str, float]]:
    from monitor.news.ingest import Ingest
    from monitor.store import Store

    ingest = Ingest.build(QUERY, {}, ALIASES, SYMBOLS)
    now = BASE_TIME + timedelta(minutes=5)
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        store = Store(Path(tmp) / "m.db")
        try:
            parse_cpu = [0.0]
            with timed() as first:
                _poll(store, ingest, bodies, now, parse_cpu)
            with timed() as second:
                _poll(store, ingest, bodies, now + timedelta(minutes=2), [0.0], salt=b" ")
            with timed() as index:
                store.index_for_search()
            with timed() as checkpoint:
                store.checkpoint()
        finally:
            store.close()
    return first, second, parse_cpu[0], index, checkpoint


def _poll(
    store: Any,
    ingest: Any,
    bodies: list[tuple[str, bytes]],
    now: Any,
    parse_cpu: list[float],
    salt: bytes = b"",
) -> None:
    """What the engine does with a poll's answers: parse and match each body, then
    write the poll (entries, feed states, body digests) in one transaction."""
    from monitor.heap import cyclic_gc_paused
    from monitor.news.parse import parse_feed

    items, states, digests = [], {}, {}
    with cyclic_gc_paused():  # as the engine's parse hop (news_poller._parse_all)
        for name, body in bodies:
            body += salt  # a changed body: parsed again, its entries already stored
            with timed() as p:
                parsed = parse_feed(body, feed_name=name, now=now, base_url="https://x.example/")
            parse_cpu[0] += p["cpu"]
            items += ingest.process(parsed.entries)
            states[name] = {"url": f"https://x.example/{name}", "status": "ok"}
            digests[name] = (hashlib.blake2b(body, digest_size=16).digest(), parsed.warning)
    store.record_poll(items, states=states, bodies=digests, now=now)
