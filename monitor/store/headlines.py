"""Headline queries over stored stories: by id, newest, by symbol, search; read state.

Each function runs inside the caller's transaction on the connection it is given.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any

from monitor.model import FeedCounts, Headline, Outlet
from monitor.store.rows import (
    STORY_COLS,
    chunks,
    from_us,
    headline_from_row,
    in_list,
    one_per_source,
    to_us,
)
from monitor.store.search import search_sql


def by_id(
    conn: sqlite3.Connection, ids: Sequence[str], matched_or: Collection[str] | None = None
) -> list[Headline]:
    """The stored stories of ``ids``, in that order (unknown ids are left out); with
    ``matched_or``, only the topic matches and the stories it names."""
    rows: dict[str, Sequence[Any]] = {}
    only = "" if matched_or is None else " AND s.is_matched = 1"
    _rows_of(conn, ids, only, rows)
    if matched_or:
        _rows_of(conn, [i for i in ids if i in matched_or and i not in rows], "", rows)
    return _headlines(conn, [rows[i] for i in ids if i in rows])


def _rows_of(
    conn: sqlite3.Connection, ids: Sequence[str], where: str, rows: dict[str, Sequence[Any]]
) -> None:
    for chunk in chunks(ids):
        marks, values = in_list(chunk)
        sql = f"SELECT {STORY_COLS} FROM stories s WHERE s.id IN ({marks}){where}"
        for row in conn.execute(sql, values):
            rows[row[0]] = row


def newest_first(headlines: Iterable[Headline]) -> list[Headline]:
    return sorted(headlines, key=lambda h: (h.published, h.first_seen), reverse=True)


def recent(
    conn: sqlite3.Connection, limit: int, matched_only: bool, since: datetime | None
) -> list[Headline]:
    """Newest first by published time, then first-seen time."""
    where, params = [], []
    if matched_only:
        where.append("s.is_matched = 1")
    if since is not None:
        where.append("s.published >= ?")
        params.append(to_us(since))
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    sql = (
        f"SELECT {STORY_COLS} FROM stories s {clause}"
        " ORDER BY s.published DESC, s.first_seen DESC LIMIT ?"
    )
    return _query(conn, sql, (*params, limit))


def for_symbol(conn: sqlite3.Connection, symbol: str, limit: int) -> list[Headline]:
    sql = (
        f"SELECT {STORY_COLS} FROM story_symbols y JOIN stories s ON s.id = y.story_id"
        " WHERE y.symbol = ? ORDER BY y.published DESC, y.first_seen DESC LIMIT ?"
    )
    return _query(conn, sql, (symbol, limit))


def for_feed(conn: sqlite3.Connection, feed: str, limit: int) -> list[Headline]:
    """Stories any entry of ``feed`` carried (topic matches or not), newest first."""
    sql = (
        f"SELECT {STORY_COLS} FROM stories s WHERE s.id IN"
        " (SELECT e.story_id FROM entries e WHERE e.feed = ?)"
        " ORDER BY s.published DESC, s.first_seen DESC LIMIT ?"
    )
    return _query(conn, sql, (feed, limit))


def feed_counts(conn: sqlite3.Connection) -> dict[str, FeedCounts]:
    """Per feed: the stories its entries carried, the topic matches, the unread matches."""
    sql = (
        "SELECT f.feed, COUNT(*), SUM(s.is_matched), SUM(s.is_matched AND NOT s.read)"
        " FROM (SELECT DISTINCT feed, story_id FROM entries) f"
        " JOIN stories s ON s.id = f.story_id GROUP BY f.feed"
    )
    return {
        feed: FeedCounts(stories, matched or 0, unread or 0)
        for feed, stories, matched, unread in conn.execute(sql)
    }


def search(conn: sqlite3.Connection, text: str, trigram: bool, limit: int) -> list[Headline]:
    query = search_sql(text, trigram)
    if query is None:
        return []
    sql, params = query
    return _query(conn, sql, (*params, limit))


def count(conn: sqlite3.Connection, matched_only: bool) -> int:
    sql = "SELECT COUNT(*) FROM stories" + (" WHERE is_matched = 1" if matched_only else "")
    return int(conn.execute(sql).fetchone()[0])


def mark_read(conn: sqlite3.Connection, story_ids: Iterable[str]) -> None:
    conn.executemany("UPDATE stories SET read = 1 WHERE id = ?", [(s,) for s in story_ids])


def unread_ids(conn: sqlite3.Connection, limit: int, matched_only: bool) -> list[str]:
    where = "read = 0" + (" AND is_matched = 1" if matched_only else "")
    sql = f"SELECT id FROM stories WHERE {where} ORDER BY published DESC, first_seen DESC LIMIT ?"
    return [r[0] for r in conn.execute(sql, (limit,))]


def _query(conn: sqlite3.Connection, sql: str, params: Sequence[Any]) -> list[Headline]:
    return _headlines(conn, conn.execute(sql, params).fetchall())


def _headlines(conn: sqlite3.Connection, rows: Sequence[Sequence[Any]]) -> list[Headline]:
    outlets = _outlets(conn, [r[0] for r in rows])
    return [headline_from_row(r, outlets.get(r[0], ())) for r in rows]


def _outlets(conn: sqlite3.Connection, ids: Sequence[str]) -> dict[str, tuple[Outlet, ...]]:
    """Every source that carried each story, earliest entry per source."""
    found: dict[str, list[Outlet]] = {}
    for chunk in chunks(ids):
        marks, values = in_list(chunk)
        for story, source, link, published, domain in conn.execute(
            "SELECT story_id, source, link, published, domain FROM entries"
            f" WHERE story_id IN ({marks}) ORDER BY published, id",
            values,
        ):
            outlet = Outlet(source, link, from_us(published), domain)
            found.setdefault(story, []).append(outlet)
    return {story: one_per_source(outlets) for story, outlets in found.items()}
