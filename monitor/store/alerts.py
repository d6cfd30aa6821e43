"""Fired alerts, the rule runner's state, each feed's poll state and last body.

Each function runs inside the caller's transaction on the connection it is given.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from monitor.entries import FeedBody
from monitor.model import Alert
from monitor.store.rows import ALERT_COLS, alert_from_row, alert_row, to_json, to_us


def _now_us() -> int:
    return to_us(datetime.now(UTC))


# ---- alerts ------------------------------------------------------------------------------


def insert(conn: sqlite3.Connection, alerts: Sequence[Alert]) -> list[Alert]:
    """Store fired alerts; return them with their ids."""
    created = _now_us()
    stored = []
    for a in alerts:
        cursor = conn.execute(
            f"INSERT INTO alerts({ALERT_COLS}, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (*alert_row(a), created),
        )
        stored.append(replace(a, id=cursor.lastrowid))
    return stored


def recent(conn: sqlite3.Connection, limit: int) -> list[Alert]:
    """Newest first by trigger time."""
    sql = f"SELECT id, {ALERT_COLS} FROM alerts ORDER BY time DESC, id DESC LIMIT ?"
    return [alert_from_row(r[0], r[1:]) for r in conn.execute(sql, (limit,))]


def ack(conn: sqlite3.Connection, alert_id: int) -> None:
    """Mark an alert acknowledged (an unknown id is ignored)."""
    conn.execute("UPDATE alerts SET acknowledged = 1 WHERE id = ?", (alert_id,))


# ---- rule state --------------------------------------------------------------------------


def rule_state(conn: sqlite3.Connection) -> dict[str, Any]:
    row = conn.execute("SELECT state FROM rule_state WHERE id = 1").fetchone()
    return {} if row is None else dict(json.loads(row[0]))


def put_rule_state(conn: sqlite3.Connection, state: dict[str, Any]) -> None:
    conn.execute(
        "INSERT INTO rule_state(id, state, updated_at) VALUES (1, ?, ?) ON CONFLICT(id)"
        " DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
        (to_json(state), _now_us()),
    )


# ---- feed state --------------------------------------------------------------------------


def feed_states(conn: sqlite3.Connection) -> dict[str, dict[str, Any]]:
    rows = conn.execute("SELECT name, state FROM feed_state").fetchall()
    return {name: json.loads(state) for name, state in rows}


def put_feed_states(conn: sqlite3.Connection, states: Mapping[str, dict[str, Any]]) -> None:
    now = _now_us()
    conn.executemany(
        "INSERT INTO feed_state(name, state, updated_at) VALUES (?, ?, ?) ON CONFLICT(name)"
        " DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
        [(name, to_json(state), now) for name, state in states.items()],
    )


def feed_bodies(conn: sqlite3.Connection) -> dict[str, FeedBody]:
    rows = conn.execute("SELECT name, digest, warning, stories FROM feed_bodies")
    return {name: FeedBody(bytes(digest), warning, tuple(json.loads(stories)))
            for name, digest, warning, stories in rows}  # fmt: skip


def put_feed_bodies(conn: sqlite3.Connection, bodies: Iterable[tuple[str, FeedBody]]) -> None:
    conn.executemany(
        "INSERT INTO feed_bodies(name, digest, warning, stories) VALUES (?, ?, ?, ?)"
        " ON CONFLICT(name) DO UPDATE SET digest = excluded.digest,"
        " warning = excluded.warning, stories = excluded.stories",
        [(name, b.digest, b.warning, to_json(b.stories)) for name, b in bodies],
    )
