"""The store's queries take a few SQL texts, however many polls run and however many
entries each brings: SQLite keeps every distinct text prepared in the connection's
statement cache (128 of them, 5-55 kB each), so a text per poll (a timestamp written
into the SQL) or per list length (``IN (?,?,...)``) made the monitor's memory creep
by ~5 kB a quote refresh until the cache was full (~2 MB)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor.entries import Entry, Matched
from monitor.news.dedup import entry_keys
from monitor.store import headlines, stories
from monitor.store.rows import CHUNK, in_list, to_us
from monitor.store.schema import apply_migrations

T0 = datetime(2025, 1, 27, 14, 30, tzinfo=UTC)


class Recorder:
    """A connection that remembers the SQL texts it was given."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.texts: set[str] = set()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        self.texts.add(sql)
        return self.conn.execute(sql, params)

    def executemany(self, sql: str, rows: Any) -> sqlite3.Cursor:
        self.texts.add(sql)
        return self.conn.executemany(sql, rows)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.conn, name)


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    c = sqlite3.connect(tmp_path / "m.db", isolation_level=None)
    c.execute("BEGIN IMMEDIATE")
    apply_migrations(c)
    c.execute("COMMIT")
    yield c
    c.close()


def poll(serial: int, size: int) -> list[Matched]:
    """``size`` new entries, and one known again (same guid) from the poll before."""
    entries = [
        Entry(
            feed=f"f{i % 3}",
            source=f"S{i % 5}",
            title=f"story {serial} {i}",
            link=f"https://a.example/{serial}/{i}",
            guid=f"{serial}-{i}",
            summary="",
            published=T0 + timedelta(minutes=serial),
        )  # fmt: skip
        for i in range(size)
    ]
    return [Matched(e, (), (), entry_keys(e)) for e in entries]


def run_polls(conn: sqlite3.Connection, rec: Recorder, sizes: Sequence[int], first: int) -> None:
    for n, size in enumerate(sizes, start=first):
        items = poll(n, size) + poll(n - 1, 2)  # new ones, and two seen before
        conn.execute("BEGIN IMMEDIATE")
        added = stories.add_entries(rec, items, to_us(T0 + timedelta(minutes=n)))  # type: ignore[arg-type]
        conn.execute("COMMIT")
        ids = [h.story for h in added.headlines]
        assert len(headlines.by_id(rec, ids)) == len(ids)  # type: ignore[arg-type]


def test_polls_of_other_sizes_and_times_add_no_sql_text(conn: sqlite3.Connection) -> None:
    rec = Recorder(conn)
    run_polls(conn, rec, range(1, 70, 2), first=1)  # odd sizes, each at its minute
    texts = set(rec.texts)
    run_polls(conn, rec, range(2, 70, 2), first=100)  # even sizes, later minutes
    assert rec.texts == texts
    assert len(texts) < 60


def test_in_list_pads_to_few_lengths_and_keeps_the_set() -> None:
    lengths = set()
    for n in range(1, CHUNK + 1):
        chunk = [f"k{i}" for i in range(n)]
        marks, values = in_list(chunk)
        assert marks.count("?") == len(values) >= n
        assert values[:n] == tuple(chunk) and set(values) == set(chunk)
        lengths.add(len(values))
    assert lengths == {8, 16, 32, 64, 128, 256, CHUNK}
    assert in_list([]) == ("", ())
