"""Quote snapshots: one row per symbol and data time, the latest with its intraday
prices, and pruning.  Each function runs inside the caller's transaction."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from monitor.model import Quote, QuoteBatch
from monitor.store.rows import QUOTE_COLS, downsample, from_us, quote_from_row, quote_row, to_us

#: Intraday points kept on a quote returned by ``latest`` (sparkline width).
INTRADAY_POINTS = 400
_DAY_US = 86_400_000_000


def add(conn: sqlite3.Connection, batch: QuoteBatch) -> None:
    """Keep one snapshot per usable quote (each poll adds an intraday point)."""
    rows = [quote_row(q, batch.time) for q in batch.quotes.values() if q.usable]
    if rows:
        conn.executemany(
            f"INSERT OR REPLACE INTO quotes(symbol, as_of, {QUOTE_COLS})"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )


def latest(conn: sqlite3.Connection) -> dict[str, Quote]:
    """The last snapshot of every symbol, with that session's prices as intraday.

    A session's snapshots share its previous close, so the intraday points are the
    last 24 h of snapshots with the latest one's previous close (the sparkline
    restarts when a new session starts), downsampled to ``INTRADAY_POINTS``.
    """
    found = conn.execute(
        f"SELECT symbol, MAX(as_of), {QUOTE_COLS} FROM quotes GROUP BY symbol"
    ).fetchall()
    quotes = {}
    for symbol, as_of, *values in found:
        prices = [r[0] for r in conn.execute(
            "SELECT price FROM quotes WHERE symbol = ? AND as_of >= ? AND prev_close IS ?"
            " ORDER BY as_of", (symbol, as_of - _DAY_US, values[1]))]  # fmt: skip
        quotes[symbol] = quote_from_row(symbol, as_of, values, downsample(prices, INTRADAY_POINTS))
    return quotes


def intraday(
    conn: sqlite3.Connection, symbol: str, since: datetime
) -> list[tuple[datetime, float]]:
    """Every stored (as_of, price) of ``symbol`` at or after ``since``, oldest first."""
    sql = "SELECT as_of, price FROM quotes WHERE symbol = ? AND as_of >= ? ORDER BY as_of"
    return [(from_us(t), p) for t, p in conn.execute(sql, (symbol, to_us(since)))]


def prune(conn: sqlite3.Connection, before: datetime) -> int:
    """Drop snapshots older than ``before``, except each symbol's latest (a quiet symbol
    still shows its last price); return how many went.

    One symbol at a time: one statement for every symbol made SQLite hold the key of
    each row to delete at once (~1.7 MB for 78,000 rows, a day of 200 symbols)."""
    cutoff = to_us(before)
    found = conn.execute(  # the rows to drop, by time (without the index: every row)
        "SELECT DISTINCT symbol FROM quotes INDEXED BY quotes_by_time WHERE as_of < ?", (cutoff,)
    )
    sql = (
        "DELETE FROM quotes WHERE symbol = ?1 AND as_of < ?2 AND as_of <"
        " (SELECT MAX(as_of) FROM quotes WHERE symbol = ?1)"
    )
    return sum(conn.execute(sql, (symbol, cutoff)).rowcount for (symbol,) in found.fetchall())
