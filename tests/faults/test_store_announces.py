"""Issue 11, case 5: every stored entry is announced once, and the database file is
watched.

A write queued while the disk is full or another process holds the write lock is
announced (shown, printed, handed to news rules) when it lands; the database file
deleted or replaced under the running monitor is noticed by its inode and recreated
(or the new one used), with a notice.  Real SQLite files, a real ``SQLITE_FULL`` from
``PRAGMA max_page_count``, a real lock-holding process, real HTTP on 127.0.0.1.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from monitor.clock import ManualClock
from monitor.entries import Entry, Matched
from monitor.news.dedup import entry_keys
from monitor.store import Store
from tests.faults.kit import US_OPEN, config_text, items, open_engine, rss
from tests.faults.test_store_faults import HOLD_LOCK, impatient_store  # noqa: F401

PAD = "<description>" + "lorem ipsum " * 300 + "</description>"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(US_OPEN)


def _stored_ids(path: Path) -> set[str]:
    store = Store(path, readonly=True)
    try:
        assert store.integrity_check() == "ok"
        return {h.story for h in store.recent_headlines(limit=10_000, matched_only=False)}
    finally:
        store.close()


class GrowingFeed:
    """A feed that keeps its old items and adds ``per_poll`` new ones each time."""

    def __init__(self, server, clock: ManualClock, per_poll: int = 5) -> None:
        self.server, self.clock, self.per_poll = server, clock, per_poll
        self.items: list[str] = []
        self.round = 0

    def grow(self) -> None:
        self.round += 1
        new = items(f"round{self.round}", self.per_poll, when=self.clock.now())
        self.items = [i.replace("</title>", "</title>" + PAD) for i in new] + self.items
        self.server.serve("/wire", rss(self.items))


def _announced(events) -> Counter[str]:
    return Counter(h.story for h in events.headlines if h.new)


async def test_case05_writes_queued_on_a_full_disk_are_announced_when_they_land(
    feed_server, clock, tmp_path
) -> None:
    feed = GrowingFeed(feed_server, clock)
    engine, events = await open_engine(
        tmp_path, config_text(feeds=[("wire", feed_server.url("/wire"))]), clock=clock
    )
    try:
        feed.grow()
        await engine.poll_news(force=True)
        conn = engine.store._store._conn
        pages = (await engine.store._run(lambda: conn.execute("PRAGMA page_count").fetchone()))[0]
        await engine.store._run(lambda: conn.execute(f"PRAGMA max_page_count = {pages}"))
        for _ in range(3):  # three polls of new stories while the disk is full
            clock.advance(600)
            feed.grow()
            assert await engine.poll_news(force=True) == []
        assert engine.store.pending_writes >= 3
        assert len(_announced(events)) == 5  # only the first poll's, so far

        await engine.store._run(lambda: conn.execute("PRAGMA max_page_count = 1073741823"))
        clock.advance(600)
        feed.grow()
        await engine.poll_news(force=True)
        assert engine.store.pending_writes == 0
    finally:
        await engine.stop()
    stored = _stored_ids(tmp_path / "m.db")
    announced = _announced(events)
    assert len(stored) == 25
    assert set(announced) == stored and set(announced.values()) == {1}  # each, once
    remembered = {h.story for h in engine.news.memory}
    assert remembered == stored  # and each reached the news rules


async def test_case05_writes_queued_on_a_busy_database_are_announced_when_they_land(
    feed_server,
    clock,
    tmp_path,
    impatient_store,  # noqa: F811
) -> None:
    feed = GrowingFeed(feed_server, clock)
    engine, events = await open_engine(
        tmp_path, config_text(feeds=[("wire", feed_server.url("/wire"))]), clock=clock
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(tmp_path / "m.db"), "1.5"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        feed.grow()
        assert await engine.poll_news(force=True) == []  # queued: the lock is held
        assert engine.store.pending_writes >= 1 and events.headlines == []
        holder.wait(timeout=30)

        clock.advance(600)
        feed.grow()
        await engine.poll_news(force=True)
        assert engine.store.pending_writes == 0
    finally:
        holder.kill()
        holder.wait()
        await engine.stop()
    announced = _announced(events)
    assert set(announced) == _stored_ids(tmp_path / "m.db") and len(announced) == 10
    assert set(announced.values()) == {1}


@pytest.mark.parametrize("journal_too", [False, True], ids=["db-file", "db-wal-shm"])
async def test_case05_deleted_database_is_recreated_with_a_notice(
    feed_server, clock, tmp_path, journal_too
) -> None:
    feed = GrowingFeed(feed_server, clock, per_poll=3)
    db = tmp_path / "m.db"
    engine, events = await open_engine(
        tmp_path, config_text(feeds=[("wire", feed_server.url("/wire"))]), clock=clock
    )
    try:
        feed.grow()
        await engine.poll_news(force=True)
        for path in [db, *([Path(f"{db}-wal"), Path(f"{db}-shm")] if journal_too else [])]:
            path.unlink()  # `rm` while the monitor runs

        clock.advance(600)
        feed.grow()
        await engine.poll_news(force=True)
        assert db.exists()
        notices = [n for n in events.notices if "deleted" in n]
        assert len(notices) == 1 and str(db) in notices[0] and "3 stories kept" in notices[0]
        clock.advance(600)
        feed.grow()
        await engine.poll_news(force=True)
        assert len([n for n in events.notices if "deleted" in n]) == 1  # said once
    finally:
        await engine.stop()
    stored = _stored_ids(db)
    assert len(stored) == 9  # before, at and after the deletion: nothing lost at exit
    announced = _announced(events)
    assert set(announced) == stored and set(announced.values()) == {1}  # none twice


async def test_case05_replaced_database_is_used_with_a_notice(feed_server, clock, tmp_path) -> None:
    feed = GrowingFeed(feed_server, clock, per_poll=2)
    db = tmp_path / "m.db"
    engine, events = await open_engine(
        tmp_path, config_text(feeds=[("wire", feed_server.url("/wire"))]), clock=clock
    )
    other = tmp_path / "restored.db"
    with Store(other) as backup:  # a monitor database from elsewhere, with one story
        e = Entry(feed="old", source="Old", title="A restored story on chips",
                  link="https://example.com/restored", guid="r", summary="",
                  published=clock.now() - timedelta(days=1))  # fmt: skip
        backup.add_entries([Matched(e, ("chips",), (), entry_keys(e))], now=e.published)
    try:
        feed.grow()
        await engine.poll_news(force=True)
        os.replace(other, db)  # `mv restored.db m.db` while the monitor runs

        clock.advance(600)
        feed.grow()
        await engine.poll_news(force=True)
        notices = [n for n in events.notices if "replaced" in n]
        assert len(notices) == 1 and str(db) in notices[0]
    finally:
        await engine.stop()
    store = Store(db, readonly=True)
    try:
        titles = {h.title for h in store.recent_headlines(limit=100, matched_only=False)}
    finally:
        store.close()
    assert "A restored story on chips" in titles  # the file now in place is the one used
    assert {t for t in titles if t.startswith("round2")} and len(titles) == 5
