"""Row 21: the database write-locked by another process, killed mid-write 50 times, and
full.  Real SQLite files; the lock holder and the killed writers are real processes."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

import pytest

from monitor.clock import ManualClock
from monitor.store import Store
from tests.cli_helpers import ROOT
from tests.faults.kit import US_OPEN, config_text, items, open_engine, rss

HOLD_LOCK = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("COMMIT")
"""

WRITER = """
import sys
from datetime import datetime, timezone
from monitor.entries import Entry, Matched
from monitor.news.dedup import entry_keys
from monitor.store import Store

path, run = sys.argv[1], sys.argv[2]
store = Store(path)
store.acquire_lock()
now = datetime(2025, 1, 27, 20, 0, tzinfo=timezone.utc)
i = 0
while True:
    entries = [Entry(feed="wire", source="Wire", title=f"Story {run} {i} {j} on chips",
                     link=f"https://example.com/{run}/{i}/{j}", guid=f"{run}-{i}-{j}",
                     summary="x" * 500, published=now) for j in range(5)]
    batch = [Matched(e, ("chips",), (), entry_keys(e)) for e in entries]
    store.add_entries(batch, now=now)
    print(f"{run}-{i}", flush=True)  # printed only once the transaction committed
    i += 1
"""


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(US_OPEN)


@pytest.fixture
def impatient_store(monkeypatch: pytest.MonkeyPatch) -> None:
    """Give up on a busy database after 0.1 s x 2 instead of 5 s x 3 (the same path,
    faster): the 10 s lock of the issue becomes a 2 s one."""
    monkeypatch.setitem(Store.__init__.__kwdefaults__, "busy_timeout_ms", 100)
    monkeypatch.setitem(Store.__init__.__kwdefaults__, "busy_retries", 1)


def _check_file(path: Path) -> Store:
    store = Store(path)
    assert store.integrity_check() == "ok"
    return store


async def test_row21_write_locked_by_another_process_queues_and_keeps_running(
    feed_server, clock, tmp_path, impatient_store
) -> None:
    feed_server.serve("/wire", rss(items("first", 3, when=clock.now())))
    text = config_text(feeds=[("wire", feed_server.url("/wire"))])
    engine, events = await open_engine(tmp_path, text, clock=clock)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(tmp_path / "m.db"), "2"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        await engine.poll_news(force=True)  # returns: the app keeps running
        busy = [n for n in events.notices if n.startswith("database:")]
        assert len(busy) == 1 and "busy" in busy[0] and "queued" in busy[0]
        assert engine.store.pending_writes >= 1
        holder.wait(timeout=30)

        clock.advance(600)
        feed_server.serve("/wire", rss(items("second", 3, when=clock.now())))
        await engine.poll_news(force=True)
        assert engine.store.pending_writes == 0
        assert any("writable again" in n for n in events.notices)
    finally:
        holder.kill()
        holder.wait()
        await engine.stop()
    store = _check_file(tmp_path / "m.db")
    try:
        titles = {h.title for h in store.recent_headlines(limit=100, matched_only=False)}
        assert {t for t in titles if t.startswith(("first", "second"))} == titles
        assert len(titles) == 6  # the queued write was not lost
    finally:
        store.close()


async def test_row21_disk_full_is_a_clear_error_then_recovers(feed_server, clock, tmp_path) -> None:
    feed_server.serve("/wire", rss(items("first", 2, when=clock.now())))
    text = config_text(feeds=[("wire", feed_server.url("/wire"))])
    engine, events = await open_engine(tmp_path, text, clock=clock)

    try:
        await engine.poll_news(force=True)
        conn = engine.store._store._conn
        pages = (await engine.store._run(lambda: conn.execute("PRAGMA page_count").fetchone()))[0]
        await engine.store._run(lambda: conn.execute(f"PRAGMA max_page_count = {pages}"))
        clock.advance(600)
        big = [
            i.replace("</title>", "</title><description>" + "lorem ipsum " * 300 + "</description>")
            for i in items("second", 20, when=clock.now())
        ]
        feed_server.serve("/wire", rss(big))
        await engine.poll_news(force=True)  # the app keeps running
        full = [n for n in events.notices if n.startswith("database:")]
        assert len(full) == 1 and "disk full" in full[0], events.notices
        assert engine.store.pending_writes >= 1

        await engine.store._run(lambda: conn.execute("PRAGMA max_page_count = 1073741823"))
        clock.advance(600)
        await engine.poll_news(force=True)
        assert engine.store.pending_writes == 0
        assert any("writable again" in n for n in events.notices)
    finally:
        await engine.stop()
    store = _check_file(tmp_path / "m.db")
    try:
        assert store.headline_count() == 22
    finally:
        store.close()


def test_row21_kill_9_mid_write_fifty_times_loses_no_committed_row(tmp_path) -> None:
    db = tmp_path / "killed.db"
    script = tmp_path / "writer.py"
    script.write_text(textwrap.dedent(WRITER))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    rng = random.Random(21)
    committed: set[str] = set()
    for run in range(50):
        child = subprocess.Popen(
            [sys.executable, str(script), str(db), str(run)],
            stdout=subprocess.PIPE,
            env=env,
            text=True,
        )
        assert child.stdout is not None
        for _ in range(rng.randint(1, 4)):  # let it commit a few batches, then mid-write
            line = child.stdout.readline().strip()
            assert line, "the writer died on its own"
            committed.add(line)
        os.kill(child.pid, signal.SIGKILL)
        rest = child.stdout.read()  # lines printed before the kill were committed too
        committed.update(line for line in rest.split() if line)
        child.wait()
        assert child.returncode == -signal.SIGKILL
    store = _check_file(db)  # after the last kill: sound, and the lock is not stuck
    try:
        store.acquire_lock()
        stored = store._read(
            lambda: {g for (g,) in store._conn.execute("SELECT guid FROM entries")}
        )
        missing = [c for c in committed for j in range(5) if f"{c}-{j}" not in stored]
        assert missing == [], missing[:10]
        assert len(committed) >= 50
    finally:
        store.close()


def test_row21_restart_after_kill_reopens_with_the_engine(tmp_path) -> None:
    """The killed database opens again for a new monitor (schema, WAL, lock all fine)."""
    db = tmp_path / "again.db"
    script = tmp_path / "writer.py"
    script.write_text(textwrap.dedent(WRITER))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, str(script), str(db), "0"], stdout=subprocess.PIPE, env=env, text=True
    )
    assert child.stdout.readline().strip() == "0-0"
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    child.stdout.close()
    store = Store(db)
    try:
        store.acquire_lock()
        assert store.integrity_check() == "ok"
        assert store.headline_count() >= 5
        assert store.recent_headlines(limit=1, matched_only=True)[
            0
        ].published - US_OPEN < timedelta(seconds=1)
    finally:
        store.close()
