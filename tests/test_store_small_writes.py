"""A small write that an update waits for (a headline's) is done on the event loop when
the store thread has nothing in hand; it comes after whatever the thread was given, and
it never waits on the loop for another writer: then it goes the thread's way."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from monitor.store import Store, StoreBusy, StoreWorker


def _where() -> str:
    return (
        "store thread"
        if threading.current_thread().name.startswith("monitor-store")
        else ("loop" if threading.current_thread() is threading.main_thread() else "other")
    )


async def _worker(tmp_path: Path) -> StoreWorker:
    worker = StoreWorker(lambda: Store(tmp_path / "m.db"))
    await worker.open()
    return worker


async def test_a_small_write_is_done_on_the_loop_when_the_store_thread_is_idle(
    tmp_path: Path,
) -> None:
    worker = await _worker(tmp_path)
    where: list[str] = []

    def write(s: Store) -> str:
        where.append(_where())
        s.set_meta("n", "small")
        return "done"

    try:
        result = await worker.write(write, rows=1)
        seen = await worker.read(lambda s: s.get_meta("n"))
    finally:
        await worker.close()
    assert (result, where, seen) == ("done", ["loop"], "small")
    with Store(tmp_path / "m.db") as store:
        assert store.get_meta("n") == "small", "committed to the file"


async def test_a_small_write_comes_after_what_the_store_thread_was_given(
    tmp_path: Path,
) -> None:
    worker = await _worker(tmp_path)
    gate = threading.Event()
    where: list[str] = []

    def held(s: Store) -> None:
        gate.wait(30)
        s.set_meta("n", "behind")

    def small(s: Store) -> None:
        where.append(_where())
        s.set_meta("n", "small")

    try:
        behind = worker.write_behind(held)  # holds the store thread until the gate opens
        threading.Timer(0.2, gate.set).start()
        await worker.write(small, rows=1)
        await behind
        seen = await worker.read(lambda s: s.get_meta("n"))
    finally:
        gate.set()
        await worker.close()
    assert where == ["store thread"], "the thread was busy: the write waited its turn there"
    assert seen == "small", "the write handed on first landed first"


async def test_a_small_write_does_not_wait_on_the_loop_for_another_writer(
    tmp_path: Path,
) -> None:
    worker = await _worker(tmp_path)
    other = sqlite3.connect(tmp_path / "m.db", isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    where: list[str] = []

    def small(s: Store) -> str:
        where.append(_where())
        s.set_meta("n", "small")
        return "done"

    try:
        threading.Timer(0.2, other.execute, ("COMMIT",)).start()  # in 0.2 s
        result = await worker.write(small, rows=1)
        seen = await worker.read(lambda s: s.get_meta("n"))
        timeout = await worker.read(lambda s: s._conn.execute("PRAGMA busy_timeout").fetchone())
    finally:
        other.close()
        await worker.close()
    # tried on the loop, refused at once (rolled back), then done by the store thread,
    # which waited for the other writer's commit (waiting on the loop, it had been done
    # there after 0.2 s)
    assert where == ["loop", "store thread"]
    assert (result, seen) == ("done", "small")
    assert timeout == (5000,), "the store's own wait for a busy database is back"


def test_waiting_for_none_fails_at_once_and_then_waits_again(tmp_path: Path) -> None:
    with Store(tmp_path / "m.db", busy_timeout_ms=3000) as store:
        other = sqlite3.connect(tmp_path / "m.db", isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            with store.waiting_for_none():
                inside = store._conn.execute("PRAGMA busy_timeout").fetchone()
                try:
                    store.set_meta("n", "x")
                except StoreBusy as exc:
                    refused: Exception | None = exc
                else:
                    refused = None
            after = store._conn.execute("PRAGMA busy_timeout").fetchone()
        finally:
            other.close()
        assert inside == (0,) and isinstance(refused, StoreBusy)
        assert after == (3000,)
        assert store.get_meta("n") is None, "nothing was written"
