"""Full-text search over stories, and the index kept off the write path.

Stories are not indexed when they are written (trigram indexing was most of the cost
of storing a new story): ``index_pending`` adds every story above the indexed mark, in
batches, when the store thread is idle and before any search, so a search always sees
every story and its results are the same as with an index kept in step.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from monitor.store.rows import STORY_COLS
from monitor.store.schema import FTS_INDEXED_SEQ


def indexed_seq(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (FTS_INDEXED_SEQ,)).fetchone()
    return int(row[0]) if row else 0


def pending(conn: sqlite3.Connection) -> int:
    """How many stories wait to be indexed."""
    sql = "SELECT COUNT(*) FROM stories WHERE seq > ?"
    return int(conn.execute(sql, (indexed_seq(conn),)).fetchone()[0])


def index_pending(conn: sqlite3.Connection, limit: int | None = None) -> int:
    """Index the oldest ``limit`` (all when None) waiting stories; return how many."""
    done = indexed_seq(conn)
    bound = -1 if limit is None else limit
    top = conn.execute(
        "SELECT MAX(seq), COUNT(*) FROM (SELECT seq FROM stories WHERE seq > ? ORDER BY seq"
        " LIMIT ?)",
        (done, bound),
    ).fetchone()
    if not top[1]:
        return 0
    conn.execute(
        "INSERT INTO stories_fts(rowid, title, summary)"
        " SELECT seq, title, summary FROM stories WHERE seq > ? AND seq <= ? ORDER BY seq",
        (done, top[0]),
    )
    conn.execute("UPDATE meta SET value = ? WHERE key = ?", (str(top[0]), FTS_INDEXED_SEQ))
    return int(top[1])


def _quote_fts(word: str) -> str:
    """One user word as an FTS5 string literal: no user text is ever FTS syntax."""
    return '"' + word.replace('"', '""') + '"'


def _like_pattern(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_sql(text: str, trigram: bool) -> tuple[str, list[Any]] | None:
    """SQL (ending in ``LIMIT ?``) and parameters finding stories containing every word.

    With trigram, words of three or more characters use the index; shorter ones (a
    two-character Chinese word) are matched with LIKE.  None when there are no words.
    """
    words = text.split()
    if not words:
        return None
    if trigram:
        match = " AND ".join(_quote_fts(w) for w in words if len(w) >= 3)
        scanned = [w for w in words if len(w) < 3]
    else:
        match, scanned = " AND ".join(f"{_quote_fts(w)} *" for w in words), []
    likes = " AND ".join(
        "(s.title LIKE ? ESCAPE '\\' OR s.summary LIKE ? ESCAPE '\\')" for _ in scanned
    )
    like_params = [p for w in scanned for p in (_like_pattern(w),) * 2]
    if not match:
        sql = f"SELECT {STORY_COLS} FROM stories s WHERE {likes} ORDER BY s.seq DESC LIMIT ?"
        return sql, like_params
    extra = f" AND {likes}" if likes else ""
    # ORDER BY the FTS rowid lets FTS5 walk its index newest-first and stop at the limit.
    sql = (
        f"SELECT {STORY_COLS} FROM stories_fts f JOIN stories s ON s.seq = f.rowid"
        f" WHERE stories_fts MATCH ?{extra} ORDER BY f.rowid DESC LIMIT ?"
    )
    return sql, [match, *like_params]
