"""Schema v4 (lighter story rows): a database written with schema v3 is carried over
losslessly -- every read gives what it gave before, dedup still recognizes what was
stored, and the topic matches' index holds matches only.  Real SQLite files."""

from __future__ import annotations

import random
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from monitor.entries import Entry, Matched
from monitor.news.dedup import entry_keys
from monitor.store import SCHEMA_VERSION, Store, headlines, search, stories
from monitor.store.rows import to_us
from monitor.store.schema import MIGRATIONS, TRIGRAM

T0 = datetime(2025, 1, 27, 14, 30, tzinfo=UTC)
WORDS = "DeepSeek Nvidia chips rally slump AI model Fed rates TSMC 深度求索 芯片股 下跌".split()
FEEDS = (("reuters", "Reuters"), ("cnbc", "CNBC"), ("wire", "Wire"))


def batch(seed: int, count: int) -> list[Matched]:
    """Entries of three feeds: some stories carried by two outlets (same title, or the
    same link), some topic matches, some linked to symbols."""
    rng = random.Random(seed)
    items = []
    for i in range(count):
        feed, source = FEEDS[i % 3]
        n = i if rng.random() < 0.7 else rng.randrange(max(i, 1))  # a shared story
        title = " ".join(random.Random(n).choices(WORDS, k=7))
        link = f"https://{feed}.example/{n if rng.random() < 0.3 else i}"
        e = Entry(feed=feed, source=source, title=f"{title} - {source}", link=link,
                  guid=f"{feed}-{i}", summary=" ".join(rng.choices(WORDS, k=9)),
                  published=T0 - timedelta(minutes=rng.randrange(600)))  # fmt: skip
        terms = ("deepseek",) if "DeepSeek" in title else ()
        symbols = tuple(s for s, w in (("NVDA", "Nvidia"), ("TSM", "TSMC")) if w in title)
        items.append(Matched(e, terms, symbols, entry_keys(e)))
    return items


def v3_database(path: Path) -> None:
    """A database as schema v3 left it: every story row with its title and link keys."""
    raw = sqlite3.connect(path, isolation_level=None)
    raw.execute("PRAGMA foreign_keys = ON")
    raw.execute("BEGIN")
    for migration in MIGRATIONS[:3]:
        migration(raw)
    raw.execute("PRAGMA user_version = 3")
    for k, now in enumerate((T0, T0 + timedelta(minutes=3))):
        stories.add_entries(raw, batch(k, 150), to_us(now))
    raw.execute(  # what v3 wrote in them: the first entry's keys
        "UPDATE stories SET"
        " title_key = (SELECT title_key FROM entries e WHERE e.story_id = stories.id"
        "  ORDER BY e.id LIMIT 1),"
        " link_key = (SELECT link_key FROM entries e WHERE e.story_id = stories.id"
        "  ORDER BY e.id LIMIT 1)"
    )
    headlines.mark_read(raw, [r[0] for r in raw.execute("SELECT id FROM stories LIMIT 40")])
    search.index_pending(raw, 100)  # part of the stories indexed for search
    raw.execute("COMMIT")
    raw.close()


def reads(conn: sqlite3.Connection) -> dict[str, Any]:
    """Everything a user sees of the stories, and every row the migration must keep."""
    found: dict[str, Any] = {
        "recent": headlines.recent(conn, 1000, False, None),
        "matches": headlines.recent(conn, 1000, True, None),
        "since": headlines.recent(conn, 1000, True, T0 - timedelta(hours=3)),
        "unread": headlines.unread_ids(conn, 1000, True),
        "unread all": headlines.unread_ids(conn, 1000, False),
        "counts": (headlines.count(conn, True), headlines.count(conn, False)),
        "feeds": headlines.feed_counts(conn),
        "symbols": {s: headlines.for_symbol(conn, s, 1000) for s in ("NVDA", "TSM")},
        "entries": conn.execute("SELECT * FROM entries ORDER BY id").fetchall(),
        "links": conn.execute("SELECT * FROM story_symbols ORDER BY 1, 2, 3, 4").fetchall(),
        "stories": conn.execute(
            "SELECT seq, id, title, link, source, feed, published, first_seen, last_seen,"
            " summary, matched, symbols, is_matched, read FROM stories ORDER BY seq"
        ).fetchall(),
    }
    for feed, _ in FEEDS:
        found[feed] = headlines.for_feed(conn, feed, 1000)
    search.index_pending(conn, None)
    for text in ("deepseek", "nvidia chips", "深度求索", "芯片", "rates -"):
        found[f"search {text}"] = headlines.search(conn, text, TRIGRAM, 1000)
    return found


def test_a_v3_database_reads_the_same_after_the_migration(tmp_path: Path) -> None:
    db = tmp_path / "v3.db"
    v3_database(db)
    raw = sqlite3.connect(db, isolation_level=None)
    raw.execute("BEGIN")
    before = reads(raw)
    raw.execute("ROLLBACK")  # the search index stays as v3 left it
    raw.close()
    assert len(before["entries"]) > len(before["stories"]) > 100
    assert before["matches"] and before["symbols"]["NVDA"] and before["search deepseek"]

    with Store(db) as store:
        assert store.schema_version == SCHEMA_VERSION == 4
        after = store._write(lambda: reads(store._conn))
        assert after == before
        keys = store._conn.execute("SELECT DISTINCT title_key, link_key FROM stories")
        assert keys.fetchall() == [("", None)]  # emptied: never read
        assert store.integrity_check() == "ok"


def test_dedup_after_the_migration_recognizes_what_v3_stored(tmp_path: Path) -> None:
    db = tmp_path / "v3.db"
    v3_database(db)
    with Store(db) as store:
        again = store.add_entries(batch(0, 150) + batch(1, 150), now=T0 + timedelta(minutes=9))
        assert again.headlines == [] and len(again.known) == store.headline_count() > 100
        first = batch(0, 1)[0]  # the same story from another outlet, another link
        e = Entry(feed="ap", source="AP", title=first.entry.title.replace("Reuters", "AP"),
                  link="https://ap.example/1", guid="ap-1", summary="",
                  published=T0)  # fmt: skip
        (joined,) = store.add_entries([Matched(e, (), (), entry_keys(e))], now=T0).headlines
        assert not joined.new and joined.story in again.known
        assert {o.source for o in joined.outlets} >= {"Reuters", "AP"}


def test_only_topic_matches_are_in_the_matches_index(tmp_path: Path) -> None:
    with Store(tmp_path / "m.db") as store:
        store.add_entries(batch(3, 60), now=T0)
        conn = store._conn
        sql = conn.execute(
            "SELECT sql FROM sqlite_master WHERE name = 'stories_matched_by_published'"
        ).fetchone()[0]
        assert sql.endswith("WHERE is_matched = 1")
        plan = conn.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM stories s WHERE s.is_matched = 1"
            " ORDER BY s.published DESC, s.first_seen DESC LIMIT 5"
        ).fetchall()
        assert "stories_matched_by_published" in str(plan)
        matches = conn.execute(
            "SELECT COUNT(*) FROM stories INDEXED BY stories_matched_by_published"
            " WHERE is_matched = 1"
        ).fetchone()[0]
        assert 0 < matches == store.headline_count(matched_only=True) < 60
