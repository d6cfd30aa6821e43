"""WAL checkpoints off the write path: a write leaves its pages in the WAL (even more
than SQLite's default 1,000, which made a first poll's commit copy them into the file
with an fsync), and the store thread copies them once writes are quiet.  Real SQLite
files in tmp_path."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.entries import Entry, Matched
from monitor.news.dedup import entry_keys
from monitor.store import Store, StoreWorker

T0 = datetime(2025, 1, 27, 14, 30, tzinfo=UTC)


def batch(count: int, start: int = 0) -> list[Matched]:
    """Entries whose summaries fill well over 1,000 WAL pages (4 MiB)."""
    out = []
    for i in range(start, start + count):
        e = Entry(feed="wire", source="Wire", title=f"Story number {i} of the day",
                  link=f"https://wire.example/{i}", guid=f"g{i}", summary=f"{i} " * 1000,
                  published=T0 + timedelta(seconds=i))  # fmt: skip
        out.append(Matched(e, ("story",), (), entry_keys(e)))
    return out


def stored_titles(db: Path) -> int:
    other = sqlite3.connect(db)
    try:
        return int(other.execute("SELECT count(*) FROM stories").fetchone()[0])
    finally:
        other.close()


def test_a_big_write_leaves_its_pages_in_the_wal_until_a_checkpoint(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    with Store(db) as store:
        before = db.stat().st_size
        store.add_entries(batch(1500), now=T0)
        wal = Path(f"{db}-wal").stat().st_size
        assert wal > 1000 * 4096  # more than SQLite's default autocheckpoint
        assert db.stat().st_size == before  # nothing copied into the file yet
        assert stored_titles(db) == 1500  # yet every reader sees the write
        assert store.checkpoint()
        assert db.stat().st_size > before + 1000 * 4096
        assert stored_titles(db) == 1500


def test_a_read_only_store_has_nothing_to_checkpoint(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    with Store(db) as store:
        store.add_entries(batch(3), now=T0)
        with Store(db, readonly=True) as viewer:
            assert viewer.checkpoint()


async def test_the_store_thread_checkpoints_when_writes_go_quiet(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    worker = StoreWorker(lambda: Store(db), index_delay=0.01)
    await worker.open()
    try:
        before = db.stat().st_size
        await worker.write(lambda s: s.add_entries(batch(1500), now=T0))
        for _ in range(1000):  # the store thread works on its own; wait for it (bounded)
            if db.stat().st_size > before + 1000 * 4096:
                break
            await asyncio.sleep(0.01)
        assert db.stat().st_size > before + 1000 * 4096
        assert not await worker.read(lambda s: s.search_pending)  # indexed first
        assert stored_titles(db) == 1500
    finally:
        await worker.close()
