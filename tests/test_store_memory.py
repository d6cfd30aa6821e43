"""What the store's SQLite connection holds in memory between writes: a small page
cache, made larger only while a large write runs (a first poll of many feeds, a batch
of the search index), and a prune of many snapshots that does not hold every row it
drops at once.

SQLite's own memory is read from the library Python's ``sqlite3`` runs on
(``sqlite3_memory_used``, ``sqlite3_memory_highwater``); where that library cannot be
reached (SQLite built into the module), those tests are skipped and the page-cache
settings are still checked through the SQL the connection ran."""

from __future__ import annotations

import ctypes
import ctypes.util
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.entries import Entry, Matched
from monitor.model import MarketState, Quote, QuoteBatch
from monitor.news.dedup import entry_keys
from monitor.store import Store, stories
from monitor.store.api import BULK_CACHE_KIB, BULK_ROWS, CACHE_KIB

T0 = datetime(2025, 1, 27, 14, 30, tzinfo=UTC)
MB = 1024 * 1024


class SQLiteMemory:
    """The running SQLite library's memory counters (all connections of the process)."""

    def __init__(self, lib: ctypes.CDLL) -> None:
        self._used = lib.sqlite3_memory_used
        self._used.restype = ctypes.c_int64
        self._high = lib.sqlite3_memory_highwater
        self._high.restype = ctypes.c_int64
        self._high.argtypes = [ctypes.c_int]

    def used(self) -> int:
        return int(self._used())

    def reset_highwater(self) -> None:
        self._high(1)

    def highwater(self) -> int:
        return int(self._high(0))


@pytest.fixture
def sqlite_memory(tmp_path: Path) -> SQLiteMemory:
    name = ctypes.util.find_library("sqlite3")
    if name is None:
        pytest.skip("no SQLite shared library to read its memory counters from")
    lib = ctypes.CDLL(name)
    version = ctypes.c_char_p
    lib.sqlite3_libversion.restype = version
    if lib.sqlite3_libversion().decode() != sqlite3.sqlite_version:
        pytest.skip("Python's sqlite3 runs another SQLite than the shared library")
    memory = SQLiteMemory(lib)
    before = memory.used()
    conn = sqlite3.connect(tmp_path / "probe.db")
    conn.execute("CREATE TABLE t(x)")
    opened = memory.used()
    conn.close()
    if opened <= before:
        pytest.skip("Python's sqlite3 has SQLite built in: its counters are not these")
    return memory


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "m.db") as s:
        yield s


def entries(n: int, start: int = 0) -> list[Matched]:
    out = []
    for i in range(start, start + n):
        e = Entry(feed=f"feed {i % 20}", source=f"Outlet {i % 20}",
                  title=f"Chip makers report {i} results, and story number {i * 7919}",
                  link=f"https://outlet.example/{i}", guid=f"g{i}",
                  summary=f"A summary of story {i}, long enough to fill a page or two " * 3,
                  published=T0 - timedelta(seconds=i))  # fmt: skip
        out.append(Matched(e, ("deepseek",) if i % 3 == 0 else (), (), entry_keys(e)))
    return out


def pragmas(store: Store) -> list[str]:
    """Start recording the ``PRAGMA cache_size`` settings the connection runs."""
    seen: list[str] = []

    def trace(sql: str) -> None:
        if sql.startswith("PRAGMA cache_size =") or sql.startswith("INSERT"):
            seen.append(sql if sql.startswith("PRAGMA") else "INSERT")

    store._conn.set_trace_callback(trace)
    return seen


def cache_kib(store: Store) -> int:
    return -int(store._conn.execute("PRAGMA cache_size").fetchone()[0])


def test_the_page_cache_is_small_and_large_only_for_a_large_write(store: Store) -> None:
    assert cache_kib(store) == CACHE_KIB < BULK_CACHE_KIB
    seen = pragmas(store)
    store.record_poll(entries(BULK_ROWS), states={}, bodies={}, now=T0)
    bulk, small = f"PRAGMA cache_size = -{BULK_CACHE_KIB}", f"PRAGMA cache_size = -{CACHE_KIB}"
    assert seen[0] == bulk and seen[-1] == small and "INSERT" in seen[1:-1]
    assert cache_kib(store) == CACHE_KIB
    store.index_for_search()  # the 1,000 stories waiting: one large write
    assert seen[-1] == small and seen.count(bulk) == 2

    seen.clear()  # a poll of a few entries, the search index of a few stories: as it is
    store.record_poll(entries(10, start=BULK_ROWS), states={}, bodies={}, now=T0)
    store.add_entries(entries(10, start=BULK_ROWS + 10), now=T0)
    store.index_for_search(2000)
    assert "INSERT" in seen and not [s for s in seen if s.startswith("PRAGMA")]

    store.add_entries(entries(BULK_ROWS, start=5 * BULK_ROWS), now=T0)
    store.index_for_search(2000)  # 1,000 + 20 waiting
    assert seen.count(bulk) == 2 and seen.count(small) == 2
    assert cache_kib(store) == CACHE_KIB


def test_the_cache_is_small_again_after_a_failed_large_write(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*args: object) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(stories, "add_entries", fail)
    with pytest.raises(Exception, match="disk I/O error"):
        store.add_entries(entries(BULK_ROWS), now=T0)
    assert cache_kib(store) == CACHE_KIB


def test_sqlite_gives_the_pages_of_a_large_write_back(
    store: Store, sqlite_memory: SQLiteMemory
) -> None:
    for n in range(4):  # a database of a few MB, as a first poll of many feeds makes
        store.record_poll(entries(2 * BULK_ROWS, start=n * 2 * BULK_ROWS), states={},
                          bodies={}, now=T0)  # fmt: skip
    store.index_for_search()
    before = sqlite_memory.used()
    store.record_poll(entries(2 * BULK_ROWS, start=20 * BULK_ROWS), states={}, bodies={}, now=T0)
    store.index_for_search()
    # the pages the large write read in above the small cache went after it
    assert sqlite_memory.used() - before < CACHE_KIB * 1024


def test_a_prune_of_many_snapshots_holds_few_at_once(
    store: Store, sqlite_memory: SQLiteMemory
) -> None:
    for minute in range(390):  # a day of 200 symbols, three days ago
        t = T0 - timedelta(days=3, minutes=390 - minute)
        store.add_quotes(QuoteBatch(t, {f"S{i:03d}": Quote(
            f"S{i:03d}", price=100.0 + minute / 10 + i, prev_close=100.0, as_of=t,
            market_state=MarketState.CLOSED) for i in range(200)}))  # fmt: skip
    before = sqlite_memory.used()
    sqlite_memory.reset_highwater()
    assert store.prune_quotes(T0 - timedelta(days=1)) == 200 * 389
    # one statement for every symbol held each dropped row's key: +1.7 MB here
    assert sqlite_memory.highwater() - before < 0.6 * MB
    assert len(store.latest_quotes()) == 200  # each symbol's latest stays
