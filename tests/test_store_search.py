"""Search with the full-text index kept off the write path: stories are indexed in
batches when the store thread is idle and before any search, and a search finds exactly
what an index kept in step with every write finds.  Real SQLite files in tmp_path."""

from __future__ import annotations

import asyncio
import random
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.entries import Entry, FeedBody, Matched
from monitor.news.dedup import entry_keys
from monitor.store import SCHEMA_VERSION, Store, StoreWorker, search
from monitor.store.schema import FTS_INDEXED_SEQ, MIGRATIONS

T0 = datetime(2025, 1, 27, 14, 30, tzinfo=UTC)
WORDS = (
    "DeepSeek Nvidia chips rally slump AI model trade Fed rates TSMC Broadcom market "
    "selloff 深度求索 发布 新模型 芯片股 下跌 人工智能 英伟达 梁文锋 naïve Ünïcode"
).split()


def item(i: int, title: str, summary: str = "", feed: str = "wire") -> Matched:
    e = Entry(feed=feed, source="Wire", title=title, link=f"https://wire.example/{i}",
              guid=f"g{i}", summary=summary, published=T0 + timedelta(seconds=i))  # fmt: skip
    return Matched(e, ("deepseek",), (), entry_keys(e))


def corpus(seed: int, count: int) -> list[Matched]:
    rng = random.Random(seed)
    return [
        item(i, " ".join(rng.choices(WORDS, k=6)) + f" #{i}", " ".join(rng.choices(WORDS, k=9)))
        for i in range(count)
    ]


def queries(seed: int) -> list[str]:
    """Words, prefixes (what the `/` filter sends while typing), pairs, two-character
    Chinese words (below the trigram size) and text found nowhere."""
    rng = random.Random(seed)
    found = [w[:n] for w in WORDS for n in range(1, len(w) + 1)]
    pairs = [" ".join(rng.sample(WORDS, 2)) for _ in range(40)]
    return [*found, *pairs, "芯片", "深度", "chips 芯片", "nothing-like-this", "#1"]


def indexed_in_step(db: Path) -> Store:
    """A store whose index follows every write, as the first schema's trigger did."""
    store = Store(db)
    store._conn.execute(
        "CREATE TRIGGER in_step AFTER INSERT ON stories BEGIN"
        " INSERT INTO stories_fts(rowid, title, summary) VALUES (new.seq, new.title, new.summary);"
        f" UPDATE meta SET value = new.seq WHERE key = '{FTS_INDEXED_SEQ}'; END"
    )
    return store


def test_writes_leave_the_index_alone_and_a_search_catches_up(tmp_path: Path) -> None:
    with Store(tmp_path / "m.db") as store:
        assert not store.search_pending
        store.add_entries(corpus(1, 50), now=T0)
        assert store.search_pending and search.pending(store._conn) == 50  # not indexed
        assert len(store.search_headlines("#4")) == 11  # #4, #40..#49: found all the same
        assert not store.search_pending
        assert store.integrity_check() == "ok"


def test_search_finds_what_an_index_kept_in_step_finds(tmp_path: Path) -> None:
    """Stories arrive in batches; some batches are indexed by the idle-time indexer,
    some wait for the search: every query gives the same stories in the same order."""
    items = corpus(2, 600)
    deferred = Store(tmp_path / "deferred.db")
    in_step = indexed_in_step(tmp_path / "in_step.db")
    try:
        for n, start in enumerate(range(0, len(items), 100)):
            batch = items[start : start + 100]
            deferred.add_entries(batch, now=T0 + timedelta(minutes=n))
            in_step.add_entries(batch, now=T0 + timedelta(minutes=n))
            if n % 2:
                deferred.index_for_search(limit=70)  # part of what waits
        assert search.pending(deferred._conn) > 0 and search.pending(in_step._conn) == 0
        for text in queries(3):
            got = [h.story for h in deferred.search_headlines(text, limit=50)]
            want = [h.story for h in in_step.search_headlines(text, limit=50)]
            assert got == want, text
        assert any(deferred.search_headlines(w) for w in WORDS)  # the corpus is found
    finally:
        deferred.close()
        in_step.close()


def test_integrity_check_indexes_first_and_a_viewer_searches_what_is_indexed(
    tmp_path: Path,
) -> None:
    db = tmp_path / "m.db"
    with Store(db) as store:
        store.add_entries([item(1, "DeepSeek rattles Nvidia")], now=T0)
        with Store(db, readonly=True) as viewer:
            assert viewer.search_headlines("rattles") == []  # not indexed yet
            store.add_entries([item(2, "Nvidia rattled again")], now=T0)
            assert store.integrity_check() == "ok"  # indexes every story first
            assert [h.title for h in viewer.search_headlines("rattle")] == [
                "Nvidia rattled again",
                "DeepSeek rattles Nvidia",
            ]


async def test_the_store_thread_indexes_when_writes_go_quiet(tmp_path: Path) -> None:
    worker = StoreWorker(lambda: Store(tmp_path / "m.db"), index_delay=0.01)
    await worker.open()
    try:
        await worker.write(lambda s: s.add_entries(corpus(4, 30), now=T0))
        for _ in range(1000):  # the indexer runs on its own; wait for it (bounded)
            if not await worker.read(lambda s: s.search_pending):
                break
            await asyncio.sleep(0.01)
        pending = await worker.read(lambda s: s.search_pending)
        left = await worker.read(lambda s: search.pending(s._conn))
        assert (pending, left) == (False, 0)
    finally:
        await worker.close()


def test_a_first_schema_database_keeps_its_index(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    raw = sqlite3.connect(db, isolation_level=None)
    MIGRATIONS[0](raw)  # the first schema: an insert trigger indexed every story
    raw.execute("PRAGMA user_version = 1")
    raw.execute(
        "INSERT INTO stories(id, title, title_key, source, feed, published, first_seen,"
        " last_seen) VALUES ('s1', 'Old DeepSeek story', 'old deepseek story', 'W', 'w', 1, 1, 1)"
    )
    raw.close()
    with Store(db) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert not store.search_pending  # what the trigger indexed stays indexed
        store.add_entries([item(7, "New DeepSeek story")], now=T0)
        assert store.search_pending
        assert sorted(h.title for h in store.search_headlines("deepseek story")) == [
            "New DeepSeek story",
            "Old DeepSeek story",
        ]
        assert store.integrity_check() == "ok"


def test_a_poll_is_one_write_and_each_feeds_body_is_remembered(tmp_path: Path) -> None:
    a1, a2 = item(1, "DeepSeek one", feed="a"), item(2, "DeepSeek two", feed="a")
    b1 = item(3, "DeepSeek one", feed="b")  # another outlet of a1's story
    db = tmp_path / "m.db"
    with Store(db) as store:
        added = store.record_poll(
            [a1, a2, b1],
            states={"a": {"etag": "1"}, "b": {"etag": "2"}, "c": {"failures": 1}},
            bodies={"a": (b"digest-a", None), "b": (b"digest-b", "malformed feed: x")},
            now=T0,
        )
        assert [h.title for h in added.headlines] == ["DeepSeek one", "DeepSeek two"]
        one, two = (h.story for h in added.headlines)
        assert added.feed_stories == {"a": (one, two), "b": (one,)}
    with Store(db) as store:  # a new process
        assert store.feed_bodies() == {
            "a": FeedBody(b"digest-a", None, (one, two)),
            "b": FeedBody(b"digest-b", "malformed feed: x", (one,)),
        }
        assert store.get_feed_states() == {
            "a": {"etag": "1"},
            "b": {"etag": "2"},
            "c": {"failures": 1},
        }
        again = store.record_poll(
            [a1], states={}, bodies={"a": (b"digest-a2", None)}, now=T0 + timedelta(minutes=1)
        )
        assert (again.headlines, again.known, again.feed_stories) == ([], [one], {"a": (one,)})
        assert store.feed_bodies()["a"] == FeedBody(b"digest-a2", None, (one,))
        assert store.feed_bodies()["b"].stories == (one,)  # untouched


@pytest.mark.parametrize("limit", [1, 3, None])
def test_index_for_search_works_in_batches(tmp_path: Path, limit: int | None) -> None:
    with Store(tmp_path / "m.db") as store:
        store.add_entries(corpus(5, 7), now=T0)
        left = store.index_for_search(limit)
        assert left == (0 if limit is None else 7 - limit)
        assert store.search_pending == (left > 0)
